"""The tenant's data lifecycle: how long each kind of data is kept, and how old a DNC answer may get.

``policy`` holds the per-tenant settings (validated, audited); ``purge`` applies the
retention windows to what fell due on the time index.
"""
