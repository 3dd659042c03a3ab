"""The base of every pydantic model in the layer and the functions: validators built on first use.

Pydantic builds a model's validator and serializer when its class is defined, unless the
config defers it; the API alone defines about 240 models, most of which a request never
touches. ``defer_build`` moves each build to the model's first validation, dump or schema,
so a cold start pays only for the models its first request uses. Nothing else changes:
the same checks, errors and JSON schemas, built later. This module imports only pydantic.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class GatehouseModel(BaseModel):
    """Subclasses set their own ``model_config``; pydantic merges it with this one."""

    model_config = ConfigDict(defer_build=True)
