"""Each defence, what takes it away, and the tests that must fail without it.

``GATEHOUSE_REMOVE_DEFENCE=<name>`` makes ``remove_from_env`` (called by tests/conftest.py
before any test module is imported) replace that defence with a version that lets
everything through, for this test process only. Unset, nothing is touched. The
replacements live here and only here: the product code has no switch for them.
``tests/defences.py`` (``make defences``) runs each defence's named tests with it removed
and requires every one of them to fail, and to pass with it in place.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

ENV: Final = "GATEHOUSE_REMOVE_DEFENCE"


@dataclass(frozen=True)
class Defence:
    name: str
    kept_by: str  # the code that keeps it
    removed_by: str  # what the removal does
    caught_by: tuple[str, ...]  # pytest node ids; each must fail when it is removed
    remove: Callable[[], None]


def _replace(owner: Any, name: str, replacement: Any) -> None:
    """Put ``replacement`` where ``owner.name`` was, and wherever a module imported that object by name."""
    original = getattr(owner, name)  # an AttributeError here: the defence moved; update this file
    setattr(owner, name, replacement)
    for module in list(sys.modules.values()):
        for attribute, value in list(vars(module).items() if module is not None else ()):
            if value is original:
                setattr(module, attribute, replacement)


def _module(name: str) -> Any:
    return importlib.import_module(name)


# ---------------------------------------------------------------- the removals
def _no_tenant_check() -> None:
    """The data door reads back items of any partition and follows cursors minted for any partition."""
    scope, store = _module("gatehouse.tenancy.scope"), _module("gatehouse.tenancy.store")

    def any_item(self: Any, record_type: Any, item: Any) -> Any:
        return store.from_item(record_type, item)

    cursors = _module("gatehouse.tenancy.cursors")

    def any_cursor(cursor: str | None, *_: Any) -> dict[str, Any] | None:
        # Opened (so only the deployment's own cursors), but followed whatever it was minted for.
        if not cursor:
            return None
        key: dict[str, Any] = cursors.unseal(cursor)["key"]
        return key

    _replace(scope.TenantScope, "_record", any_item)
    _replace(store, "decode_cursor", any_cursor)
    _replace(store, "decode_time_cursor", any_cursor)


def _no_signature_check() -> None:
    """Every webhook signature passes: Twilio's, the voice agent's, Stripe's (the body taken as sent)."""
    signatures = _module("gatehouse.webhooks.signatures")

    def stripe_unverified(payload: str, header: str | None, secret: str) -> dict[str, Any] | None:
        event: dict[str, Any] = json.loads(payload)
        return event

    _replace(signatures, "twilio_valid", lambda *args, **kwargs: True)
    _replace(signatures, "retell_valid", lambda *args, **kwargs: True)
    _replace(signatures, "vapi_valid", lambda *args, **kwargs: True)
    _replace(signatures, "stripe_event", stripe_unverified)


def _no_consent_gate() -> None:
    """Gate 2 passes every contact, with or without consent evidence."""
    gates = _module("gatehouse.dispatch.gates")
    _replace(gates, "gate_consent", lambda contact, channel: gates.PASSED)


def _no_consent_by_purpose() -> None:
    """Gate 2 takes any consent for the channel as enough, whatever the campaign's purpose and technology."""
    gates, consent = _module("gatehouse.dispatch.gates"), _module("gatehouse.compliance.consent")
    _replace(gates, "required", lambda purpose, technology: consent.ConsentLevel.EXPRESS)


def _no_suppression_gate() -> None:
    """Gate 3 passes every contact, suppressed or not, and when the list could not be read."""
    gates = _module("gatehouse.dispatch.gates")
    _replace(gates, "gate_suppression", lambda facts: gates.PASSED)


def _no_registry_age() -> None:
    """A DNC answer counts its 31 days from the scrub, as before: the data version is ignored."""
    stamps = _module("gatehouse.dnc.stamps")

    def from_the_scrub(self: Any, now: datetime) -> bool:
        return bool(
            self.status is not stamps.ScrubStatus.ERROR and now - self.checked_at <= stamps.DATA_VALID_FOR
        )

    _replace(stamps.ScrubStamp, "current", from_the_scrub)


def _no_claim() -> None:
    """Gate 7 holds every attempt asked for and writes nothing: no claim is ever found taken."""
    claims = _module("gatehouse.dispatch.claims")

    def hold_everything(
        scope: Any, campaign_id: str, run_id: str, wanted: Any, now: datetime, *, ledgers: Any = None
    ) -> Any:
        return claims.Claimed(held=[contact_id for contact_id, _ in dict.fromkeys(wanted)])

    _replace(claims, "claim", hold_everything)


def _no_audit_append() -> None:
    """The audit log builds each entry but never writes it; a change it carries commits alone."""
    log = _module("gatehouse.audit.log")

    def unwritten(self: Any, tenant_id: str, **fields: Any) -> Any:
        change = fields.pop("change", None)
        if change is not None:  # the change alone, committed by its scope as an unaudited one is
            change.scope.commit(change)
        clock = fields.pop("clock", log.utc_now)
        changes = log.plain_changes(fields.pop("before", None), fields.pop("after", None))
        entry = {"tenant_id": tenant_id, "source_ip": None, **fields, "changes": changes}
        return log._next_entry(entry, None, clock)

    _replace(log.AuditLog, "append", unwritten)


def _no_registry_binding() -> None:
    """An ``unscrubbed`` number takes every attempt, marketing without a signed agreement included."""
    gates = _module("gatehouse.dispatch.gates")
    _replace(gates, "registry_exempt", lambda contact, spec: True)


def _no_owners_word_check() -> None:
    """An ``unscrubbed`` stamp is relied on whatever happened since (a provider connected, say)."""
    acknowledgment = _module("gatehouse.dnc.acknowledgment")
    _replace(acknowledgment, "on_owners_word", lambda scope: True)


def _no_recall_bar() -> None:
    """Gate 6 never bars a recorded call after a hang-up (NRS 597.814 unenforced)."""
    gates = _module("gatehouse.dispatch.gates")
    _replace(gates, "recall_barred", lambda contact, spec, facts, rules=None: False)


def _no_first_send_marks() -> None:
    """The readers of outcomes never see a first send's mark on its campaign's sheet."""
    outcomes = _module("gatehouse.dispatch.outcomes")
    _replace(outcomes.OutcomeSheet, "outcome", lambda self, contact_id: None)


def _no_scoped_access() -> None:
    """A restricted person's reads hand out every record, whatever their campaigns."""
    restriction = _module("gatehouse.tenancy.restriction")

    def everything(self: Any, records: Any, read_proofs: Any) -> list[Any]:
        return list(records)

    _replace(restriction.Restriction, "admitted", everything)


def _no_iam_wall() -> None:
    """Tenant items are reached with the function's own credentials instead of the tenant's session."""
    credentials = _module("gatehouse.tenancy.credentials")
    botocore_session = _module("botocore.session")

    def functions_own(tenant_id: str) -> Any:
        own = botocore_session.get_session().get_credentials().get_frozen_credentials()
        return credentials.TenantCredentials(
            tenant_id=tenant_id,
            access_key_id=own.access_key,
            secret_access_key=own.secret_key,
            session_token=own.token or "",
            expires_at=datetime.max.replace(tzinfo=credentials.UTC),
        )

    _replace(credentials, "for_tenant", functions_own)


DEFENCES: Final = (
    Defence(
        "tenant-check",
        "gatehouse/tenancy (TenantScope._record, store.decode_cursor / decode_time_cursor)",
        "items of any partition are read back and sealed cursors are followed whatever they were minted for",
        (
            "tests/unit/test_tenant_scope.py::test_items_read_back_from_another_tenant_are_refused",
            "tests/integration/test_cursors.py::test_a_cursor_minted_for_another_tenant_is_refused",
            "tests/integration/test_data_door.py::test_a_cursor_from_one_tenant_is_refused_by_another",
        ),
        _no_tenant_check,
    ),
    Defence(
        "iam-wall",
        "gatehouse/tenancy/credentials.py (for_tenant: TenantAccessRole with the tenant as session tag)",
        "tenant items are read and written with the function's own credentials",
        (
            "tests/integration/test_tenant_credentials.py::test_tenant_items_are_read_and_written_only_with_a_session_tagged_with_their_tenant",
            "tests/e2e/test_iam_wall.py::test_every_tenant_item_is_reached_only_with_a_session_tagged_with_its_tenant",
            "tests/e2e/test_iam_wall.py::test_every_dynamodb_request_is_allowed_by_the_policy_of_the_role_that_signed_it",
        ),
        _no_iam_wall,
    ),
    Defence(
        "signature-check",
        "gatehouse/webhooks/signatures.py (twilio_valid, retell_valid, vapi_valid, stripe_event)",
        "every Twilio, Retell, Vapi and Stripe signature is accepted",
        (
            "tests/integration/test_webhooks_twilio.py::test_every_bad_signature_gets_the_same_401_and_changes_nothing[forged]",
            "tests/integration/test_webhooks_twilio.py::test_every_bad_signature_gets_the_same_401_and_changes_nothing[other_tenants_token]",
            "tests/integration/test_webhooks_voice.py::test_bad_retell_signatures_get_the_one_401_and_change_nothing[forged]",
            "tests/integration/test_webhooks_voice.py::test_bad_retell_signatures_get_the_one_401_and_change_nothing[tampered]",
            "tests/integration/test_webhooks_voice.py::test_bad_vapi_signatures_get_the_one_401_and_change_nothing[forged]",
            "tests/integration/test_billing.py::test_bad_stripe_signatures_get_the_one_401[wrong_secret]",
        ),
        _no_signature_check,
    ),
    Defence(
        "consent-gate",
        "gatehouse/dispatch/gates.py (gate_consent)",
        "gate 2 passes every contact",
        (
            "tests/unit/test_dispatch_gates.py::test_gate_2_consent",
            "tests/integration/test_dispatch_batch.py::test_each_contact_gets_the_outcome_the_gates_give",
        ),
        _no_consent_gate,
    ),
    Defence(
        "consent-by-purpose",
        "gatehouse/dispatch/gates.py (gate_consent asks compliance.consent.required)",
        "any consent for the channel passes, written or not, whatever the campaign is for",
        (
            "tests/unit/test_dispatch_gates.py::test_gate_2_consent_fits_the_purpose_and_technology",
            "tests/integration/test_dispatch_batch.py::test_each_contact_gets_the_outcome_the_gates_give",
        ),
        _no_consent_by_purpose,
    ),
    Defence(
        "suppression-gate",
        "gatehouse/dispatch/gates.py (gate_suppression)",
        "gate 3 passes every contact",
        (
            "tests/unit/test_dispatch_gates.py::test_gate_3_suppression_fails_closed",
            "tests/integration/test_dispatch_batch.py::test_each_contact_gets_the_outcome_the_gates_give",
        ),
        _no_suppression_gate,
    ),
    Defence(
        "registry-age",
        "gatehouse/dnc/stamps.py (ScrubStamp.current, from data_as_of)",
        "a DNC answer is current for 31 days from the scrub, whatever the age of its data",
        (
            "tests/unit/test_dnc_stamps.py::test_the_31_days_count_from_the_data_version_not_from_the_scrub",
            "tests/unit/test_dnc_stamps.py::test_an_answer_stored_before_versions_were_recorded_is_stale_never_fresh",
            "tests/unit/test_dispatch_gates.py::test_gate_4_dnc[registry-32-days-old-on-the-day]",
            "tests/unit/test_dispatch_gates.py::test_gate_4_dnc[no-version]",
            "tests/integration/test_dispatch_batch.py::test_an_answer_from_registry_data_32_days_old_on_the_day_is_rescrubbed_before_the_send",
        ),
        _no_registry_age,
    ),
    Defence(
        "idempotency-claim",
        "gatehouse/dispatch/claims.py (claim)",
        "claim holds every attempt without writing",
        (
            "tests/integration/test_dispatch_batch.py::test_a_retry_after_a_crash_between_claim_and_record_sends_nothing",
            "tests/integration/test_dispatch_batch.py::test_the_same_batch_delivered_twice_at_once_sends_once",
            "tests/integration/test_dispatch_claims.py::test_a_batch_is_claimed_once_and_a_redelivery_claims_nothing",
        ),
        _no_claim,
    ),
    Defence(
        "registry-binding",
        "gatehouse/dispatch/gates.py (registry_exempt)",
        "an unscrubbed number takes marketing attempts without a signed written agreement",
        (
            "tests/unit/test_dispatch_gates.py::test_gate_4_marketing_to_an_unscrubbed_number_needs_a_signed_written_agreement[live-express]",
            "tests/unit/test_dispatch_gates.py::test_gate_4_marketing_to_an_unscrubbed_number_needs_a_signed_written_agreement[live-written-no-seller]",
        ),
        _no_registry_binding,
    ),
    Defence(
        "owners-word",
        "gatehouse/dnc/acknowledgment.py (on_owners_word)",
        "an unscrubbed stamp is relied on after a DNC provider is connected",
        (
            "tests/integration/test_dispatch_batch.py::test_a_number_stamped_unscrubbed_is_scrubbed_again_once_a_provider_is_connected",
        ),
        _no_owners_word_check,
    ),
    Defence(
        "recall-bar",
        "gatehouse/dispatch/gates.py (recall_barred)",
        "gate 6 lets a recorded call reach a Nevadan who hung up on one",
        (
            "tests/unit/test_dispatch_gates.py::test_gate_6_a_person_in_no_known_state_who_hung_up_gets_no_recorded_call_nrs_597_814",
            "tests/unit/test_gate_properties.py::test_a_person_who_may_be_in_nevada_and_hung_up_on_a_recorded_call_gets_no_other_nrs_597_814",
            "tests/integration/test_voice_hang_ups.py::test_after_a_retell_user_hangup_no_voice_campaign_calls_a_nevadan_again_nrs_597_814",
        ),
        _no_recall_bar,
    ),
    Defence(
        "first-send-marks",
        "gatehouse/dispatch/outcomes.py (OutcomeSheet.outcome)",
        "a campaign's first send, recorded as a mark on its sheet, is invisible to every reader",
        (
            "tests/integration/test_dispatch_batch.py::test_a_person_texted_is_not_texted_again_by_a_resume_or_a_later_run",
            "tests/integration/test_outcome_sheets.py::test_a_batchs_first_sends_are_marks_on_sheets_and_every_reader_sees_them",
        ),
        _no_first_send_marks,
    ),
    Defence(
        "scoped-access",
        "gatehouse/tenancy/restriction.py (Restriction.admitted)",
        "a restricted scope admits every record",
        (
            "tests/isolation/test_scoped_access.py::test_a_restricted_member_reaches_only_their_campaigns_contacts_and_conversations",
            "tests/isolation/test_scoped_access.py::test_lists_and_counts_hold_only_the_members_campaigns",
            "tests/unit/test_restriction.py::test_a_contact_is_inside_when_one_of_the_campaigns_has_an_outcome_for_it",
            "tests/isolation/test_scoped_access.py::test_a_restricted_person_finds_no_campaign_outside_their_own_on_any_campaign_route",
            "tests/isolation/test_scoped_access.py::test_a_restricted_members_campaign_list_holds_only_their_campaigns",
            "tests/isolation/test_scoped_access.py::test_a_restricted_member_suppresses_only_their_own_contacts_numbers",
            "tests/unit/test_restriction.py::test_a_campaign_and_its_own_records_are_inside_only_for_one_of_the_campaigns",
            "tests/isolation/test_scoped_access.py::test_a_contact_whose_only_outcome_is_a_first_send_mark_is_inside_its_campaign",
        ),
        _no_scoped_access,
    ),
    Defence(
        "audit-append",
        "gatehouse/audit/log.py (AuditLog.append)",
        "append returns the entry without writing it",
        (
            "tests/integration/test_audit_log.py::test_appends_build_a_gapless_chain_that_verifies",
            "tests/integration/test_suppression.py::test_suppress_is_immediate_and_audited_once",
        ),
        _no_audit_append,
    ),
)
BY_NAME: Final = {d.name: d for d in DEFENCES}


def remove_from_env() -> str | None:
    """Remove the defence named by ``GATEHOUSE_REMOVE_DEFENCE``; nothing at all when it is unset."""
    name = os.environ.get(ENV)
    if not name:
        return None
    if name not in BY_NAME:
        raise SystemExit(f"{ENV}={name}: no such defence (known: {', '.join(BY_NAME)})")
    BY_NAME[name].remove()
    return name
