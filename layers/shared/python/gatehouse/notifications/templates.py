"""The subject and text of every notification kind: the one source of the SES templates.

``template.yaml`` declares one ``AWS::SES::Template`` per kind, named
``${AWS::StackName}-<kind>``, whose parts are these texts (a test holds them equal); the
local outbox renders the same texts (``gatehouse.mail.render``). Fields are plain
``{{name}}`` placeholders filled with ids, names the tenant chose, counts, reason codes and
links: never a number, a contact's name or a message body.
"""

from __future__ import annotations

from typing import Final

from gatehouse.mail import MailTemplate
from gatehouse.notifications.kinds import ALWAYS_ON, NotificationKind

K = NotificationKind

_CAN_TURN_OFF: Final = (
    "\n\n--\nYou get this as {{role}} of {{tenant_name}}. "
    "Choose which notifications you get: {{preferences_url}}\n"
)
_ALWAYS: Final = (
    "\n\n--\nYou get this as {{role}} of {{tenant_name}}. "
    "Compliance notices always go out; they cannot be turned off.\n"
)

_PARTS: Final[dict[NotificationKind, tuple[str, str]]] = {
    K.CAMPAIGN_AWAITS_APPROVAL: (
        "[{{tenant_name}}] Campaign awaits approval: {{campaign_name}}",
        'The campaign "{{campaign_name}}" was submitted and awaits approval by an owner or admin.'
        "\n\nReview it: {{campaign_url}}",
    ),
    K.CAMPAIGN_APPROVED: (
        "[{{tenant_name}}] Campaign approved: {{campaign_name}}",
        'The campaign "{{campaign_name}}" was approved. It sends nothing until it is started.'
        "\n\nOpen it: {{campaign_url}}",
    ),
    K.CAMPAIGN_REJECTED: (
        "[{{tenant_name}}] Campaign sent back to draft: {{campaign_name}}",
        'The campaign "{{campaign_name}}" was not approved and is a draft again.'
        "\n\nEdit and submit it again: {{campaign_url}}",
    ),
    K.CAMPAIGN_STARTED: (
        "[{{tenant_name}}] Campaign started: {{campaign_name}}",
        'The campaign "{{campaign_name}}" started sending.\n\nFollow it: {{campaign_url}}',
    ),
    K.CAMPAIGN_COMPLETED: (
        "[{{tenant_name}}] Campaign finished: {{campaign_name}}",
        'The campaign "{{campaign_name}}" finished: nothing is left to send.'
        "\n\nIts report: {{campaign_url}}/report",
    ),
    K.CAMPAIGN_PAUSED: (
        "[{{tenant_name}}] Campaign paused itself: {{campaign_name}}",
        'Gatehouse paused the campaign "{{campaign_name}}" (reason: {{reason_code}}): {{reason_text}}.'
        "\n\nWhat to do: {{what_to_do}}."
        "\n\nOpen the campaign: {{campaign_url}}",
    ),
    K.DNC_SOURCE_FAILED: (
        "[{{tenant_name}}] The Do-Not-Call source failed",
        "The Do-Not-Call re-scrub could not reach its source (reason: {{reason_code}}). "
        "Nothing was dialled unscrubbed; {{paused_count}} voice campaign(s) paused."
        "\n\nWhat to do: check the DNC integration (test it under Integrations), "
        "then resume the paused campaigns."
        "\n\nDNC status: {{dnc_url}}",
    ),
    K.DNC_DATA_STALE: (
        "[{{tenant_name}}] Do-Not-Call data is out of date",
        "{{stale_count}} Do-Not-Call list(s) loaded for this account are older than 31 days "
        "({{stale_lists}}). Numbers they cover scrub as errors and are not contacted."
        "\n\nWhat to do: load current files for them (or connect a live DNC provider)."
        "\n\nDNC status: {{dnc_url}}",
    ),
    K.CREDENTIAL_TEST_FAILED: (
        "[{{tenant_name}}] The {{provider}} credentials did not pass their test",
        'A test of the stored {{provider}} credentials ended as "{{check_status}}".'
        " Campaigns that need them pause instead of sending."
        "\n\nWhat to do: check or reconnect the integration, then test it again: {{integration_url}}",
    ),
    K.IMPORT_HAD_ERRORS: (
        "[{{tenant_name}}] A contact import finished with {{error_rows}} row error(s)",
        "The import {{import_id}} finished: {{rows}} row(s) read, {{error_rows}} refused."
        "\n\nThe refused rows and why: {{import_url}}/errors",
    ),
    K.MESSAGE_HELD_FOR_REVIEW: (
        "[{{tenant_name}}] A reply is held for review",
        "A contact's reply may ask not to be contacted again. Gatehouse holds the contact "
        "(no attempts) until an owner or admin reviews it."
        "\n\nReview held replies: {{review_url}}",
    ),
    K.EVENT_ENDPOINT_DISABLED: (
        "[{{tenant_name}}] An event endpoint was disabled",
        "The event endpoint {{endpoint_id}} kept failing and was disabled; no events go to it now."
        "\n\nCheck the receiver, then enable the endpoint again: {{endpoint_url}}",
    ),
}

TEMPLATES: Final[dict[NotificationKind, MailTemplate]] = {
    kind: MailTemplate(
        name=kind.value, subject=subject, text=text + (_ALWAYS if kind in ALWAYS_ON else _CAN_TURN_OFF)
    )
    for kind, (subject, text) in _PARTS.items()
}


def ses_resource(kind: NotificationKind) -> dict[str, object]:
    """The ``AWS::SES::Template`` resource template.yaml declares for ``kind``."""
    template = TEMPLATES[kind]
    return {
        "Type": "AWS::SES::Template",
        "Properties": {
            "Template": {
                "TemplateName": {"Fn::Sub": f"${{AWS::StackName}}-{template.name}"},
                "SubjectPart": template.subject,
                "TextPart": template.text,
            }
        },
    }


def resource_name(kind: NotificationKind) -> str:
    """``NotifyCampaignPausedTemplate`` for ``campaign_paused``."""
    return "Notify" + "".join(part.capitalize() for part in kind.value.split("_")) + "Template"
