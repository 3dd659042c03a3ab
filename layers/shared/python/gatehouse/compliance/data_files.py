"""Reading the package's data files: JSON parsed and validated once, or the import fails.

This module owns where the compliance data lives (``gatehouse/compliance/data/``, shipped
as plain files inside the package, so inside the layer) and how a malformed file fails:
loudly, when first read, with the file's name and pydantic's account of what is wrong. It never
decides anything about a contact.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from gatehouse.errors import GatehouseError

Model = TypeVar("Model", bound=BaseModel)


class ComplianceDataInvalid(GatehouseError):
    """A compliance data file is missing or malformed: no gate may run on guessed rules."""

    status = 500
    code = "compliance_data_invalid"


def read_text(name: str) -> str:
    """The text of ``data/<name>`` inside the package."""
    try:
        return resources.files("gatehouse.compliance").joinpath("data", name).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ComplianceDataInvalid(f"compliance data file {name} cannot be read: {exc}") from exc


def parse(model: type[Model], name: str, text: str | None = None) -> Model:
    """Validate ``text`` (by default the packaged file ``name``) against ``model``."""
    raw = read_text(name) if text is None else text
    try:
        return model.model_validate(json.loads(raw))
    except json.JSONDecodeError as exc:
        raise ComplianceDataInvalid(f"compliance data file {name} is not JSON: {exc}") from exc
    except ValidationError as exc:
        raise ComplianceDataInvalid(f"compliance data file {name} is invalid:\n{exc}") from exc
