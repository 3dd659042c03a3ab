"""Domain errors: what went wrong, in words a client can act on.

Each error carries the HTTP status and the stable ``code`` it maps to, so the
API and webhook handlers translate every failure into one error shape in one
place. Messages never contain secrets, tokens or personal data.
"""

from __future__ import annotations


class GatehouseError(Exception):
    status: int = 500
    code: str = "internal_error"

    def __init__(self, message: str, *, details: list[dict[str, str]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or []


class Invalid(GatehouseError):
    status = 400
    code = "invalid_request"


class Unauthorized(GatehouseError):
    status = 401
    code = "unauthorized"


class Forbidden(GatehouseError):
    status = 403
    code = "forbidden"


class NotFound(GatehouseError):
    status = 404
    code = "not_found"


class Conflict(GatehouseError):
    status = 409
    code = "conflict"


class TooManyRequests(GatehouseError):
    """A rate limit refused the request; nothing was done. Retry after the window."""

    status = 429
    code = "rate_limited"


class CsrfRejected(Forbidden):
    """A cookie-authenticated change came from a foreign origin or without the CSRF token."""

    code = "csrf_rejected"


class TwoFactorRequired(Forbidden):
    """The session has not completed two-factor sign-in; it may only do that (or sign out)."""

    code = "two_factor_required"


class PayloadTooLarge(GatehouseError):
    status = 413
    code = "payload_too_large"


class TenantNotActive(GatehouseError):
    """The tenant is unknown, suspended or not in good standing: nothing may run for it."""

    status = 403
    code = "tenant_not_active"


class CrossTenantAccess(GatehouseError):
    """A programming error: code tried to reach an item outside its tenant scope.

    It is never shown as such to a client (the API maps it to 404, like any other
    resource the caller cannot see).
    """

    status = 404
    code = "not_found"


class Unavailable(GatehouseError):
    """A dependency (storage, a queue, a function) could not be reached; nothing changed. Retry later."""

    status = 503
    code = "unavailable"
