"""Contacts and compliance intake: who may be contacted, on which channel, and the evidence why.

``records`` holds the contact and its consent evidence; ``intake`` the pure rules
that derive zones, states and per-channel eligibility; ``keys`` the per-tenant keyed
contact ids; ``service`` the API-facing operations; ``csv_import``/``imports`` the
streaming importer and its jobs; ``csv_export`` the spreadsheet-safe export.
"""
