"""Notifications: people told by e-mail when something needs them (SES templates; the outbox locally).

``on_occurrence`` is what the events function calls for every occurrence: it picks the
kind (``kinds``), the people (``recipients``: owners, admins, a campaign's submitter,
preferences applied), and mails each once (``sending``) from the SES template of the
kind (``templates``). Mails carry links, never contact PII.
"""

from gatehouse.notifications.kinds import ALWAYS_ON, NotificationKind, kind_of
from gatehouse.notifications.sending import on_occurrence

__all__ = ["ALWAYS_ON", "NotificationKind", "kind_of", "on_occurrence"]
