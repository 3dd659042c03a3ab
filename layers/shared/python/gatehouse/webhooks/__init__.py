"""Provider webhooks, after the signature: refs that find the tenant, signature checks, the
once-per-event claim, and what each event does to the tenant's data.

The webhook function verifies first (``signatures``) and only then calls ``inbound_sms``,
``voice_events`` (once ``voice_wire`` read the vendor's body into ``call_payload``),
``status`` (message and call status callbacks, keyed once by provider id
and status) or ``billing``.
"""
