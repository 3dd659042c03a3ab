"""The local runtime: the whole Gatehouse suite on one machine, with no AWS account.

``python -m local`` (``make run``) reads ``template.yaml``, creates its resources in
an in-process moto server, runs the functions' real handlers in this process
(HTTP through an API Gateway proxy bridge, Step Functions tasks through a Lambda
shim, schedules on timers) and seeds a demo tenant. ``LocalRuntime`` is the same
thing as a context manager for tests.
"""
