"""The tenant data door.

``TenantScope`` is the only way domain code reaches tenant-owned items: it is bound
to one tenant when created, builds every key itself (``<tenant_id>#<collection>``),
refuses items outside its tenant and never scans. ``Directory`` is the small
repository for global items (tenant directory, identities, credential lookups),
which hold no tenant data.
"""

from gatehouse.tenancy.directory import Directory, get_directory
from gatehouse.tenancy.records import GlobalRecord, Page, TenantRecord
from gatehouse.tenancy.scope import TenantScope

__all__ = ["Directory", "GlobalRecord", "Page", "TenantRecord", "TenantScope", "get_directory"]
