"""The compliance rules the dispatch gates and the webhooks apply, as pure functions over data.

``zones`` says where a contact may be (candidate IANA zones and US states); ``state_rules``
loads the state calling rules from ``data/state_rules.json``; ``hours`` is the calling-hours
gate; ``caps`` the per-contact attempt cap; ``optout`` reads an inbound text as an opt-out,
opt-in, help request or ordinary message. Nothing here touches AWS, reads the clock or
stores anything: callers pass "now" and the history they have. The one exception is
``declared``, the operators' list of declared dates, kept in the global directory.
"""
