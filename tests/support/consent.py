"""Consent records as tests need them: prior express written consent with every (f)(9) element."""

from __future__ import annotations

from typing import Any

# The elements of 47 CFR 64.1200(f)(9) besides the number: the seller, the E-SIGN record, the disclosure.
WRITTEN_ELEMENTS: dict[str, Any] = {
    "seller": "Demo Outreach LLC",
    "signature_ref": "esign:demo-0001",
    "not_condition_of_purchase": True,
}


def written(consent: dict[str, Any], phone: str) -> dict[str, Any]:
    """``consent`` completed as written consent that covers ``phone``."""
    return {**consent, **WRITTEN_ELEMENTS, "number": phone, "type": "express_written"}
