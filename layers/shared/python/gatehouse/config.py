"""Settings read once from the environment into a typed model.

The template (and the local runtime) set these variables; code asks for
``get_settings()`` instead of reading ``os.environ`` itself, so tests can change
the environment and call ``get_settings.cache_clear()``.
"""

from __future__ import annotations

import os
from functools import lru_cache

from pydantic import BaseModel, ConfigDict, Field


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True)

    main_table: str
    audit_table: str
    idempotency_table: str
    data_key_id: str = ""
    signing_key_id: str = ""
    stage: str = "dev"
    region: str = "us-east-1"
    # Set only off AWS (the local runtime's moto); cached clients are keyed on it.
    endpoint_url: str | None = None
    allowed_origins: tuple[str, ...] = ()
    dispatch_state_machine_arn: str = ""
    tenant_role_arn: str = ""
    max_body_bytes: int = Field(default=256 * 1024, gt=0)
    # Where sign-in and invitation mail goes: SES from ``mail_sender`` in AWS, or (off AWS)
    # a JSON Lines file, the local outbox, when ``mail_outbox`` is set.
    mail_sender: str = ""
    mail_outbox: str | None = None

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        source = os.environ if env is None else env
        origins = tuple(
            o.strip() for o in source.get("GATEHOUSE_ALLOWED_ORIGINS", "").split(",") if o.strip()
        )
        return cls(
            main_table=source.get("GATEHOUSE_MAIN_TABLE", "gatehouse-main"),
            audit_table=source.get("GATEHOUSE_AUDIT_TABLE", "gatehouse-audit"),
            idempotency_table=source.get("GATEHOUSE_IDEMPOTENCY_TABLE", "gatehouse-idempotency"),
            data_key_id=source.get("GATEHOUSE_DATA_KEY_ID", ""),
            signing_key_id=source.get("GATEHOUSE_SIGNING_KEY_ID", ""),
            stage=source.get("GATEHOUSE_STAGE", "dev"),
            region=source.get("AWS_REGION") or source.get("AWS_DEFAULT_REGION") or "us-east-1",
            endpoint_url=source.get("AWS_ENDPOINT_URL") or None,
            allowed_origins=origins,
            dispatch_state_machine_arn=source.get("GATEHOUSE_DISPATCH_STATE_MACHINE_ARN", ""),
            tenant_role_arn=source.get("GATEHOUSE_TENANT_ROLE_ARN", ""),
            max_body_bytes=int(source.get("GATEHOUSE_MAX_BODY_BYTES", str(256 * 1024))),
            mail_sender=source.get("GATEHOUSE_MAIL_SENDER", ""),
            mail_outbox=source.get("GATEHOUSE_MAIL_OUTBOX") or None,
        )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings.from_env()
