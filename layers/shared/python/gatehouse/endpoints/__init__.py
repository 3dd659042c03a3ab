"""The tenant's event endpoints: signed deliveries of what happened, out to the tenant's own systems.

``manage`` registers and changes endpoints (the routes' domain); ``fanout.on_occurrence``
turns an occurrence into the deliveries it owes (the events function calls it);
``delivery.deliver`` makes one signed attempt of a queued delivery through the SSRF guard
of ``transport`` and retries or gives it up (``retries``); ``signing`` is the Standard
Webhooks scheme. Nothing here logs, audits or returns a signing secret except the one
answer that creates it.
"""

from gatehouse.endpoints.fanout import on_occurrence

__all__ = ["on_occurrence"]
