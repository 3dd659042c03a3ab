"""The security and wiring promises of template.yaml, read as CloudFormation reads it.

One promise per test: no Scan, an append-only audit table, keys used only by the roles
named for them, a tenant boundary in IAM, a fail-closed state machine.
"""

from __future__ import annotations

import ast
import fnmatch
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from gatehouse.endpoints.records import secret_purpose
from gatehouse.events import stream
from gatehouse.events.stream import AUDITED
from gatehouse.identity import two_factor
from gatehouse.tenancy.records import GLOBAL_PREFIXES
from gatehouse.vault import Provider
from tests.infra.conftest import (
    ROOT,
    TEMPLATE_PATH,
    Statement,
    allowed,
    as_list,
    identity_of,
    key_policy,
    reachable,
    references,
    successors,
)

CONTRACT_FUNCTIONS = {
    "ApiFunction": ("functions/api/", "app.lambda_handler"),
    "WebhooksFunction": ("functions/webhooks/", "app.lambda_handler"),
    "SchedulerFunction": ("functions/scheduler/", "app.lambda_handler"),
    "TenantGateFunction": ("functions/dispatch/", "app.tenant_gate"),
    "DispatchPlanFunction": ("functions/dispatch/", "app.plan_page"),
    "DispatchBatchFunction": ("functions/dispatch/", "app.send_batch"),
    "DispatchSettleFunction": ("functions/dispatch/", "app.settle"),
    "IntegrationCheckFunction": ("functions/dispatch/", "app.check_integration"),
    "ContactIntakeFunction": ("functions/intake/", "app.lambda_handler"),
    "EventDeliveriesFunction": ("functions/event_deliveries/", "app.lambda_handler"),
    "EventsFunction": ("functions/events/", "app.lambda_handler"),
}
CONTRACT_ENV = {
    "GATEHOUSE_MAIN_TABLE",
    "GATEHOUSE_AUDIT_TABLE",
    "GATEHOUSE_IDEMPOTENCY_TABLE",
    "GATEHOUSE_DATA_KEY_ID",
    "GATEHOUSE_SIGNING_KEY_ID",
    "GATEHOUSE_SUPPRESSION_KEY_ID",
    "GATEHOUSE_STAGE",
    "GATEHOUSE_ALLOWED_ORIGINS",
    "GATEHOUSE_TENANT_ROLE_ARN",
    "POWERTOOLS_SERVICE_NAME",
    "POWERTOOLS_METRICS_NAMESPACE",
    "POWERTOOLS_LOG_LEVEL",
}
AUDIT_MUTATIONS = ("dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem")
AUDIT_APPEND_AND_READ = (
    "dynamodb:PutItem",
    "dynamodb:ConditionCheckItem",
    "dynamodb:Query",
    "dynamodb:GetItem",
)
ITEM_WRITES = ("dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem")
# The audit log is tenant data: only a tenant's own session appends to it and reads it.
AUDIT_ROLES = {"TenantAccessRole"}
DECRYPTERS = {
    "WebhooksFunctionRole",
    "DispatchFunctionRole",
    "IntegrationCheckFunctionRole",
    "ContactIntakeFunctionRole",
    "SchedulerFunctionRole",
    "EventDeliveriesFunctionRole",
}
SUPPRESSION_KEY_USERS = {
    "ApiFunctionRole",
    "WebhooksFunctionRole",
    "SchedulerFunctionRole",
    "TenantGateFunctionRole",
    "DispatchFunctionRole",
    "IntegrationCheckFunctionRole",
    "ContactIntakeFunctionRole",
}
# Invoked with InvocationType=Event by another function (the API queues intake work).
INVOKED_ASYNCHRONOUSLY = {"ContactIntakeFunction"}
TENANT_TAG = "${aws:PrincipalTag/tenant}"
TENANT_PARTITIONS = f"{TENANT_TAG}#*"
# What a tenant session may reach besides its own partitions, and with which actions.
TENANT_ROLE_PATTERNS = {
    TENANT_PARTITIONS: ("MainTable", None),
    f"{TENANT_TAG}#AUDIT": ("AuditTable", None),
    f"TENANT#{TENANT_TAG}": ("MainTable", None),
    # Global lookups written in the same transaction as the tenant's change.
    "APIKEY#*": ("MainTable", ("dynamodb:putitem", "dynamodb:deleteitem")),
    "TOKEN#*": ("MainTable", ("dynamodb:putitem", "dynamodb:deleteitem")),
    "WEBHOOK#*": ("MainTable", ("dynamodb:putitem", "dynamodb:deleteitem")),
    "STRIPE#*": ("MainTable", ("dynamodb:putitem", "dynamodb:deleteitem")),
}
DATA_ACTIONS = (
    "dynamodb:GetItem",
    "dynamodb:BatchGetItem",
    "dynamodb:Query",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:BatchWriteItem",
    "dynamodb:ConditionCheckItem",
    "dynamodb:Scan",
    "dynamodb:PartiQLSelect",
    "dynamodb:PartiQLInsert",
    "dynamodb:PartiQLUpdate",
    "dynamodb:PartiQLDelete",
)
# Partitions of the gsi1 index that hold only global items (the tenant list, a person's sessions).
GLOBAL_INDEX_PARTITIONS = ("TENANTS", "SESSIONS#*")
SAMPLE_TENANT_KEYS = ("tnt_" + "a" * 26 + "#CONTACT", "tnt_" + "a" * 26 + "#AUDIT", "tnt_x#")
ASYNC_EVENT_TYPES = {"Schedule", "ScheduleV2", "EventBridgeRule", "CloudWatchEvent", "SNS", "S3"}
# Reading a table's stream: every tenant's committed writes, so one role only, and nothing else.
STREAM_ACTIONS = {
    "dynamodb:describestream",
    "dynamodb:getrecords",
    "dynamodb:getsharditerator",
    "dynamodb:liststreams",
}


def _reads_streams_only(statement: Statement) -> bool:
    """An Allow of stream actions alone, on stream ARNs alone (``Fn::GetAtt <table>.StreamArn``)."""
    resources = statement.resource if isinstance(statement.resource, list) else [statement.resource]
    on_streams = all(
        isinstance(r, dict) and r.get("Fn::GetAtt", [None, None])[1] == "StreamArn" for r in resources
    )
    return set(statement.actions) <= STREAM_ACTIONS and on_streams


def test_no_statement_allows_scan_or_a_dynamodb_wildcard(
    statements: list[Statement], policy_templates: dict[str, list[str]]
) -> None:
    for statement in statements:
        if not statement.allows:
            continue
        assert not statement.uses_not_action, f"{statement.owner}: Allow with NotAction grants too much"
        assert not statement.covers("dynamodb:Scan"), f"{statement.owner} allows dynamodb:Scan"
        wildcards = [a for a in statement.actions if a == "*" or (a.startswith("dynamodb:") and "*" in a)]
        assert not wildcards, f"{statement.owner} allows wildcard actions {wildcards}"
    # SAM's DynamoDBCrudPolicy and DynamoDBReadPolicy templates include Scan.
    for owner, names in policy_templates.items():
        assert not [n for n in names if "dynamodb" in n.lower()], f"{owner} uses {names}"


def test_every_role_touching_the_audit_table_denies_mutation_and_is_allowed_none(
    statements: list[Statement],
) -> None:
    identity = [s for s in statements if s.kind == "identity"]
    touching = {s.owner for s in identity if s.allows and s.on("AuditTable")}
    assert touching >= AUDIT_ROLES
    for role in touching:
        own = [s for s in identity if s.owner == role]
        for action in AUDIT_MUTATIONS:
            denies = [s for s in own if not s.allows and s.covers(action) and s.on("AuditTable")]
            assert denies, f"{role} has no explicit Deny of {action} on AuditTable"
            assert not allowed(own, action, "AuditTable"), f"{role} is allowed {action} on AuditTable"
    for action in AUDIT_MUTATIONS:
        assert not [s for s in statements if s.allows and s.covers(action) and s.on("AuditTable")]


def test_only_the_tenant_role_appends_and_reads_the_audit_table(
    statements: list[Statement], function_roles: dict[str, str]
) -> None:
    for role in AUDIT_ROLES:
        own = identity_of(statements, role)
        for action in AUDIT_APPEND_AND_READ:
            assert allowed(own, action, "AuditTable"), f"{role} cannot {action} the audit table"
    for role in set(function_roles.values()):
        own = identity_of(statements, role)
        assert not [s for s in own if s.allows and s.on("AuditTable") and not _reads_streams_only(s)], (
            f"{role} reaches the audit table itself"
        )


def test_tenant_gate_and_planner_only_read_the_main_table(
    statements: list[Statement], functions: dict[str, dict[str, Any]]
) -> None:
    decrypters = {
        p
        for s in statements
        if s.kind == "key" and s.allows and s.covers("kms:Decrypt")
        for p in s.principals()
    }
    for fn in ("TenantGateFunction", "DispatchPlanFunction"):
        role = references(functions[fn]["Role"]).pop()
        own = identity_of(statements, role)
        assert allowed(own, "dynamodb:GetItem", "MainTable"), fn
        for action in ITEM_WRITES:
            assert not allowed(own, action, "MainTable"), f"{fn} may {action}"
        assert role not in decrypters, fn
        # What they read of a tenant's, they read as that tenant.
        assert allowed(own, "sts:AssumeRole", "TenantAccessRole"), fn


def test_tables_are_on_demand_with_pitr_and_sse_under_the_storage_key(resources: dict[str, Any]) -> None:
    for table in ("MainTable", "AuditTable", "IdempotencyTable"):
        props = resources[table]["Properties"]
        assert props["BillingMode"] == "PAY_PER_REQUEST", table
        assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}, table
        sse = props["SSESpecification"]
        assert (sse["SSEEnabled"], sse["SSEType"]) == (True, "KMS"), table
        assert references(sse["KMSMasterKeyId"]) == {"StorageKey"}, table
        assert props["DeletionProtectionEnabled"] == {"Fn::If": ["IsProd", True, False]}, table


def test_table_keys_index_and_ttl_follow_the_contract(resources: dict[str, Any]) -> None:
    main = resources["MainTable"]["Properties"]
    assert main["KeySchema"] == [
        {"AttributeName": "pk", "KeyType": "HASH"},
        {"AttributeName": "sk", "KeyType": "RANGE"},
    ]
    lookup, timed = main["GlobalSecondaryIndexes"]
    assert lookup["IndexName"] == "gsi1"
    assert [k["AttributeName"] for k in lookup["KeySchema"]] == ["gsi1pk", "gsi1sk"]
    assert lookup["Projection"] == {"ProjectionType": "ALL"}
    # The jobs find what fell due on the time index; they must get whole items from it.
    assert timed["IndexName"] == "gsi2"
    assert [k["AttributeName"] for k in timed["KeySchema"]] == ["gsi2pk", "gsi2sk"]
    assert timed["Projection"] == {"ProjectionType": "ALL"}
    declared = {a["AttributeName"] for a in main["AttributeDefinitions"]}
    assert declared == {"pk", "sk", "gsi1pk", "gsi1sk", "gsi2pk", "gsi2sk"}
    assert main["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    audit = resources["AuditTable"]["Properties"]
    assert [k["AttributeName"] for k in audit["KeySchema"]] == ["pk", "sk"]
    idempotency = resources["IdempotencyTable"]["Properties"]
    assert idempotency["KeySchema"] == [{"AttributeName": "id", "KeyType": "HASH"}]
    assert idempotency["TimeToLiveSpecification"] == {"AttributeName": "expiration", "Enabled": True}


def test_main_and_audit_tables_and_every_key_survive_stack_deletion(
    template: dict[str, Any], resources: dict[str, Any]
) -> None:
    for name in ("MainTable", "AuditTable", "StorageKey", "DataKey", "AuditSigningKey", "SuppressionKey"):
        assert resources[name]["DeletionPolicy"] == "Retain", name
        assert resources[name]["UpdateReplacePolicy"] == "Retain", name
    assert template["Conditions"]["IsProd"] == {"Fn::Equals": [{"Ref": "Stage"}, "prod"]}


def test_tenant_access_role_reaches_only_the_session_tenants_partitions(statements: list[Statement]) -> None:
    """Each Allow is bounded by LeadingKeys: the session's tenant, or a named global prefix it writes.

    Every pattern that is not the tenant's own is a global prefix, granted only where a
    tenant's transaction needs it (put and delete of a lookup), each in its own statement.
    """
    allows = [
        s
        for s in statements
        if s.owner == "TenantAccessRole" and s.kind == "identity" and s.allows
        and not all(a.startswith("s3:") for a in s.actions)  # its recordings: the test below
    ]  # fmt: skip
    assert [s for s in allows if s.covers("dynamodb:Query") and TENANT_PARTITIONS in _leading_keys(s)]
    seen: set[str] = set()
    for statement in allows:
        leading = _leading_keys(statement)
        assert set(statement.condition) == {"ForAllValues:StringLike"}, statement
        for pattern in leading:
            assert pattern in TENANT_ROLE_PATTERNS, pattern
            table, actions = TENANT_ROLE_PATTERNS[pattern]
            assert references(statement.resource) == {table}, (pattern, statement.resource)
            if actions is not None:
                assert leading == [pattern], f"{pattern} shares its condition"
                assert set(statement.actions) <= set(actions), (pattern, statement.actions)
            seen.add(pattern)
        if any(TENANT_TAG not in p for p in leading):
            assert not statement.covers("dynamodb:Query")
            assert not statement.covers("dynamodb:GetItem")
    assert seen == set(TENANT_ROLE_PATTERNS)


def _leading_keys(statement: Statement) -> list[str]:
    patterns = statement.condition.get("ForAllValues:StringLike", {}).get("dynamodb:LeadingKeys")
    assert isinstance(patterns, list), f"{statement.owner}: an Allow without LeadingKeys"
    assert patterns, f"{statement.owner}: an Allow without LeadingKeys"
    return [str(p) for p in patterns]


def test_no_function_role_reaches_a_tenant_partition_with_its_own_credentials(
    statements: list[Statement], function_roles: dict[str, str]
) -> None:
    """Function roles reach tenant items only through TenantAccessRole sessions.

    Every Allow of a function role on the main or audit table (or on everything) that covers
    a data action is bounded by ``ForAllValues:StringLike`` on ``dynamodb:LeadingKeys``, and
    every pattern is a global directory prefix (or a global-only gsi1 partition) that no
    ``tnt_...#...`` key can match. The one gsi1 partition that lists tenant items (a person's
    memberships) may be read for keys only.
    """
    for role in sorted(set(function_roles.values())):
        own = identity_of(statements, role)
        reaching = [
            s
            for s in own
            if s.allows
            and any(s.covers(a) for a in DATA_ACTIONS)
            and (s.on("MainTable") or s.on("AuditTable") or s.on_everything())
        ]
        assert reaching, f"{role} reaches no global item"
        for statement in reaching:
            _only_global_keys(role, statement)
        for action in ("sts:AssumeRole", "sts:TagSession"):
            assert allowed(own, action, "TenantAccessRole"), f"{role} cannot {action}"


def _only_global_keys(role: str, statement: Statement) -> None:
    assert not statement.on("AuditTable"), statement
    assert not statement.on_everything(), statement
    assert not statement.covers("dynamodb:Scan")
    assert not statement.covers("dynamodb:PartiQLSelect")
    on_index = "/index/" in json.dumps(statement.resource)
    for pattern in _leading_keys(statement):
        for key in SAMPLE_TENANT_KEYS:
            assert not fnmatch.fnmatchcase(key, pattern), f"{role}: {pattern} matches {key}"
        global_prefix = pattern.split("#", 1)[0] in GLOBAL_PREFIXES
        global_index = on_index and pattern in (*GLOBAL_INDEX_PARTITIONS, "USER#*")
        assert global_prefix or global_index, (role, pattern)
        if on_index and pattern == "USER#*":
            # Memberships are tenant items: only their keys, never their bodies.
            assert statement.condition["ForAllValues:StringEquals"]["dynamodb:Attributes"] == [
                "pk",
                "sk",
                "kind",
            ]
            assert statement.condition["Null"] == {"dynamodb:Attributes": "false"}
            assert statement.actions == ("dynamodb:query",)


def test_tenant_role_trusts_the_function_roles_by_name_and_only_with_a_tenant_tag(
    resources: dict[str, Any], statements: list[Statement], function_roles: dict[str, str]
) -> None:
    (tagging,) = [s for s in statements if s.owner == "TenantAccessRole" and s.covers("sts:TagSession")]
    assert tagging.kind == "trust"
    assert tagging.condition["StringLike"] == {"aws:RequestTag/tenant": "tnt_*"}
    assert tagging.condition["ForAllValues:StringEquals"] == {"aws:TagKeys": ["tenant"]}
    (trust,) = [s for s in statements if s.owner == "TenantAccessRole" and s.covers("sts:AssumeRole")]
    assert trust.condition["ArnEquals"] == tagging.condition["ArnEquals"]
    assert trust.condition["StringLike"] == {"aws:RequestTag/tenant": "tnt_*"}
    trusted = {arn["Fn::Sub"] for arn in trust.condition["ArnEquals"]["aws:PrincipalArn"]}
    names = {resources[role]["Properties"]["RoleName"]["Fn::Sub"] for role in set(function_roles.values())}
    assert trusted == {f"arn:${{AWS::Partition}}:iam::${{AWS::AccountId}}:role/{name}" for name in names}
    for role in function_roles.values():
        own = identity_of(statements, role)
        for action in ("sts:AssumeRole", "sts:TagSession"):
            assert allowed(own, action, "TenantAccessRole"), f"{role} cannot {action}"
        # The trust policy spells the ARN out: it must follow the role's real name.
        name = resources[role]["Properties"]["RoleName"]["Fn::Sub"]
        assert f"arn:${{AWS::Partition}}:iam::${{AWS::AccountId}}:role/{name}" in trusted, role


def test_audit_signing_key_is_p256_and_only_the_scheduler_signs(
    statements: list[Statement], resources: dict[str, Any]
) -> None:
    props = resources["AuditSigningKey"]["Properties"]
    assert (props["KeySpec"], props["KeyUsage"]) == ("ECC_NIST_P256", "SIGN_VERIFY")
    key = key_policy(statements, "AuditSigningKey")
    signers = {p for s in key if s.allows and s.covers("kms:Sign") for p in s.principals()}
    assert signers == {"SchedulerFunctionRole"}
    verifiers = {p for s in key if s.allows and s.covers("kms:Verify") for p in s.principals()}
    assert verifiers == {"ApiFunctionRole"}


def test_data_key_decrypts_only_for_provider_callers_in_a_tenant_context(
    statements: list[Statement],
) -> None:
    key = key_policy(statements, "DataKey")
    decrypters = [s for s in key if s.allows and s.covers("kms:Decrypt")]
    assert {p for s in decrypters for p in s.principals()} == DECRYPTERS | {"ApiFunctionRole"}
    encrypters = [s for s in key if s.allows and s.covers("kms:GenerateDataKey")]
    assert {p for s in encrypters for p in s.principals()} == {"ApiFunctionRole"}
    for statement in decrypters + encrypters:
        assert {"tenant", "purpose"} <= set(
            statement.condition["ForAllValues:StringEquals"]["kms:EncryptionContextKeys"]
        )
        assert statement.condition["Null"] == {
            "kms:EncryptionContext:tenant": "false",
            "kms:EncryptionContext:purpose": "false",
        }


# The purposes (encryption context) each role opens DataKey secrets under: what its code opens.
DECRYPTED_PURPOSES = {
    "WebhooksFunctionRole": {Provider.TWILIO.purpose, Provider.VOICE_AGENT.purpose},
    "DispatchFunctionRole": {Provider.TWILIO.purpose, Provider.VOICE_AGENT.purpose, Provider.DNC.purpose},
    "IntegrationCheckFunctionRole": {"provider:*"},
    "ContactIntakeFunctionRole": {Provider.DNC.purpose},
    "SchedulerFunctionRole": {Provider.DNC.purpose},
    "EventDeliveriesFunctionRole": {secret_purpose("*")},
    "ApiFunctionRole": {two_factor.PURPOSE},
}
PURPOSE = "kms:EncryptionContext:purpose"


def test_each_role_decrypts_the_data_key_only_under_its_own_purposes(statements: list[Statement]) -> None:
    """No grant opens every purpose: a dispatch bug cannot open a TOTP secret or an endpoint's key."""
    opened: dict[str, set[str]] = {}
    for statement in key_policy(statements, "DataKey"):
        if not (statement.allows and statement.covers("kms:Decrypt")):
            continue
        equal = statement.condition.get("StringEquals", {}).get(PURPOSE)
        like = statement.condition.get("StringLike", {}).get(PURPOSE)
        assert (equal is None) != (like is None), f"{statement.principals()} decrypt under any purpose"
        for role in statement.principals():
            opened.setdefault(role, set()).update(as_list(equal if equal is not None else like))
    assert opened == DECRYPTED_PURPOSES


def test_integration_check_opens_provider_credentials_only_and_only_the_api_invokes_it(
    statements: list[Statement], functions: dict[str, dict[str, Any]]
) -> None:
    key = key_policy(statements, "DataKey")
    (check,) = [s for s in key if s.allows and "IntegrationCheckFunctionRole" in s.principals()]
    assert check.condition["StringLike"] == {"kms:EncryptionContext:purpose": "provider:*"}
    own = identity_of(statements, "IntegrationCheckFunctionRole")
    assert not [s for s in own if s.allows and any(s.covers(a) for a in ITEM_WRITES)]
    check_name = functions["IntegrationCheckFunction"]["FunctionName"]["Fn::Sub"]
    invokers = {
        s.owner
        for s in statements
        if s.kind == "identity"
        and s.allows
        and s.covers("lambda:InvokeFunction")
        # a statement naming the check function, or any wildcard that could reach it
        and (check_name in json.dumps(s.resource) or "*" in json.dumps(s.resource))
    }
    assert invokers == {"ApiFunctionRole"}
    invoked = {
        s.resource["Fn::Sub"].rsplit(":function:", 1)[1]
        for s in identity_of(statements, "ApiFunctionRole")
        if s.covers("lambda:InvokeFunction")
    }
    # The alias: SnapStart applies to published versions only.
    assert invoked == {
        functions[name]["FunctionName"]["Fn::Sub"] + ":live"
        for name in ("IntegrationCheckFunction", "ContactIntakeFunction")
    }
    api_env = functions["ApiFunction"]["Environment"]["Variables"]
    assert api_env["GATEHOUSE_INTEGRATION_CHECK_FUNCTION"] == {"Fn::Sub": "${IntegrationCheckFunction}:live"}


def test_suppression_key_is_an_hmac_key_only_the_suppression_users_derive_from(
    statements: list[Statement], resources: dict[str, Any]
) -> None:
    props = resources["SuppressionKey"]["Properties"]
    assert (props["KeySpec"], props["KeyUsage"]) == ("HMAC_256", "GENERATE_VERIFY_MAC")
    key = key_policy(statements, "SuppressionKey")
    users = [s for s in key if s.allows and s.kind == "key" and "root" not in str(s.principal)]
    assert {p for s in users for p in s.principals()} == SUPPRESSION_KEY_USERS
    for statement in users:
        assert statement.actions == ("kms:generatemac",), "the users derive keys and do nothing else"
        assert statement.condition == {"StringEquals": {"kms:MacAlgorithm": "HMAC_SHA_256"}}
    identity = [s for s in statements if s.kind == "identity" and s.allows]
    assert not [s.owner for s in identity if s.covers("kms:GenerateMac")]


def test_intake_opens_only_dnc_credentials_and_import_files_only_under_imports(
    statements: list[Statement], resources: dict[str, Any]
) -> None:
    key = key_policy(statements, "DataKey")
    (intake,) = [s for s in key if s.allows and "ContactIntakeFunctionRole" in s.principals()]
    assert intake.condition["StringEquals"] == {"kms:EncryptionContext:purpose": "provider:dnc"}
    s3_rights = {
        (s.owner, action)
        for s in statements
        if s.kind == "identity" and s.allows
        for action in s.actions
        if action.startswith("s3:")
    }
    assert s3_rights == {
        ("ApiFunctionRole", "s3:putobject"),
        ("ApiFunctionRole", "s3:getobject"),
        ("ContactIntakeFunctionRole", "s3:getobject"),
        ("ContactIntakeFunctionRole", "s3:deleteobject"),
        ("TenantAccessRole", "s3:putobject"),
        ("TenantAccessRole", "s3:getobject"),
        ("TenantAccessRole", "s3:deleteobject"),
    }
    for statement in statements:
        if statement.owner == "TenantAccessRole":
            continue  # recordings, not imports: test_recordings_are_reached_only_under_the_sessions_tenant
        if statement.kind == "identity" and any(a.startswith("s3:") for a in statement.actions):
            assert statement.resource == {"Fn::Sub": "${ImportBucket.Arn}/imports/*"}
    bucket = resources["ImportBucket"]["Properties"]
    assert all(bucket["PublicAccessBlockConfiguration"].values())
    (rule,) = bucket["LifecycleConfiguration"]["Rules"]
    assert (rule["Prefix"], rule["ExpirationInDays"]) == ("imports/", 1)
    sse = bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"]
    assert sse == {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": {"Fn::GetAtt": ["StorageKey", "Arn"]}}
    (tls,) = resources["ImportBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    assert (tls["Effect"], tls["Condition"]) == ("Deny", {"Bool": {"aws:SecureTransport": "false"}})


def test_recordings_are_reached_only_under_the_sessions_tenant(
    statements: list[Statement], resources: dict[str, Any]
) -> None:
    """Only tenant sessions reach recordings, each under tenants/<its tenant>/; the bucket is private,
    TLS-only and SSE-KMS with the recording key, which only S3 uses, for the session's own prefix."""
    on_bucket = [
        s for s in statements if s.kind == "identity" and s.allows and "RecordingBucket" in str(s.resource)
    ]
    assert {s.owner for s in on_bucket} == {"TenantAccessRole"}
    (own,) = on_bucket
    assert own.resource == {"Fn::Sub": "${RecordingBucket.Arn}/tenants/${!aws:PrincipalTag/tenant}/*"}
    bucket = resources["RecordingBucket"]["Properties"]
    assert all(bucket["PublicAccessBlockConfiguration"].values())
    (rule,) = bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rule["ServerSideEncryptionByDefault"] == {
        "SSEAlgorithm": "aws:kms",
        "KMSMasterKeyID": {"Fn::GetAtt": ["RecordingKey", "Arn"]},
    }
    assert rule["BucketKeyEnabled"] is False  # the encryption context must name the object
    denies = {
        s["Sid"]: s for s in resources["RecordingBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    }
    assert denies["TlsOnly"]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert denies["RecordingKeyOnly"]["Effect"] == "Deny"
    key = [s for s in key_policy(statements, "RecordingKey") if s.allows and s.covers("kms:Decrypt")]
    (use,) = [s for s in key if not s.covers("kms:ScheduleKeyDeletion")]
    assert use.condition["StringEquals"]["kms:ViaService"] == {"Fn::Sub": "s3.${AWS::Region}.amazonaws.com"}
    assert use.condition["StringLike"] == {
        "kms:EncryptionContext:aws:s3:arn": {
            "Fn::Sub": "arn:${AWS::Partition}:s3:::*/tenants/${!aws:PrincipalTag/tenant}/*"
        }
    }


def test_the_api_decrypts_only_totp_secrets(statements: list[Statement]) -> None:
    """Credentials stay write-only for the API: its one decrypt grant is for purpose "totp"."""
    key = key_policy(statements, "DataKey")
    api_grants = [
        s for s in key if s.allows and s.covers("kms:Decrypt") and "ApiFunctionRole" in s.principals()
    ]
    assert api_grants
    for statement in api_grants:
        assert statement.principals() == {"ApiFunctionRole"}
        assert statement.condition["StringEquals"] == {"kms:EncryptionContext:purpose": "totp"}
    (deny,) = [
        s for s in identity_of(statements, "ApiFunctionRole") if not s.allows and s.covers("kms:Decrypt")
    ]
    assert deny.condition["StringNotEquals"] == {"kms:EncryptionContext:purpose": "totp"}
    assert deny.condition["ForAnyValue:StringEquals"]["kms:ResourceAliases"] == {
        "Fn::Sub": "alias/${AWS::StackName}-data"
    }


def test_only_the_api_and_the_events_function_send_mail_and_only_from_the_configured_sender(
    statements: list[Statement], functions: dict[str, dict[str, Any]]
) -> None:
    senders = [s for s in statements if s.allows and s.covers("ses:SendEmail")]
    # The API: sign-in links and invitations; the events function: notifications.
    assert {s.owner for s in senders} == {"ApiFunctionRole", "EventsFunctionRole"}
    for statement in senders:
        assert statement.actions == ("ses:sendemail",)
        assert not statement.on_everything()
        assert statement.condition["StringEquals"] == {"ses:FromAddress": {"Ref": "MailSender"}}
    for function in ("ApiFunction", "EventsFunction"):
        assert functions[function]["Environment"]["Variables"]["GATEHOUSE_MAIL_SENDER"] == {
            "Ref": "MailSender"
        }


@pytest.mark.parametrize("key", ["StorageKey", "DataKey", "AuditSigningKey", "SuppressionKey"])
def test_account_root_administers_keys_without_using_them(statements: list[Statement], key: str) -> None:
    root = [s for s in key_policy(statements, key) if "iam::${AWS::AccountId}:root" in str(s.principal)]
    assert root, f"{key} has no administrator"
    for action in (
        "kms:Decrypt",
        "kms:Encrypt",
        "kms:GenerateDataKey",
        "kms:Sign",
        "kms:CreateGrant",
        "kms:GenerateMac",
        "kms:VerifyMac",
    ):
        assert not [s for s in root if s.covers(action)], f"root may {action} with {key}"
    assert [s for s in root if s.covers("kms:PutKeyPolicy")], f"{key} would be unmanageable"


def test_only_key_policies_grant_key_use(statements: list[Statement]) -> None:
    identity = [s for s in statements if s.kind == "identity" and s.allows]
    for action in ("kms:Decrypt", "kms:Sign", "kms:GenerateDataKey"):
        assert not [s.owner for s in identity if s.covers(action)], action


def test_storage_key_services_are_bound_to_this_account(statements: list[Statement]) -> None:
    for statement in key_policy(statements, "StorageKey"):
        if statement.principal == {"AWS": "*"}:
            assert statement.condition["StringEquals"]["kms:CallerAccount"] == {"Ref": "AWS::AccountId"}
            assert "kms:ViaService" in statement.condition["StringEquals"]


def test_functions_follow_the_contract_each_with_its_own_role(
    functions: dict[str, dict[str, Any]], function_roles: dict[str, str], resources: dict[str, Any]
) -> None:
    assert set(functions) == set(CONTRACT_FUNCTIONS)
    assert len(set(function_roles.values())) == len(function_roles)
    assert {resources[role]["Type"] for role in function_roles.values()} == {"AWS::IAM::Role"}
    for name, (code_uri, handler) in CONTRACT_FUNCTIONS.items():
        assert (functions[name]["CodeUri"], functions[name]["Handler"]) == (code_uri, handler)
        module, entry = handler.split(".")
        tree = ast.parse((ROOT / code_uri / f"{module}.py").read_text(encoding="utf-8"))
        defined = {node.name for node in tree.body if isinstance(node, ast.FunctionDef)}
        assert entry in defined, f"{code_uri}{module}.py has no {entry}"


def test_every_function_runs_python312_on_arm_with_the_shared_layer_and_tracing(
    template: dict[str, Any], functions: dict[str, dict[str, Any]]
) -> None:
    defaults = template["Globals"]["Function"]
    for name, props in functions.items():
        settings = {**defaults, **props}
        assert settings["Runtime"] == "python3.12", name
        assert settings["Architectures"] == ["arm64"], name
        assert settings["Tracing"] == "Active", name
        assert {"Ref": "SharedLayer"} in settings["Layers"], name


def test_shared_layer_builds_from_its_pinned_requirements(resources: dict[str, Any]) -> None:
    layer, props = resources["SharedLayer"], resources["SharedLayer"]["Properties"]
    assert (props["ContentUri"], props["CompatibleRuntimes"]) == ("layers/shared/python/", ["python3.12"])
    assert layer["Metadata"]["BuildMethod"] == "python3.12"
    assert (ROOT / "layers/shared/python/requirements.txt").is_file()


# SAM's python3.12 layer build copies ContentUri into the layer's python/, so the
# package must sit at the top of ContentUri for Lambda to import it from /opt/python.
def test_layer_content_puts_gatehouse_where_lambda_imports_from(resources: dict[str, Any]) -> None:
    content = ROOT / resources["SharedLayer"]["Properties"]["ContentUri"]
    assert (content / "gatehouse" / "__init__.py").is_file()
    assert (content / "requirements.txt").is_file()


def test_every_function_gets_the_contract_environment(
    template: dict[str, Any], functions: dict[str, dict[str, Any]]
) -> None:
    shared = template["Globals"]["Function"]["Environment"]["Variables"]
    assert set(shared) >= CONTRACT_ENV
    assert references(shared["GATEHOUSE_TENANT_ROLE_ARN"]) == {"TenantAccessRole"}
    assert references(shared["GATEHOUSE_DATA_KEY_ID"]) == {"DataKey"}
    assert references(shared["GATEHOUSE_SIGNING_KEY_ID"]) == {"AuditSigningKey"}
    assert references(shared["GATEHOUSE_SUPPRESSION_KEY_ID"]) == {"SuppressionKey"}
    api_env = functions["ApiFunction"]["Environment"]["Variables"]
    assert api_env["GATEHOUSE_DISPATCH_STATE_MACHINE_ARN"] == {"Ref": "DispatchStateMachine"}


def test_every_async_invoked_function_has_a_dead_letter_queue(
    functions: dict[str, dict[str, Any]], statements: list[Statement], function_roles: dict[str, str]
) -> None:
    asynchronous = {
        name
        for name, props in functions.items()
        if any(e["Type"] in ASYNC_EVENT_TYPES for e in props.get("Events", {}).values())
    }
    assert asynchronous == {"SchedulerFunction"}
    for name in asynchronous | INVOKED_ASYNCHRONOUSLY:
        props = functions[name]
        assert props["DeadLetterQueue"]["Type"] == "SQS"
        (queue,) = references(props["DeadLetterQueue"]["TargetArn"])
        assert props["EventInvokeConfig"]["MaximumRetryAttempts"] <= 2
        own = identity_of(statements, function_roles[name])
        assert allowed(own, "sqs:SendMessage", queue), f"{name} cannot write its DLQ"


def test_scheduler_runs_the_heartbeat_every_five_minutes(functions: dict[str, dict[str, Any]]) -> None:
    event = functions["SchedulerFunction"]["Events"]["Heartbeat"]
    assert event["Type"] == "Schedule"
    assert event["Properties"]["Schedule"] == "rate(5 minutes)"
    assert json.loads(event["Properties"]["Input"]) == {"job": "heartbeat"}
    assert references(event["Properties"]["DeadLetterConfig"]["Arn"]) == {"SchedulerDLQ"}


def test_scheduler_signs_audit_checkpoints_every_hour_with_what_the_job_needs(
    functions: dict[str, dict[str, Any]], statements: list[Statement]
) -> None:
    event = functions["SchedulerFunction"]["Events"]["AuditCheckpoints"]
    assert event["Type"] == "Schedule"
    assert event["Properties"]["Schedule"] == "rate(1 hour)"
    assert json.loads(event["Properties"]["Input"]) == {"job": "audit_checkpoints"}
    assert references(event["Properties"]["DeadLetterConfig"]["Arn"]) == {"SchedulerDLQ"}
    own = identity_of(statements, "SchedulerFunctionRole")
    assert allowed(own, "sts:AssumeRole", "TenantAccessRole"), "each tenant's chain is read as that tenant"
    assert allowed(own, "dynamodb:Query", "MainTable"), "tenants are listed from gsi1"
    key = key_policy(statements, "AuditSigningKey")
    readers = {p for s in key if s.allows and s.covers("kms:GetPublicKey") for p in s.principals()}
    assert "SchedulerFunctionRole" in readers
    (signing,) = [s for s in key if s.allows and s.covers("kms:Sign")]
    assert signing.condition["StringEquals"]["kms:MessageType"] == "RAW"


def test_api_routes_reach_the_right_functions(functions: dict[str, dict[str, Any]]) -> None:
    def routes(name: str) -> set[tuple[str, str]]:
        events = functions[name]["Events"].values()
        assert all(e["Properties"]["RestApiId"] == {"Ref": "GatehouseApi"} for e in events)
        return {(e["Properties"]["Method"], e["Properties"]["Path"]) for e in events}

    assert routes("ApiFunction") == {("ANY", "/"), ("ANY", "/{proxy+}")}
    assert routes("WebhooksFunction") == {("ANY", "/webhooks/{proxy+}")}


def test_api_stage_traces_and_logs_access_but_never_bodies(resources: dict[str, Any]) -> None:
    api = resources["GatehouseApi"]["Properties"]
    assert api["TracingEnabled"] is True
    assert api["StageName"] == {"Ref": "Stage"}
    assert references(api["AccessLogSetting"]["DestinationArn"]) == {"ApiAccessLogGroup"}
    for setting in api["MethodSettings"]:
        assert setting["DataTraceEnabled"] is False
        assert {"ThrottlingRateLimit", "ThrottlingBurstLimit"} <= set(setting)


def test_state_machine_substitutions_cover_every_placeholder(
    dispatch_machine: dict[str, Any], asl_text: str, resources: dict[str, Any]
) -> None:
    placeholders = set(re.findall(r"\$\{([^}]+)\}", asl_text))
    substitutions = dispatch_machine["DefinitionSubstitutions"]
    assert placeholders == set(substitutions)
    for placeholder, function in DISPATCH_TASKS.items():
        assert substitutions[placeholder] == {"Ref": f"{function}.Alias"}  # SnapStart: versions only
    assert all(
        {r.removesuffix(".Alias") for r in references(v)} <= set(resources) for v in substitutions.values()
    )


DISPATCH_TASKS = {
    "TenantGateFunctionArn": "TenantGateFunction",
    "PlanFunctionArn": "DispatchPlanFunction",
    "BatchFunctionArn": "DispatchBatchFunction",
    "SettleFunctionArn": "DispatchSettleFunction",
}
SENDS = "${BatchFunctionArn}"
BOOKKEEPING = "${SettleFunctionArn}"


def all_states(definition: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every state of the machine, the Map's item processor states included (names are unique)."""
    found: dict[str, dict[str, Any]] = {}
    for name, state in definition["States"].items():
        found[name] = state
        processor = state.get("ItemProcessor") or state.get("Iterator")
        if processor:
            found.update(all_states(processor))
    return found


def test_state_machine_invokes_the_dispatch_functions_and_only_the_api_and_itself_start_it(
    dispatch_machine: dict[str, Any], policy_templates: dict[str, list[str]], statements: list[Statement]
) -> None:
    assert set(policy_templates["DispatchStateMachine"]) == {"LambdaInvokePolicy"}
    invoked = [
        p["LambdaInvokePolicy"]["FunctionName"]
        for p in dispatch_machine["Policies"]
        if "LambdaInvokePolicy" in p
    ]
    assert sorted(references(i).pop() for i in invoked) == sorted(DISPATCH_TASKS.values())
    assert (dispatch_machine["Type"], dispatch_machine["Tracing"]) == ("STANDARD", {"Enabled": True})
    starters = [s for s in statements if s.allows and s.covers("states:StartExecution")]
    # The ARN is spelled out (a !Ref would be a cycle): it must follow the machine's name.
    arn = "arn:${AWS::Partition}:states:${AWS::Region}:${AWS::AccountId}:stateMachine:"
    assert {s.owner for s in starters} == {"ApiFunctionRole", "SchedulerFunctionRole", "DispatchStateMachine"}
    for start in starters:
        assert start.resource == {"Fn::Sub": arn + dispatch_machine["Name"]["Fn::Sub"]}


def test_batches_fan_out_to_express_child_executions(asl: dict[str, Any]) -> None:
    (fan_out,) = [s for s in asl["States"].values() if s["Type"] == "Map"]
    assert fan_out["ItemProcessor"]["ProcessorConfig"] == {"Mode": "DISTRIBUTED", "ExecutionType": "EXPRESS"}
    # Items carry ids only: the tenant, the campaign, the run, up to 500 contact ids, and
    # whether those ids are a contiguous key range of the audience (how the batch reads them).
    assert set(fan_out["ItemSelector"]) == {
        "tenant_id.$",
        "campaign_id.$",
        "run_id.$",
        "contact_ids.$",
        "contiguous.$",
    }


def test_every_task_fails_closed(asl: dict[str, Any]) -> None:
    """Every Catch leads to bookkeeping only: no Map and no task but the settle function after it."""
    states = all_states(asl)
    assert asl["StartAt"] in states
    tasks = {name: state for name, state in states.items() if state["Type"] == "Task"}
    assert {t["Resource"] for t in tasks.values()} == {f"${{{k}}}" for k in DISPATCH_TASKS}
    for name, task in tasks.items():
        if task["Resource"] == BOOKKEEPING:
            continue
        catches = task.get("Catch", [])
        assert any("States.ALL" in c["ErrorEquals"] for c in catches), f"{name} lets an error escape"
        for catch in catches:
            after = reachable(states, catch["Next"])
            assert not [s for s in after if states[s]["Type"] in {"Map", "Parallel"}], name
            assert {states[s]["Resource"] for s in after if states[s]["Type"] == "Task"} <= {BOOKKEEPING}, (
                name
            )
    for name in ("CheckRun", "PlanPage"):
        after = reachable(states, tasks[name]["Catch"][0]["Next"])
        ends = {s for s in after if not successors(states[s]) and not states[s].get("End")}
        assert {states[s]["Type"] for s in ends} == {"Fail"}, f"{name} Catch ends in {ends}"


def test_the_sending_task_retries_only_lambda_throttling(asl: dict[str, Any]) -> None:
    """A throttled invocation never ran, so retrying it cannot send twice; nothing else is retried."""
    (send,) = [s for s in all_states(asl).values() if s.get("Resource") == SENDS]
    assert [set(r["ErrorEquals"]) for r in send["Retry"]] == [{"Lambda.TooManyRequestsException"}]


@pytest.mark.parametrize(
    ("event_name", "rate", "job"),
    [
        ("DncRescrub", "rate(1 hour)", "dnc_rescrub"),
        ("DncStaleness", "rate(1 hour)", "dnc_staleness"),
        ("RetentionPurge", "rate(1 day)", "retention_purge"),
    ],
)
def test_lifecycle_jobs_run_on_their_schedules_into_the_scheduler_dlq(
    functions: dict[str, dict[str, Any]], event_name: str, rate: str, job: str
) -> None:
    event = functions["SchedulerFunction"]["Events"][event_name]
    assert event["Type"] == "Schedule"
    assert event["Properties"]["Schedule"] == rate
    assert json.loads(event["Properties"]["Input"]) == {"job": job}
    assert references(event["Properties"]["DeadLetterConfig"]["Arn"]) == {"SchedulerDLQ"}
    assert event["Properties"]["RetryPolicy"]["MaximumRetryAttempts"] <= 3


def test_the_scheduler_has_time_for_a_chunk_after_its_stop_margin(
    functions: dict[str, dict[str, Any]],
) -> None:
    from gatehouse.jobs.tenants import DEFAULT_MARGIN_MS

    # The chunked jobs stop DEFAULT_MARGIN_MS before the timeout: the rest is their working time.
    assert functions["SchedulerFunction"]["Timeout"] * 1000 >= 4 * DEFAULT_MARGIN_MS


def test_the_scheduler_opens_only_dnc_credentials_and_finds_due_items_on_the_time_index(
    statements: list[Statement],
) -> None:
    key = key_policy(statements, "DataKey")
    (opener,) = [s for s in key if s.allows and "SchedulerFunctionRole" in s.principals()]
    assert opener.covers("kms:Decrypt")
    assert not opener.covers("kms:Encrypt")
    assert opener.condition["StringEquals"] == {"kms:EncryptionContext:purpose": "provider:dnc"}
    own = identity_of(statements, "SchedulerFunctionRole")
    assert allowed(own, "sts:AssumeRole", "TenantAccessRole"), "due items are read as their tenant"
    tenant = identity_of(statements, "TenantAccessRole")
    assert allowed(tenant, "dynamodb:Query", "MainTable"), "due items are read from gsi2"
    assert not allowed(own, "dynamodb:Scan", "MainTable")


@pytest.mark.parametrize(
    ("alarm_name", "metric"),
    [
        ("DncSourceFailureAlarm", "DncRescrubSourceFailed"),
        ("ScheduledJobTenantFailedAlarm", "ScheduledJobTenantFailed"),
    ],
)
def test_alarms_watch_dnc_source_failures_and_failed_tenants_of_jobs(
    resources: dict[str, Any], alarm_name: str, metric: str
) -> None:
    alarm = resources[alarm_name]["Properties"]
    assert (alarm["Namespace"], alarm["MetricName"]) == ("Gatehouse", metric)
    assert alarm["Dimensions"] == [{"Name": "service", "Value": "gatehouse"}]
    assert (alarm["Threshold"], alarm["ComparisonOperator"]) == (0, "GreaterThanThreshold")
    assert references(alarm["AlarmActions"]) == {"AlarmTopic"}


def test_alarms_watch_the_dlq_and_failed_dispatch_runs(resources: dict[str, Any]) -> None:
    dlq = resources["SchedulerDLQDepthAlarm"]["Properties"]
    assert dlq["MetricName"] == "ApproximateNumberOfMessagesVisible"
    assert (dlq["Threshold"], dlq["ComparisonOperator"]) == (0, "GreaterThanThreshold")
    assert references(dlq["Dimensions"]) == {"SchedulerDLQ"}
    runs = resources["DispatchFailuresAlarm"]["Properties"]
    assert runs["MetricName"] == "ExecutionsFailed"
    assert references(runs["Dimensions"]) == {"DispatchStateMachine"}
    for alarm in (dlq, runs):
        assert references(alarm["AlarmActions"]) == {"AlarmTopic"}
    assert resources["AlarmEmailSubscription"]["Condition"] == "HasAlarmEmail"


def test_an_alarm_watches_rejected_webhook_signatures(resources: dict[str, Any]) -> None:
    alarm = resources["WebhookSignatureRejectedAlarm"]["Properties"]
    assert (alarm["Namespace"], alarm["MetricName"]) == ("Gatehouse", "WebhookSignatureRejected")
    assert alarm["Dimensions"] == [{"Name": "service", "Value": "gatehouse"}]
    assert alarm["Statistic"] == "Sum"
    assert references(alarm["AlarmActions"]) == {"AlarmTopic"}


def test_an_alarm_watches_a_spike_of_failed_authentications(resources: dict[str, Any]) -> None:
    alarm = resources["AuthenticationFailedAlarm"]["Properties"]
    assert (alarm["Namespace"], alarm["MetricName"]) == ("Gatehouse", "AuthenticationFailed")
    assert alarm["Dimensions"] == [{"Name": "service", "Value": "gatehouse"}]
    assert (alarm["Statistic"], alarm["Period"], alarm["Threshold"]) == ("Sum", 300, 50)
    assert references(alarm["AlarmActions"]) == {"AlarmTopic"}


def test_webhook_signatures_cover_the_configured_public_url(template: dict[str, Any]) -> None:
    shared = template["Globals"]["Function"]["Environment"]["Variables"]
    assert shared["GATEHOUSE_PUBLIC_BASE_URL"] == {"Ref": "PublicBaseUrl"}
    assert template["Parameters"]["PublicBaseUrl"]["Default"] == ""


def test_stripe_secrets_reach_only_the_function_that_uses_each(
    template: dict[str, Any], functions: dict[str, dict[str, Any]]
) -> None:
    for name in ("StripeApiKey", "StripeWebhookSecret"):
        assert template["Parameters"][name]["NoEcho"] is True
    holders = {
        variable: {
            fn
            for fn, props in functions.items()
            if variable in props.get("Environment", {}).get("Variables", {})
        }
        for variable in ("GATEHOUSE_STRIPE_API_KEY", "GATEHOUSE_STRIPE_WEBHOOK_SECRET")
    }
    assert holders == {
        "GATEHOUSE_STRIPE_API_KEY": {"ApiFunction"},
        "GATEHOUSE_STRIPE_WEBHOOK_SECRET": {"WebhooksFunction"},
    }


def test_outputs_name_what_operators_need(template: dict[str, Any]) -> None:
    expected = {"ApiUrl", "MainTableName", "AuditTableName", "DispatchStateMachineArn", "DataKeyId"}
    assert set(template["Outputs"]) >= expected | {"AuditSigningKeyId"}


def test_cfn_lint_reports_nothing() -> None:
    cfn_lint = Path(sys.executable).parent / "cfn-lint"
    result = subprocess.run(
        [str(cfn_lint), str(TEMPLATE_PATH)], capture_output=True, text=True, check=False, timeout=300
    )
    assert (result.returncode, result.stdout.strip()) == (0, ""), result.stdout + result.stderr


def test_every_schedule_rule_may_write_the_scheduler_dlq(
    functions: dict[str, dict[str, Any]], resources: dict[str, Any]
) -> None:
    (allow,) = [
        s
        for s in resources["SchedulerDLQPolicy"]["Properties"]["PolicyDocument"]["Statement"]
        if s["Effect"] == "Allow"
    ]
    allowed_rules = {
        arn["Fn::Sub"].rsplit("rule/", 1)[1] for arn in allow["Condition"]["ArnEquals"]["aws:SourceArn"]
    }
    scheduled = {
        event["Properties"]["Name"]["Fn::Sub"]
        for event in functions["SchedulerFunction"]["Events"].values()
        if event["Type"] == "Schedule"
    }
    assert scheduled == allowed_rules


def test_every_function_starts_from_a_snapstart_snapshot_through_its_alias(
    template: dict[str, Any], functions: dict[str, dict[str, Any]]
) -> None:
    defaults = template["Globals"]["Function"]
    for name, props in functions.items():
        settings = {**defaults, **props}
        assert settings["SnapStart"] == {"ApplyOn": "PublishedVersions"}, name
        assert settings["AutoPublishAlias"] == "live", name


def test_campaign_schedules_start_only_the_scheduler_and_only_the_api_makes_them(
    resources: dict[str, Any], statements: list[Statement], functions: dict[str, dict[str, Any]]
) -> None:
    """Issue 20: one-time schedules the API creates per campaign invoke the scheduler function's alias."""
    assert resources["CampaignScheduleGroup"]["Type"] == "AWS::Scheduler::ScheduleGroup"
    role = resources["CampaignScheduleRole"]["Properties"]
    (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "scheduler.amazonaws.com"}
    assert trust["Condition"] == {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}
    scheduler_alias = functions["SchedulerFunction"]["FunctionName"]["Fn::Sub"] + ":live"
    own = [s for s in identity_of(statements, "CampaignScheduleRole") if s.allows]
    assert {a for s in own for a in s.actions} == {"lambda:invokefunction", "sqs:sendmessage"}
    (invoke,) = [s for s in own if s.covers("lambda:InvokeFunction")]
    assert invoke.resource["Fn::Sub"].endswith(":function:" + scheduler_alias)
    makers = {
        s.owner
        for s in statements
        if s.kind == "identity" and s.allows and s.covers("scheduler:CreateSchedule")
    }
    assert makers == {"ApiFunctionRole"}
    api = [s for s in identity_of(statements, "ApiFunctionRole") if s.allows]
    (schedule,) = [s for s in api if s.covers("scheduler:CreateSchedule")]
    assert schedule.resource["Fn::Sub"].endswith(
        ":schedule/${AWS::StackName}-campaign-starts/campaign-start-*"
    )
    (passing,) = [s for s in api if s.covers("iam:PassRole")]
    assert passing.on("CampaignScheduleRole")
    assert passing.condition == {"StringEquals": {"iam:PassedToService": "scheduler.amazonaws.com"}}
    env = functions["ApiFunction"]["Environment"]["Variables"]
    assert env["GATEHOUSE_CAMPAIGN_SCHEDULE_TARGET_ARN"]["Fn::Sub"].endswith(":function:" + scheduler_alias)
    assert env["GATEHOUSE_CAMPAIGN_SCHEDULE_GROUP"] == {"Ref": "CampaignScheduleGroup"}


def test_event_deliveries_are_queued_encrypted_with_a_dlq_and_consumed_with_partial_failures(
    resources: dict[str, Any], functions: dict[str, dict[str, Any]], statements: list[Statement]
) -> None:
    queue = resources["EventDeliveriesQueue"]["Properties"]
    dlq = resources["EventDeliveriesDLQ"]["Properties"]
    for props in (queue, dlq):
        assert references(props["KmsMasterKeyId"]) == {"StorageKey"}
    assert references(queue["RedrivePolicy"]["deadLetterTargetArn"]) == {"EventDeliveriesDLQ"}
    assert dlq["MessageRetentionPeriod"] == 1209600
    fn = functions["EventDeliveriesFunction"]
    (event,) = fn["Events"].values()
    assert event["Type"] == "SQS"
    assert references(event["Properties"]["Queue"]) == {"EventDeliveriesQueue"}
    assert event["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert queue["VisibilityTimeout"] >= 6 * fn["Timeout"]
    own = identity_of(statements, "EventDeliveriesFunctionRole")
    for action in ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:SendMessage"):
        assert allowed(own, action, "EventDeliveriesQueue"), action
    assert allowed(own, "sqs:SendMessage", "EventDeliveriesDLQ")
    assert references(fn["Environment"]["Variables"]["GATEHOUSE_EVENT_DELIVERIES_DLQ_URL"]) == {
        "EventDeliveriesDLQ"
    }
    alarm = resources["EventDeliveriesDLQDepthAlarm"]["Properties"]
    assert references(alarm["Dimensions"]) == {"EventDeliveriesDLQ"}


def test_the_delivery_function_opens_endpoint_secrets_only_and_only_it_opens_them(
    statements: list[Statement],
) -> None:
    key = key_policy(statements, "DataKey")
    (deliveries,) = [s for s in key if s.allows and "EventDeliveriesFunctionRole" in s.principals()]
    assert deliveries.actions == ("kms:decrypt",)
    assert deliveries.condition["StringLike"] == {"kms:EncryptionContext:purpose": "event_endpoint:*"}
    own = identity_of(statements, "EventDeliveriesFunctionRole")
    assert not [s for s in own if s.allows and any(s.covers(a) for a in ITEM_WRITES)]


def test_the_local_receiver_exception_is_never_set_in_aws(template: dict[str, Any]) -> None:
    assert "EVENTS_ALLOW_LOOPBACK" not in json.dumps(template)


def test_both_tables_stream_new_images(resources: dict[str, Any]) -> None:
    for table in ("MainTable", "AuditTable"):
        assert resources[table]["Properties"]["StreamSpecification"] == {"StreamViewType": "NEW_IMAGE"}, table


def test_only_the_events_function_reads_the_streams_and_only_them(
    statements: list[Statement], function_roles: dict[str, str]
) -> None:
    readers = {s.owner for s in statements if s.allows and any(s.covers(a) for a in STREAM_ACTIONS)}
    assert readers == {function_roles["EventsFunction"]}
    own = identity_of(statements, function_roles["EventsFunction"])
    (reading,) = [s for s in own if s.allows and any(s.covers(a) for a in STREAM_ACTIONS)]
    assert set(reading.actions) == STREAM_ACTIONS
    assert _reads_streams_only(reading)
    assert references(reading.resource) == {"MainTable", "AuditTable"}
    for action in (*DATA_ACTIONS, "dynamodb:PutItem"):
        assert not allowed(own, action, "AuditTable"), action


def test_the_events_function_hears_only_what_its_consumers_care_about_with_bounded_retries(
    functions: dict[str, dict[str, Any]], statements: list[Statement], function_roles: dict[str, str]
) -> None:
    events = functions["EventsFunction"]["Events"]
    assert {name: e["Type"] for name, e in events.items()} == {
        "AuditEntries": "DynamoDB",
        "MessageOutcomes": "DynamoDB",
    }
    own = identity_of(statements, function_roles["EventsFunction"])
    for event, table in (("AuditEntries", "AuditTable"), ("MessageOutcomes", "MainTable")):
        props = events[event]["Properties"]
        assert props["Stream"] == {"Fn::GetAtt": [table, "StreamArn"]}
        assert props["StartingPosition"] == "LATEST"
        assert props["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
        assert props["BisectBatchOnFunctionError"] is True
        assert 0 <= props["MaximumRetryAttempts"] <= 10
        assert 60 <= props["MaximumRecordAgeInSeconds"] <= 86400  # within the stream's 24 h
        failure = props["DestinationConfig"]["OnFailure"]
        assert (failure["Type"], references(failure["Destination"])) == ("SQS", {"EventsDLQ"})
        assert allowed(own, "sqs:SendMessage", "EventsDLQ")
    (audit,) = [
        json.loads(f["Pattern"]) for f in events["AuditEntries"]["Properties"]["FilterCriteria"]["Filters"]
    ]
    assert audit["eventName"] == ["INSERT"]
    assert set(audit["dynamodb"]["NewImage"]["action"]["S"]) == set(AUDITED)
    (main,) = [
        json.loads(f["Pattern"]) for f in events["MessageOutcomes"]["Properties"]["FilterCriteria"]["Filters"]
    ]
    heard = [stream.OUTCOME_COLLECTION, stream.SHEET_COLLECTION, stream.DELIVERY_COLLECTION]
    assert main["dynamodb"]["Keys"]["pk"]["S"] == [{"suffix": f"#{collection}"} for collection in heard]


def test_the_events_dlq_is_encrypted_and_watched(resources: dict[str, Any]) -> None:
    queue = resources["EventsDLQ"]["Properties"]
    assert queue["KmsMasterKeyId"] == {"Ref": "StorageKey"}
    alarm = resources["EventsDLQDepthAlarm"]["Properties"]
    assert references(alarm["Dimensions"]) == {"EventsDLQ"}
    assert alarm["AlarmActions"] == [{"Ref": "AlarmTopic"}]
