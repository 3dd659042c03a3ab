"""The compliance rules the dispatch gates and the webhooks apply, as pure functions over data.

``zones`` says where a contact may be (candidate IANA zones and US states); ``state_rules``
loads the state calling rules from ``data/state_rules.json``; ``hours`` is the calling-hours
gate; ``caps`` the per-contact attempt cap; ``optout`` reads an inbound text as an opt-out,
opt-in, help request or ordinary message. Nothing here touches AWS, reads the clock or
stores anything: callers pass "now" and the history they have. The one exception is
``declared``, the operators' list of declared dates, kept in the global directory.

The rule book, the zone files and libphonenumber's metadata load on first use: a cold start
that decides nothing about a number or a state does not read them.
"""


def load_reference_data() -> None:
    """Read them now: the rule book, the zone files, libphonenumber's US metadata.

    For ``gatehouse.freshness.load_before_snapshot``: under SnapStart the snapshot holds them.
    """
    from phonenumbers import PhoneMetadata  # noqa: PLC0415 - the point is to load these late

    from gatehouse.compliance import state_rules, zones  # noqa: PLC0415

    state_rules.rulebook()
    zones.area_codes()  # and the state zones it is checked against
    PhoneMetadata.metadata_for_region("US")
