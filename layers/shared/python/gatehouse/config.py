"""Settings read once from the environment into a typed model.

The template (and the local runtime) set these variables; code asks for
``get_settings()`` instead of reading ``os.environ`` itself, so tests can change
the environment and call ``get_settings.cache_clear()``.
"""

from __future__ import annotations

import os
from functools import lru_cache
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True)

    main_table: str
    audit_table: str
    idempotency_table: str
    data_key_id: str = ""
    signing_key_id: str = ""
    # HMAC key the per-tenant suppression keys are derived from.
    suppression_key_id: str = ""
    stage: str = "dev"
    region: str = "us-east-1"
    # Set only off AWS (the local runtime's moto); cached clients are keyed on it.
    endpoint_url: str | None = None
    allowed_origins: tuple[str, ...] = ()
    dispatch_state_machine_arn: str = ""
    tenant_role_arn: str = ""
    max_body_bytes: int = Field(default=256 * 1024, gt=0)
    # "sandbox" only on the local runtime: provider calls are recorded, nothing leaves.
    provider_mode: Literal["live", "sandbox"] = "live"
    integration_check_function: str = ""
    provider_timeout_seconds: float = Field(default=5.0, gt=0, le=30)
    # Empty: the SDK's own endpoint. Set for a regional edge (or a fake in tests).
    twilio_base_url: str = ""
    voice_agent_base_url: str = "https://api.retellai.com"
    dnc_base_url: str = ""
    import_bucket: str = ""
    contact_purge_grace_days: int = Field(default=30, ge=0, le=3650)
    intake_function: str = ""
    # Where sign-in and invitation mail goes: SES from ``mail_sender`` in AWS, or (off AWS)
    # a JSON Lines file, the local outbox, when ``mail_outbox`` is set.
    mail_sender: str = ""
    mail_outbox: str | None = None
    # The origin providers call (scheme://host[/stage]), which webhook signatures cover.
    # Empty: derived from the request (execute-api hosts get the stage in the path).
    public_base_url: str = ""
    # Stripe is the platform's own billing account, not a tenant's: one per deployment.
    stripe_api_key: SecretStr = SecretStr("")
    stripe_webhook_secret: SecretStr = SecretStr("")
    stripe_price_id: str = ""
    # Empty: Stripe's own API. Set for a fake on loopback in tests.
    stripe_api_base: str = ""
    # Voice-agent call records (transcripts, recording refs) expire after this many days.
    call_retention_days: int = Field(default=365, ge=1, le=3650)
    # The sandbox provider (local runtime only) posts each status callback this long after the last.
    sandbox_callback_delay_seconds: float = Field(default=1.0, ge=0, le=60)

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        source = os.environ if env is None else env
        origins = tuple(
            o.strip() for o in source.get("GATEHOUSE_ALLOWED_ORIGINS", "").split(",") if o.strip()
        )
        # Validated, not constructed: values from the environment are strings until checked.
        return cls.model_validate(
            dict(
                main_table=source.get("GATEHOUSE_MAIN_TABLE", "gatehouse-main"),
                audit_table=source.get("GATEHOUSE_AUDIT_TABLE", "gatehouse-audit"),
                idempotency_table=source.get("GATEHOUSE_IDEMPOTENCY_TABLE", "gatehouse-idempotency"),
                data_key_id=source.get("GATEHOUSE_DATA_KEY_ID", ""),
                signing_key_id=source.get("GATEHOUSE_SIGNING_KEY_ID", ""),
                suppression_key_id=source.get("GATEHOUSE_SUPPRESSION_KEY_ID", ""),
                stage=source.get("GATEHOUSE_STAGE", "dev"),
                region=source.get("AWS_REGION") or source.get("AWS_DEFAULT_REGION") or "us-east-1",
                endpoint_url=source.get("AWS_ENDPOINT_URL") or None,
                allowed_origins=origins,
                dispatch_state_machine_arn=source.get("GATEHOUSE_DISPATCH_STATE_MACHINE_ARN", ""),
                tenant_role_arn=source.get("GATEHOUSE_TENANT_ROLE_ARN", ""),
                max_body_bytes=int(source.get("GATEHOUSE_MAX_BODY_BYTES", str(256 * 1024))),
                provider_mode=source.get("GATEHOUSE_PROVIDER_MODE", "live"),
                integration_check_function=source.get("GATEHOUSE_INTEGRATION_CHECK_FUNCTION", ""),
                provider_timeout_seconds=float(source.get("GATEHOUSE_PROVIDER_TIMEOUT_SECONDS", "5")),
                twilio_base_url=source.get("GATEHOUSE_TWILIO_BASE_URL", ""),
                voice_agent_base_url=source.get("GATEHOUSE_VOICE_AGENT_BASE_URL", "https://api.retellai.com"),
                dnc_base_url=source.get("GATEHOUSE_DNC_BASE_URL", ""),
                import_bucket=source.get("GATEHOUSE_IMPORT_BUCKET", ""),
                contact_purge_grace_days=source.get("GATEHOUSE_CONTACT_PURGE_GRACE_DAYS", "30"),
                intake_function=source.get("GATEHOUSE_INTAKE_FUNCTION", ""),
                mail_sender=source.get("GATEHOUSE_MAIL_SENDER", ""),
                mail_outbox=source.get("GATEHOUSE_MAIL_OUTBOX") or None,
                public_base_url=source.get("GATEHOUSE_PUBLIC_BASE_URL", "").rstrip("/"),
                stripe_api_key=source.get("GATEHOUSE_STRIPE_API_KEY", ""),
                stripe_webhook_secret=source.get("GATEHOUSE_STRIPE_WEBHOOK_SECRET", ""),
                stripe_price_id=source.get("GATEHOUSE_STRIPE_PRICE_ID", ""),
                stripe_api_base=source.get("GATEHOUSE_STRIPE_API_BASE", ""),
                call_retention_days=source.get("GATEHOUSE_CALL_RETENTION_DAYS", "365"),
                sandbox_callback_delay_seconds=source.get("GATEHOUSE_SANDBOX_CALLBACK_DELAY_SECONDS", "1"),
            )
        )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings.from_env()
