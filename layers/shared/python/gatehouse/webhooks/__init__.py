"""Provider webhooks, after the signature: refs that find the tenant, signature checks, the
once-per-event claim, and what each event does to the tenant's data.

The webhook function verifies first (``signatures``) and only then calls ``inbound_sms``,
``voice_events`` or ``billing``. Message and call status callbacks (campaign attempt
outcomes) join here when campaigns exist: they key their claim on the provider id and
the status, like every event here.
"""
