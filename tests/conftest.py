"""Shared fixtures: DynamoDB Local with the template's tables, moto for the rest of AWS, tenants built
through the domain."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import boto3
import pytest

from local.dynamodb_local import ENDPOINT_ENV, DynamoDBLocal, free_port
from tests.support import aws_faults

os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SECURITY_TOKEN": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "GATEHOUSE_MAIN_TABLE": "gatehouse-test-main",
        "GATEHOUSE_AUDIT_TABLE": "gatehouse-test-audit",
        "GATEHOUSE_IDEMPOTENCY_TABLE": "gatehouse-test-idempotency",
        "GATEHOUSE_STAGE": "test",
        # Tenant data is reached with this role's sessions (moto's STS answers AssumeRole).
        "GATEHOUSE_TENANT_ROLE_ARN": "arn:aws:iam::123456789012:role/gatehouse-test-tenant-access",
        "GATEHOUSE_ALLOWED_ORIGINS": "https://app.gatehouse.test",
        "POWERTOOLS_SERVICE_NAME": "gatehouse",
        "POWERTOOLS_METRICS_NAMESPACE": "Gatehouse",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_DEV": "false",
        # Provider calls in tests reach the recording sandbox (or a fake on loopback), never the network.
        "GATEHOUSE_PROVIDER_MODE": "sandbox",
    }
)
os.environ.pop("AWS_ENDPOINT_URL", None)
# Every table is in this worker's DynamoDB Local (the `dynamodb_local` fixture starts it on this port,
# only when a test asks for it: the unit tier never does). Set before any client is built, so
# clients cached for the whole process reach it; botocore prefers it to moto's endpoints.
DYNAMODB_PORT = free_port()
os.environ[ENDPOINT_ENV] = f"http://127.0.0.1:{DYNAMODB_PORT}"
# Before any session or client exists, so every one of them can be handed a fault.
aws_faults.install()

from moto import mock_aws
from moto.core.base_backend import BackendDict
from moto.core.model_instances import reset_model_data
from moto.core.models import botocore_stubber

from gatehouse.config import get_settings
from gatehouse.identity.caller import operator
from gatehouse.identity.members import add_member
from gatehouse.identity.permissions import Role
from gatehouse.identity.users import ensure_user
from gatehouse.ops.bootstrap import BootstrapResult, bootstrap_tenant
from gatehouse.tenancy import TenantScope
from local import moto_patches
from tests.support import clients, defences
from tests.support.dispatch import create_dispatch_machine
from tests.support.functions import served_in_moto
from tests.support.tables import create_tables, empty_tables

moto_patches.defer_rsa_keys_of_symmetric_kms_keys()

# `make defences` runs named tests with one defence taken away (GATEHOUSE_REMOVE_DEFENCE); unset, a no-op.
defences.remove_from_env()


@pytest.fixture(scope="module")
def _moto_patching() -> Iterator[None]:
    """moto's request patching, installed once per module that uses AWS.

    Starting ``mock_aws`` registers a responder for every moto URL pattern, which
    costs more than many tests. The ``aws`` fixture gives each test a fresh account
    instead (see ``_fresh_moto``) and switches the interception on only while it runs.
    """
    mock = mock_aws(config={"lambda": {"use_docker": False}})
    mock.start()
    try:
        yield
    finally:
        mock.stop()


@pytest.fixture(scope="session")
def dynamodb_local() -> Iterator[str]:
    """This worker's DynamoDB Local (in memory) with the template's tables; yields its endpoint.

    Once per test process: a JVM takes seconds to start. It stops with the process even if
    the process is killed (``local.dynamodb_local``'s watchdog).
    """
    with DynamoDBLocal(DYNAMODB_PORT) as server:
        get_settings.cache_clear()
        create_tables(get_settings())
        yield server.url


def _fresh_moto() -> None:
    """Drop every resource of every moto backend, as ``mock_aws`` does when it stops."""
    BackendDict.reset()
    reset_model_data()


@pytest.fixture
def aws(dynamodb_local: str, _moto_patching: None, tmp_path: Path) -> Iterator[None]:
    """The tables declared in template.yaml (DynamoDB Local), moto's KMS keys, and a mail outbox file.

    Every test starts from empty tables and an empty moto account, whatever the test before it
    left there.
    """
    get_settings.cache_clear()
    empty_tables(get_settings())
    _fresh_moto()
    botocore_stubber.enabled = True
    boto3.DEFAULT_SESSION = clients.session()
    try:
        yield from _provisioned(tmp_path)
    finally:
        _fresh_moto()
        # A test of the module without this fixture sees no moto, as if the mock were stopped.
        botocore_stubber.enabled = False
        get_settings.cache_clear()


def _provisioned(tmp_path: Path) -> Iterator[None]:
    kms = clients.client("kms")
    signing = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]
    os.environ["GATEHOUSE_SIGNING_KEY_ID"] = signing["Arn"]
    os.environ["GATEHOUSE_DATA_KEY_ID"] = kms.create_key()["KeyMetadata"]["Arn"]
    suppression_key = kms.create_key(KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC")["KeyMetadata"]
    os.environ["GATEHOUSE_SUPPRESSION_KEY_ID"] = suppression_key["Arn"]
    clients.client("s3").create_bucket(Bucket="gatehouse-test-imports")
    os.environ["GATEHOUSE_IMPORT_BUCKET"] = "gatehouse-test-imports"
    clients.client("s3").create_bucket(Bucket="gatehouse-test-recordings")
    os.environ["GATEHOUSE_RECORDING_BUCKET"] = "gatehouse-test-recordings"
    os.environ["GATEHOUSE_RECORDING_KEY_ID"] = kms.create_key()["KeyMetadata"]["Arn"]
    os.environ["GATEHOUSE_DISPATCH_STATE_MACHINE_ARN"] = create_dispatch_machine()
    os.environ["GATEHOUSE_MAIL_OUTBOX"] = str(tmp_path / "outbox.jsonl")
    sqs = clients.client("sqs")
    for variable, queue in (
        ("GATEHOUSE_EVENT_DELIVERIES_DLQ_URL", "event-deliveries-dlq"),
        ("GATEHOUSE_EVENT_DELIVERIES_QUEUE_URL", "event-deliveries"),
    ):
        os.environ[variable] = sqs.create_queue(QueueName=queue)["QueueUrl"]
    try:
        with (
            served_in_moto("IntegrationCheckFunction") as check_function,
            served_in_moto("ContactIntakeFunction") as intake_function,
        ):
            os.environ["GATEHOUSE_INTEGRATION_CHECK_FUNCTION"] = check_function
            os.environ["GATEHOUSE_INTAKE_FUNCTION"] = intake_function
            get_settings.cache_clear()
            yield
    finally:
        for name in (
            "GATEHOUSE_SIGNING_KEY_ID",
            "GATEHOUSE_DATA_KEY_ID",
            "GATEHOUSE_SUPPRESSION_KEY_ID",
            "GATEHOUSE_INTEGRATION_CHECK_FUNCTION",
            "GATEHOUSE_INTAKE_FUNCTION",
            "GATEHOUSE_IMPORT_BUCKET",
            "GATEHOUSE_RECORDING_BUCKET",
            "GATEHOUSE_RECORDING_KEY_ID",
            "GATEHOUSE_MAIL_OUTBOX",
            "GATEHOUSE_DISPATCH_STATE_MACHINE_ARN",
            "GATEHOUSE_EVENT_DELIVERIES_QUEUE_URL",
            "GATEHOUSE_EVENT_DELIVERIES_DLQ_URL",
        ):
            os.environ.pop(name, None)


def outbox() -> list[dict[str, str]]:
    """Every message the code under test has sent, oldest first."""
    from gatehouse.mail import read_outbox

    return read_outbox(Path(get_settings().mail_outbox or "/nonexistent"))


@dataclass
class TenantFixture:
    boot: BootstrapResult
    keys: dict[Role, str]
    users: dict[Role, str]

    @property
    def tenant_id(self) -> str:
        return self.boot.tenant_id

    @property
    def scope(self) -> TenantScope:
        return TenantScope(self.boot.tenant_id)


def make_tenant(name: str) -> TenantFixture:
    """A tenant with one member and one API key per role, built through the domain."""
    from gatehouse.identity.api_keys import create_api_key

    boot = bootstrap_tenant(name, f"owner@{name.lower()}.test")
    scope = TenantScope(boot.tenant_id)
    caller = operator(boot.tenant_id, "fixtures", request_id="fixtures")
    keys = {Role.OWNER: boot.api_key}
    users = {Role.OWNER: boot.owner_user_id}
    for role in (Role.ADMIN, Role.MEMBER, Role.VIEWER):
        user = ensure_user(f"{role}@{name.lower()}.test")
        add_member(scope, caller, user_id=user.user_id, email=user.email, role=role)
        users[role] = user.user_id
        keys[role] = create_api_key(scope, caller, name=f"{role} key", role=role).token
    return TenantFixture(boot=boot, keys=keys, users=users)


@pytest.fixture
def tenant_a(aws: None) -> TenantFixture:
    return make_tenant("Alpha")


@pytest.fixture
def tenant_b(aws: None) -> TenantFixture:
    return make_tenant("Bravo")


@pytest.fixture(scope="session")
def api_module():  # type: ignore[no-untyped-def]
    from tests.support.functions import load_function_module

    return load_function_module("ApiFunction")


@pytest.fixture
def api(api_module, aws: None):  # type: ignore[no-untyped-def]
    """Call the real API handler in-process with API Gateway proxy events."""
    from tests.support.events import Reply, invoke, proxy_event

    def call(method: str, path: str, **kwargs: object) -> Reply:
        return invoke(api_module.lambda_handler, proxy_event(method, path, **kwargs))  # type: ignore[arg-type]

    return call
