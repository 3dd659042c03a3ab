"""Occurrences: what happened in a tenant, read from committed writes, for its people and its systems."""
