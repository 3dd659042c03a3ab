"""Settings read once from the environment into typed models, checked when a function starts.

``Settings`` is what the layer reads, through ``get_settings()``, in every process that
uses it (the functions, the operator CLI, the local runtime): it requires the tables and
leaves the rest typed with a default. Each function declares what the template gives it
(``ApiSettings``, ``WebhooksSettings`` ...: the Globals section's variables and its own)
and calls ``require(...)`` at import, so a function that lacks one fails at cold start
with a message naming every missing variable, not at the first request that needs it.

Variables are ``GATEHOUSE_<FIELD>``; the region and the endpoint come from the standard
AWS variables. Tests change the environment and call ``get_settings.cache_clear()``.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Annotated, Any, Literal, TypeVar

from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

PREFIX = "GATEHOUSE_"
# Set by the template and the local runtime for every function; never empty where set.
_Given = Annotated[str, Field(min_length=1)]


class Settings(BaseSettings):
    # Built on first use: each function builds only its own class (and Settings at its first request).
    model_config = SettingsConfigDict(env_prefix=PREFIX, frozen=True, extra="ignore", defer_build=True)

    main_table: _Given
    audit_table: _Given
    idempotency_table: str = "gatehouse-idempotency"
    data_key_id: str = ""
    signing_key_id: str = ""
    # HMAC key the per-tenant suppression keys are derived from.
    suppression_key_id: str = ""
    # SSE-KMS key of call recordings (RecordingBucket).
    recording_key_id: str = ""
    stage: str = "dev"
    region: str = Field(
        default="us-east-1", validation_alias=AliasChoices("AWS_REGION", "AWS_DEFAULT_REGION")
    )
    # Set only off AWS (the local runtime); cached clients are keyed on it.
    endpoint_url: str | None = Field(default=None, validation_alias="AWS_ENDPOINT_URL")
    allowed_origins: Annotated[tuple[str, ...], NoDecode] = ()
    dispatch_state_machine_arn: str = ""
    # The one-time schedules that start campaigns at their start_at (EventBridge Scheduler).
    campaign_schedule_group: str = ""
    campaign_schedule_role_arn: str = ""
    campaign_schedule_target_arn: str = ""
    campaign_schedule_dlq_arn: str = ""
    tenant_role_arn: str = ""
    max_body_bytes: int = Field(default=256 * 1024, gt=0)
    # "sandbox" only on the local runtime: provider calls are recorded, nothing leaves.
    provider_mode: Literal["live", "sandbox"] = "live"
    integration_check_function: str = ""
    provider_timeout_seconds: float = Field(default=5.0, gt=0, le=30)
    # Empty: the SDK's own endpoint. Set for a regional edge (or a fake in tests).
    twilio_base_url: str = ""
    # Local runtime and tests only (the template never sets it): a voice agent integration may
    # name a loopback http base URL (a fake vendor) besides its vendor's own allowed ones.
    voice_agent_allow_loopback: bool = False
    # Local runtime and tests only (the template never sets it): an event endpoint may be
    # http://127.0.0.1:<port>, the local receiver; everywhere else only public https hosts.
    events_allow_loopback: bool = False
    # Signed deliveries to the tenants' event endpoints wait here (EventDeliveriesQueue), and
    # go to the dead-letter queue once they have failed for 24 hours.
    event_deliveries_queue_url: str = ""
    event_deliveries_dlq_url: str = ""
    dnc_base_url: str = ""
    import_bucket: str = ""
    # Call recordings copied from the voice vendor: tenants/<tenant>/calls/... (SSE-KMS, data key).
    recording_bucket: str = ""
    recording_max_bytes: int = Field(default=200 * 1024 * 1024, gt=0)
    recording_fetch_seconds: float = Field(default=20.0, gt=0, le=300)
    contact_purge_grace_days: int = Field(default=30, ge=0, le=3650)
    intake_function: str = ""
    # Where sign-in and invitation mail goes: SES from ``mail_sender`` in AWS, or (off AWS)
    # a JSON Lines file, the local outbox, when ``mail_outbox`` is set.
    mail_sender: str = ""
    mail_outbox: str | None = None
    # SES templates are named <prefix>-<name> (the template uses the stack's name).
    mail_template_prefix: str = ""
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

    @field_validator("allowed_origins", mode="before")
    @classmethod
    def _comma_separated(cls, value: Any) -> Any:
        if isinstance(value, str):
            return tuple(origin.strip() for origin in value.split(",") if origin.strip())
        return value

    @field_validator("endpoint_url", "mail_outbox", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: Any) -> Any:
        return value or None

    @field_validator("public_base_url")
    @classmethod
    def _no_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")


class FunctionSettings(Settings):
    """What the template's Globals give every function."""

    idempotency_table: _Given
    data_key_id: _Given
    signing_key_id: _Given
    suppression_key_id: _Given
    recording_key_id: _Given
    import_bucket: _Given
    recording_bucket: _Given
    stage: _Given
    tenant_role_arn: _Given
    # Given to every function, empty where the deployment leaves them so.
    allowed_origins: Annotated[tuple[str, ...], NoDecode]
    public_base_url: str


class ApiSettings(FunctionSettings):
    dispatch_state_machine_arn: _Given
    campaign_schedule_group: _Given
    campaign_schedule_role_arn: _Given
    campaign_schedule_target_arn: _Given
    campaign_schedule_dlq_arn: _Given
    integration_check_function: _Given
    intake_function: _Given
    mail_sender: _Given
    # Empty: billing routes answer 503 (the template's default).
    stripe_api_key: SecretStr
    stripe_price_id: str


class WebhooksSettings(FunctionSettings):
    # Empty: every Stripe event is refused (the template's default).
    stripe_webhook_secret: SecretStr


class SchedulerSettings(FunctionSettings):
    dispatch_state_machine_arn: _Given


class DispatchSettings(FunctionSettings):
    pass


class IntakeSettings(FunctionSettings):
    pass


class EventDeliveriesSettings(FunctionSettings):
    event_deliveries_queue_url: _Given
    event_deliveries_dlq_url: _Given


class EventsSettings(FunctionSettings):
    pass


class MissingSettings(RuntimeError):
    """A function started without a variable its template gives it (or with one it cannot read)."""


S = TypeVar("S", bound=Settings)


def require(settings_type: type[S]) -> S:
    """The function's settings from the environment, or MissingSettings naming every variable at fault."""
    try:
        return settings_type()  # type: ignore[call-arg]  # the values come from the environment
    except ValidationError as exc:
        raise MissingSettings(f"{settings_type.__name__}: {_faults(settings_type, exc)}") from None


def _faults(settings_type: type[Settings], exc: ValidationError) -> str:
    faults = []
    for error in exc.errors():
        field = str(error["loc"][0]) if error["loc"] else ""
        info = settings_type.model_fields.get(field)
        if info is None:  # already named by its alias (AWS_REGION ...)
            variable = field
        else:
            alias = info.validation_alias
            names = alias.choices if isinstance(alias, AliasChoices) else [alias] if alias else []
            variable = " or ".join(str(n) for n in names) or f"{PREFIX}{field.upper()}"
        problem = "is not set" if error["type"] == "missing" else f"is not valid ({error['msg']})"
        faults.append(f"{variable} {problem}")
    return "; ".join(faults)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return require(Settings)
