"""The dispatch state machine in moto for tests that start runs without executing them.

Under ``mock_aws`` moto records a StartExecution and runs nothing, so API tests see a
run start exactly as the API does in AWS; the local runtime executes the same
definition for real (tests/e2e).
"""

from __future__ import annotations

import re

from local.aws import for_moto
from tests.support import clients
from tests.support.template import template

ROLE = "arn:aws:iam::123456789012:role/gatehouse-test-dispatch"


def create_dispatch_machine(name: str = "gatehouse-test-dispatch") -> str:
    (machine,) = [m for m in template().state_machines if m.logical_id == "DispatchStateMachine"]
    definition = re.sub(
        r"\$\{([A-Za-z]+)\}",
        lambda m: f"arn:aws:lambda:us-east-1:123456789012:function:{m.group(1)}",
        machine.definition_path.read_text(encoding="utf-8"),
    )
    created = clients.client("stepfunctions").create_state_machine(
        name=name, definition=for_moto(definition), roleArn=ROLE
    )
    return str(created["stateMachineArn"])
