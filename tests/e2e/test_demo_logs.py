"""What the service writes while the whole demo runs (the import, both campaigns' dispatch runs,
the webhooks: an inbound text, delivery and call callbacks) and each scheduled job runs once,
on the local runtime: every log line of the service, every trace annotation, every metric
record (EMF) and every payload of the dispatch state machine's executions (input, output,
history).

None of it may hold a phone number (in any of the forms the demo file writes them, or E.164),
an e-mail address, a message body, a token or a secret. Each log line, annotation and metric
record of a tenant's work carries the tenant id, so an operator can follow one tenant's
trouble; only the scheduled jobs' lines and totals over all tenants carry none.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aws_lambda_powertools import Tracer

from gatehouse.observability import TENANT_KEY
from gatehouse.providers.sandbox import sandbox
from local.demo import DEMO_CSV, DOUBTFUL_REPLY, SANDBOX_TWILIO, SANDBOX_VOICE_AGENT, run_demo
from local.runtime import DEMO_DNC, DEMO_OWNER_EMAIL, LocalRuntime
from tests.support.logs import JsonLines, service_logs
from tests.support.template import scheduled_jobs

# Every job a schedule of the template runs.
JOBS = scheduled_jobs()
# The scheduled jobs' own lines (a job is the platform's, not a tenant's); each tenant's part of a
# job logs a line of its own with the tenant id.
PLATFORM_LINES = {"scheduled job done"}
E164 = re.compile(r"\+[1-9]\d{9,14}")
EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")


class Printed(io.TextIOBase):
    """stdout while the demo runs: where Powertools writes the EMF records."""

    def __init__(self) -> None:
        self.chunks: list[str] = []
        self._lock = threading.Lock()

    def write(self, text: str) -> int:
        with self._lock:
            self.chunks.append(text)
        return len(text)

    def records(self) -> list[dict[str, Any]]:
        lines = "".join(self.chunks).splitlines()
        return [json.loads(line) for line in lines if line.startswith("{") and '"_aws"' in line]


@dataclass
class Observed:
    tenant_id: str
    demo_lines: list[dict[str, Any]]
    job_lines: list[dict[str, Any]]
    demo_metrics: list[dict[str, Any]]
    job_metrics: list[dict[str, Any]]
    annotations: list[tuple[str, Any]]
    payloads: list[Any]
    secrets: set[str] = field(default_factory=set)

    def everything(self) -> str:
        return json.dumps(
            [
                self.demo_lines,
                self.job_lines,
                self.demo_metrics,
                self.job_metrics,
                self.annotations,
                self.payloads,
            ],
            default=str,
        )


@contextlib.contextmanager
def annotations_recorded() -> Iterator[list[tuple[str, Any]]]:
    """Every ``put_annotation`` the service makes (tracing is off here, so none reaches X-Ray)."""
    recorded: list[tuple[str, Any]] = []
    original = Tracer.put_annotation

    def put_annotation(self: Tracer, key: str, value: Any) -> None:
        recorded.append((key, value))
        original(self, key=key, value=value)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Tracer, "put_annotation", put_annotation)
        yield recorded


@contextlib.contextmanager
def metrics_written() -> Iterator[Printed]:
    printed = Printed()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("POWERTOOLS_METRICS_DISABLED", "false")
        with contextlib.redirect_stdout(printed):
            yield printed


def _execution_payloads(runtime: LocalRuntime) -> list[Any]:
    client = runtime.client("stepfunctions")
    found: list[Any] = []
    for execution in client.list_executions(stateMachineArn=runtime.state_machine_arn)["executions"]:
        arn = execution["executionArn"]
        described = client.describe_execution(executionArn=arn)
        found.append({"input": described.get("input"), "output": described.get("output")})
        found.append(client.get_execution_history(executionArn=arn, maxResults=1000)["events"])
    return found


def _settled(runtime: LocalRuntime) -> None:
    """The sandbox's delivery and call callbacks of the demo have arrived."""
    time.sleep(1.0)


@pytest.fixture(scope="module")
def observed(runtime: LocalRuntime) -> Observed:
    assert runtime.demo is not None
    sandbox().reset()
    demo_logs: JsonLines
    with annotations_recorded() as annotations:
        with service_logs() as demo_logs, metrics_written() as demo_metrics:
            run_demo(runtime)
            _settled(runtime)
        with service_logs() as job_logs, metrics_written() as job_metrics:
            for job in JOBS:
                runtime.invoke("SchedulerFunction", {"job": job})
    return Observed(
        tenant_id=runtime.demo.tenant_id,
        demo_lines=demo_logs.lines,
        job_lines=job_logs.lines,
        demo_metrics=demo_metrics.records(),
        job_metrics=job_metrics.records(),
        annotations=annotations,
        payloads=_execution_payloads(runtime),
        secrets=_secrets(runtime),
    )


def _phones() -> set[str]:
    """Each demo number as the file writes it, in E.164 and as ten national digits."""
    found: set[str] = set()
    with DEMO_CSV.open(encoding="latin-1") as rows:  # the demo file is not UTF-8 on purpose
        for row in csv.DictReader(rows):
            for written in (row["phone"], row.get("consent_number") or ""):
                digits = re.sub(r"\D", "", written)[-10:]
                if digits:
                    found |= {written.strip(), f"+1{digits}", digits}
    return found


def _secrets(runtime: LocalRuntime) -> set[str]:
    assert runtime.demo is not None
    bodies = {m.body for m in sandbox().messages()}
    return {
        runtime.demo.api_key,
        str(SANDBOX_TWILIO["auth_token"]),
        SANDBOX_VOICE_AGENT["api_key"],
        SANDBOX_VOICE_AGENT["webhook_secret"],
        DEMO_DNC["api_key"],
        DOUBTFUL_REPLY[1],
        *bodies,
    }


def test_the_demo_writes_its_work_out(observed: Observed) -> None:
    """The scan below looks at something: each kind of output was written."""
    assert len(observed.demo_lines) > 10
    assert observed.job_lines
    assert observed.demo_metrics
    assert observed.annotations
    assert len(observed.payloads) >= 4  # two executions: input and output, history


def test_no_phone_email_message_body_token_or_secret_in_logs_traces_metrics_or_workflow_payloads(
    observed: Observed,
) -> None:
    text = observed.everything()
    found = {s for s in observed.secrets | _phones() | {DEMO_OWNER_EMAIL} if s and s in text}
    found |= set(E164.findall(text)) | set(EMAIL.findall(text))
    found |= set(re.findall(r"gh[kims]_[A-Za-z0-9_-]{20,}", text))
    assert not found, f"written out: {sorted(found)}"


def test_every_log_line_annotation_and_metric_of_a_tenants_work_carries_the_tenant_id(
    observed: Observed,
) -> None:
    tenant = observed.tenant_id
    unlabelled = [line for line in observed.demo_lines if line.get(TENANT_KEY) != tenant]
    assert not unlabelled, f"lines without the tenant: {unlabelled[:5]}"
    jobs = [line for line in observed.job_lines if line["message"] not in PLATFORM_LINES]
    assert jobs
    assert all(line.get(TENANT_KEY) == tenant for line in jobs), jobs[:5]
    unlabelled_figures = [record for record in observed.demo_metrics if record.get(TENANT_KEY) != tenant]
    assert not unlabelled_figures, f"metrics without the tenant: {unlabelled_figures[:5]}"
    # A job's figures for one tenant name it; its totals over every tenant name none.
    assert {record.get(TENANT_KEY) for record in observed.job_metrics} <= {tenant, None}
    assert (TENANT_KEY, tenant) in observed.annotations
    assert {value for key, value in observed.annotations if key == TENANT_KEY} == {tenant}


def test_the_tenant_id_is_never_a_metric_dimension(observed: Observed) -> None:
    """Each dimension value is a custom metric CloudWatch bills: the tenant is EMF metadata."""
    for record in observed.demo_metrics + observed.job_metrics:
        for directive in record["_aws"]["CloudWatchMetrics"]:
            assert not any(TENANT_KEY in dimensions for dimensions in directive["Dimensions"])


def test_the_scrubber_masks_phone_numbers_and_email_addresses_in_a_log_record() -> None:
    from gatehouse.observability import MASK, scrub

    written = [
        "+14155550132",
        "(415) 555-0132",
        "415-555-0132",
        "415.555.0132",
        "+1 305 555 0166",
        "1-415-555-0132",
        "ann@example.com",
    ]
    for value in written:
        cleaned = scrub({"message": f"reply from {value}, twice", "detail": [value]})
        assert cleaned == {"message": f"reply from {MASK}, twice", "detail": [MASK]}, value
    assert scrub({"phone": "anything", "email": "x", "body": "Hi Ann", "status": "sent"}) == {
        "phone": MASK,
        "email": MASK,
        "body": MASK,
        "status": "sent",
    }
    kept = "request 9bbfe142-c78b-4cf1-b94c-74b7b4587a4d at 2026-12-06 01:00:47,508+0000 took 1200 ms"
    assert scrub({"message": kept}) == {"message": kept}
