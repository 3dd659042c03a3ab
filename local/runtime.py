"""LocalRuntime: the whole suite on one machine, started and stopped as one thing.

Owns the start order (DynamoDB Local, moto, the API port, the template's resources, the
functions' environment, their handlers and the Lambda shim, the event source mappings
(streams and queues), the HTTP bridge, the demo tenant, the schedule timers, the one-time
schedules' and the event sources' pollers), the process
environment the in-process handlers read (set on start, put back on stop), and stopping
everything. It is the one object tests and ``python -m local`` use. Never defines a
resource itself: everything comes from template.yaml.
"""

from __future__ import annotations

import logging
import os
import secrets
import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from local.aws import FAKE_ACCESS_KEY, Deployment, MotoServer, deploy, local_client, rule_name
from local.dynamodb_local import ENDPOINT_ENV, DynamoDBLocal
from local.event_sources import EventSources, mappings
from local.functions import Invocation, LocalFunction, load_handler
from local.http_bridge import ApiServer, routing_table
from local.intrinsics import REGION, Resolver
from local.moto_patches import install_lambda_shim, remove_lambda_shim
from local.scheduler import OneTimeRun, Scheduler, fire_due, plan_job
from local.template import TEMPLATE_PATH, Template, load_template

if TYPE_CHECKING:
    from gatehouse.ops.bootstrap import BootstrapResult

log = logging.getLogger("local.runtime")
DEMO_TENANT_NAME = "Demo Tenant"
DEMO_OWNER_EMAIL = "owner@demo.gatehouse.test"
# The sandbox DNC provider lists numbers ending 0000 or 9999 (gatehouse.providers.sandbox).
DEMO_DNC = {"provider_name": "sandbox-dnc", "api_key": "sandbox-dnc-key-0123456789"}
DEMO_OPTED_OUT = "+12065550177"  # Ed in demo/contacts.csv
OUTBOX_ROOT = Path(__file__).resolve().parents[1] / ".local"
# The template's Stage parameter on this machine (GATEHOUSE_STAGE, the API stage name).
LOCAL_STAGE = "local"
SCHEDULE_INTERVAL_ENV = "GATEHOUSE_LOCAL_SCHEDULE_SECONDS"
SANDBOX_CALLBACK_DELAY_SECONDS = "0.2"
# How often the runtime fires the one-time schedules (campaign starts) that came due on its clock.
ONE_TIME_POLL_SECONDS = 30.0
# How often the event source mappings (DynamoDB streams, SQS queues) are polled while it runs.
EVENT_POLL_SECONDS = 1.0
# Credentials and profiles from the caller's shell must not reach moto or a real account.
_ENV_REMOVED = ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN")


class LocalRuntime:
    """DynamoDB Local, moto, the template's resources, the real handlers behind HTTP, Step Functions, timers.

    ``stack_name`` prefixes every derived resource name; by default each runtime
    gets its own, so two runtimes started one after the other in one process
    (test modules) never share cached clients bound to the same table names.
    ``dynamodb_url`` is a DynamoDB Local already running (the tests' one per worker):
    the runtime's tables are created there and deleted on stop. Without it the
    runtime starts its own and stops it.
    """

    def __init__(
        self,
        template_path: Path = TEMPLATE_PATH,
        *,
        stack_name: str | None = None,
        outbox: Path | None = None,
        dynamodb_url: str | None = None,
    ) -> None:
        self.template_path = template_path
        self.stack_name = stack_name or f"gatehouse-local-{secrets.token_hex(3)}"
        # Sign-in links and invitations land here instead of SES: one JSON object per line.
        self.outbox = outbox or OUTBOX_ROOT / self.stack_name / "outbox.jsonl"
        self.template: Template | None = None
        self.dynamodb_url = dynamodb_url
        self._own_dynamodb: DynamoDBLocal | None = None
        self._shared_tables: list[str] = []
        self.moto: MotoServer | None = None
        self.api: ApiServer | None = None
        self.deployment: Deployment | None = None
        self.functions: dict[str, LocalFunction] = {}
        self.scheduler: Scheduler | None = None
        self.event_sources: EventSources | None = None
        self.env: dict[str, str] = {}
        self.demo: BootstrapResult | None = None
        self.started_in: float = 0.0
        self._clock: Callable[[], datetime] | None = None
        self._firing = threading.Lock()
        self._saved_env: dict[str, str | None] = {}

    # ------------------------------------------------------------------ lifecycle
    def start(
        self,
        api_port: int = 0,
        moto_port: int = 0,
        seed: bool = True,
        schedule_interval: float | None = None,
        dynamodb_port: int = 0,
    ) -> LocalRuntime:
        began = time.monotonic()
        try:
            self._start(api_port, moto_port, seed, schedule_interval, dynamodb_port)
        except BaseException:
            self.stop()
            raise
        self.started_in = time.monotonic() - began
        return self

    def _start(
        self, api_port: int, moto_port: int, seed: bool, schedule_interval: float | None, dynamodb_port: int
    ) -> None:
        self.template = template = load_template(self.template_path)
        if self.dynamodb_url is None:
            self.outbox.parent.mkdir(parents=True, exist_ok=True)
            log_path = self.outbox.parent / "dynamodb-local.log"
            self._own_dynamodb = DynamoDBLocal(dynamodb_port, log_path=log_path).start()
            self.dynamodb_url = self._own_dynamodb.url
        self.moto = MotoServer(moto_port)
        self.moto.start()
        self.api = ApiServer(port=api_port)
        overrides = {"Stage": LOCAL_STAGE, "AllowedOrigins": self.api.url}
        resolver = Resolver(
            self.stack_name,
            {name: p.value(overrides.get(name)) for name, p in template.parameters.items()},
            template.conditions,
        )
        self.deployment = deploy(template, resolver, self.moto, local_client("dynamodb", self.dynamodb_url))
        if self._own_dynamodb is None:
            self._shared_tables = list(self.deployment.tables.values())
        self.api.stage = self._stage(resolver)
        self.api.upload_origin = self.moto.url  # presigned import uploads go to moto's S3
        self.outbox.parent.mkdir(parents=True, exist_ok=True)
        self.outbox.write_text("", encoding="utf-8")  # each run starts with an empty outbox
        self.env = self._environment(self.deployment, self.moto, self.dynamodb_url, self.outbox)
        # Providers (and the sandbox) sign the URL they call: this machine's address.
        self.env["GATEHOUSE_PUBLIC_BASE_URL"] = self.api.url
        self._apply_environment(self.env)
        self.functions = self._load_functions(template, self.deployment)
        install_lambda_shim(self.functions.values())
        # Before anything is written: the mappings start at LATEST, as a deployed stack's do.
        self.event_sources = mappings(
            self.functions.values(),
            resolver,
            self.deployment.queues,
            local_client("dynamodbstreams", self.dynamodb_url),
            self.moto.client("sqs"),
        )
        self.api.routes = routing_table(list(self.functions.values()))
        self.api.start()
        _sandbox_callbacks(start=True)
        if seed:
            self.demo = self._seed_demo()
        self.scheduler = self._scheduler(template, resolver, schedule_interval)
        self.scheduler.start()

    def stop(self) -> None:
        _sandbox_callbacks(start=False)  # before the API goes: none is left waiting to call it
        if self.scheduler is not None:
            self.scheduler.stop()
            self.scheduler = None
        self.event_sources = None
        if self.api is not None:
            self.api.stop()
            self.api = None
        if self.functions:
            remove_lambda_shim(self.functions.values())
            self.functions = {}
        if self.moto is not None:
            self.moto.stop()
            self.moto = None
        self._drop_dynamodb()
        self._restore_environment()

    def __enter__(self) -> LocalRuntime:
        return self if self.moto is not None else self.start()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()

    # ------------------------------------------------------------------ what callers use
    @property
    def api_url(self) -> str:
        if self.api is None:
            raise RuntimeError("the local runtime is not started")
        return self.api.url

    @property
    def moto_url(self) -> str:
        if self.moto is None:
            raise RuntimeError("the local runtime is not started")
        return self.moto.url

    @property
    def dynamodb_endpoint(self) -> str:
        if self.dynamodb_url is None or self.moto is None:
            raise RuntimeError("the local runtime is not started")
        return self.dynamodb_url

    @property
    def state_machine_arn(self) -> str:
        """The template's (first) state machine."""
        if self.deployment is None or not self.deployment.state_machines:
            raise RuntimeError("no state machine is deployed")
        return next(iter(self.deployment.state_machines.values()))

    def set_clock(self, clock: Callable[[], datetime] | None) -> None:
        """Make every served function that reads ``clock`` see this one (None: the real clock again).

        Gates decide by the time in the contact's zones; tests pin it to check each decision.
        """
        from gatehouse.clock import utc_now  # noqa: PLC0415

        self._clock = clock
        for logical_id in self.functions:
            module = sys.modules.get(f"gatehouse_fn_{logical_id}")
            if module is not None and hasattr(module, "clock"):
                setattr(module, "clock", clock or utc_now)  # noqa: B010 - a module attribute, by name

    def fire_due_schedules(self) -> list[OneTimeRun]:
        """Fire every one-time schedule whose ``at()`` instant has come on this runtime's clock.

        Lists the template's schedule groups in moto, invokes each due schedule's target in
        process with its Input, and deletes it once the invocation succeeded (as
        ``ActionAfterCompletion: DELETE``). The clock is ``set_clock``'s, else the real one;
        a timer calls this every ``ONE_TIME_POLL_SECONDS`` as well.
        """
        if self.deployment is None:
            raise RuntimeError("the local runtime is not started")
        now = (self._clock or (lambda: datetime.now(UTC)))()
        with self._firing:
            groups = list(self.deployment.schedule_groups.values())
            return fire_due(self.client("scheduler"), groups, list(self.functions.values()), now)

    def drain_events(self, timeout: float = 30.0) -> int:
        """Poll every DynamoDB stream and SQS event source until a whole pass reads nothing new.

        Each record or message read goes to its function as Lambda would hand it over
        (``local.event_sources``); returns how many were read. A timer polls them every
        ``EVENT_POLL_SECONDS`` as well; the two never interleave.
        """
        if self.event_sources is None:
            raise RuntimeError("the local runtime is not started")
        return self.event_sources.drain(timeout)

    def client(self, service: str) -> Any:
        """A boto3 client for the emulated account (DynamoDB Local's for ``dynamodb``)."""
        if self.moto is None:
            raise RuntimeError("the local runtime is not started")
        if service == "dynamodb":
            return local_client(service, self.dynamodb_endpoint)
        return self.moto.client(service)

    def mail(self) -> list[dict[str, Any]]:
        """Every message sent so far (sign-in links, invitations), oldest first."""
        from gatehouse.mail import read_outbox  # noqa: PLC0415 - needs the environment set

        return read_outbox(self.outbox)

    def invoke(self, logical_id: str, event: Any) -> Invocation:
        """Invoke a template function in-process, as Lambda would."""
        return self.functions[logical_id].invoke(event)

    # ------------------------------------------------------------------ steps
    def _stage(self, resolver: Resolver) -> str:
        template = self.template
        stages = [str(resolver.resolve(api.stage_name)) for api in template.apis] if template else []
        return stages[0] if stages else "Prod"

    @staticmethod
    def _environment(
        deployment: Deployment, moto: MotoServer, dynamodb_url: str, outbox: Path
    ) -> dict[str, str]:
        """Every function's variables (they share one process, so they must agree) plus the local AWS."""
        env: dict[str, str] = {}
        for fn in deployment.functions.values():
            for name, value in fn.environment.items():
                if env.setdefault(name, value) != value:
                    raise ValueError(f"{fn.logical_id} sets {name} differently from another function")
        env.update(
            {
                "AWS_ENDPOINT_URL": moto.url,
                # Every table is in DynamoDB Local; botocore prefers this to AWS_ENDPOINT_URL.
                ENDPOINT_ENV: dynamodb_url,
                "AWS_DEFAULT_REGION": REGION,
                "AWS_REGION": REGION,
                "AWS_ACCESS_KEY_ID": FAKE_ACCESS_KEY,
                "AWS_SECRET_ACCESS_KEY": FAKE_ACCESS_KEY,
                # moto's Step Functions calls Lambda back through http://localhost:$MOTO_PORT.
                "MOTO_PORT": str(moto.port),
                # Provider calls go to the recording sandbox: nothing leaves the machine.
                "GATEHOUSE_PROVIDER_MODE": "sandbox",
                # A voice agent integration may name a fake vendor on this machine (never in AWS).
                "GATEHOUSE_VOICE_AGENT_ALLOW_LOOPBACK": "true",
                # An event endpoint may be the local receiver on http://127.0.0.1:<port> (never in AWS).
                "GATEHOUSE_EVENTS_ALLOW_LOOPBACK": "true",
                # The sandbox's signed status callbacks follow each send this closely.
                "GATEHOUSE_SANDBOX_CALLBACK_DELAY_SECONDS": SANDBOX_CALLBACK_DELAY_SECONDS,
                # No SES here: mail goes to the local outbox file.
                "GATEHOUSE_MAIL_OUTBOX": str(outbox),
                # No X-Ray daemon and no CloudWatch here.
                "POWERTOOLS_TRACE_DISABLED": "true",
                "POWERTOOLS_METRICS_DISABLED": "true",
            }
        )
        return env

    def _drop_dynamodb(self) -> None:
        """Stop our DynamoDB Local, or delete our tables from a shared one (they would outlive us)."""
        if self._own_dynamodb is not None:
            self._own_dynamodb.stop()
            self._own_dynamodb = None
            self.dynamodb_url = None
        elif self._shared_tables and self.dynamodb_url is not None:
            client = local_client("dynamodb", self.dynamodb_url)
            for name in self._shared_tables:
                client.delete_table(TableName=name)
        self._shared_tables = []

    def _apply_environment(self, env: dict[str, str]) -> None:
        for name in (*env, *_ENV_REMOVED):
            self._saved_env.setdefault(name, os.environ.get(name))
        for name in _ENV_REMOVED:
            os.environ.pop(name, None)
        os.environ.update(env)
        _forget_settings()

    def _restore_environment(self) -> None:
        for name, value in self._saved_env.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        if self._saved_env:
            _forget_settings()
        self._saved_env = {}

    @staticmethod
    def _load_functions(template: Template, deployment: Deployment) -> dict[str, LocalFunction]:
        loaded: dict[str, LocalFunction] = {}
        for logical_id, deployed in deployment.functions.items():
            spec = template.function(logical_id)
            for event in spec.unsupported_events:
                log.info("%s: event %s is not emulated locally", logical_id, event)
            loaded[logical_id] = LocalFunction(spec, deployed.name, deployed.arn, load_handler(spec))
        return loaded

    @staticmethod
    def _seed_demo() -> BootstrapResult:
        """The demo tenant: its owner and key, the sandbox DNC provider connected, one earlier opt-out.

        It is billed as active (there is no Stripe here), so its campaigns pass gate 1's billing check.
        """
        from gatehouse.billing.account import BillingAccount, BillingStatus  # noqa: PLC0415
        from gatehouse.clock import utc_now  # noqa: PLC0415
        from gatehouse.identity.caller import operator  # noqa: PLC0415 - needs the environment set
        from gatehouse.ops.bootstrap import bootstrap_tenant  # noqa: PLC0415
        from gatehouse.suppression import SuppressionSource, suppress  # noqa: PLC0415
        from gatehouse.tenancy import TenantScope  # noqa: PLC0415
        from gatehouse.vault import Provider, connect  # noqa: PLC0415

        demo = bootstrap_tenant(name=DEMO_TENANT_NAME, owner_email=DEMO_OWNER_EMAIL)
        scope = TenantScope(demo.tenant_id)
        seeder = operator(demo.tenant_id, "local-demo", request_id="local-demo")
        connect(scope, seeder, Provider.DNC, DEMO_DNC)
        suppress(
            scope, seeder, DEMO_OPTED_OUT, SuppressionSource.SMS_STOP, "replied STOP to an earlier campaign"
        )
        scope.save(BillingAccount(status=BillingStatus.ACTIVE, updated_at=utc_now()))
        return demo

    def _scheduler(self, template: Template, resolver: Resolver, interval: float | None) -> Scheduler:
        if interval is None and os.environ.get(SCHEDULE_INTERVAL_ENV):
            interval = float(os.environ[SCHEDULE_INTERVAL_ENV])
        jobs = []
        for logical_id, fn in self.functions.items():
            for schedule in template.function(logical_id).schedules:
                payload = None if schedule.input is None else str(resolver.resolve(schedule.input))
                job = plan_job(rule_name(fn.spec, schedule, resolver), fn, schedule, payload, interval)
                if job is not None:
                    jobs.append(job)
        poll = interval if interval is not None else ONE_TIME_POLL_SECONDS
        ticks: list[tuple[str, float, Callable[[], Any]]] = [
            ("one-time-schedules", poll, self.fire_due_schedules)
        ]
        if self.event_sources is not None and self.event_sources.pollers:
            ticks.append(("event-sources", EVENT_POLL_SECONDS, self.event_sources.poll_once))
        return Scheduler(jobs, ticks=ticks)


def _sandbox_callbacks(*, start: bool) -> None:
    """The sandbox provider's status callbacks run while the runtime does (its threads stop with it)."""
    from gatehouse.providers.sandbox import sandbox  # noqa: PLC0415 - needs the environment set

    if start:
        sandbox().start_callbacks()
    else:
        sandbox().stop_callbacks()


def _forget_settings() -> None:
    """Settings are parsed once per process; make the next read see the environment just set."""
    from gatehouse.config import get_settings  # noqa: PLC0415 - only once the environment is set

    get_settings.cache_clear()
