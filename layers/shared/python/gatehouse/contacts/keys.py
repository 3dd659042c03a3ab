"""Contact ids derived from the number with the tenant's secret key, so a phone is one contact.

The same number always gives the same id within a tenant (re-importing a file creates
no duplicates, with no lookup item to keep in step), a different id in every other
tenant, and nothing outside KMS can turn an id back into the number: an id left in
the audit log after an erasure names no one. The tenant key is the suppression list's
(``gatehouse.suppression.keys``), used under its own "contact:" domain.
"""

from __future__ import annotations

from gatehouse.suppression.keys import contact_id_for

__all__ = ["contact_id_for"]
