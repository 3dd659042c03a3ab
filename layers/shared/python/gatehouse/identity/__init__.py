"""Identity and access: tenants' members and roles, the permission matrix, API keys."""
