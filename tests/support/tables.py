"""Create the DynamoDB tables that template.yaml declares (keys, GSIs, TTL) in moto."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import boto3
from cfnlint.decode.cfn_yaml import load

from gatehouse.config import Settings

ROOT = Path(__file__).resolve().parents[2]
TABLE_ENV = {"MainTable": "main_table", "AuditTable": "audit_table", "IdempotencyTable": "idempotency_table"}


def template_tables() -> dict[str, dict[str, Any]]:
    resources = load(os.environ.get("GATEHOUSE_TEMPLATE", str(ROOT / "template.yaml")))["Resources"]
    return {
        name: res["Properties"] for name, res in resources.items() if res["Type"] == "AWS::DynamoDB::Table"
    }


def create_tables(settings: Settings) -> None:
    client = boto3.client("dynamodb", region_name=settings.region)
    for logical_id, props in template_tables().items():
        name = getattr(settings, TABLE_ENV[logical_id])
        args: dict[str, Any] = {
            "TableName": name,
            "KeySchema": props["KeySchema"],
            "AttributeDefinitions": props["AttributeDefinitions"],
            "BillingMode": "PAY_PER_REQUEST",
        }
        if props.get("GlobalSecondaryIndexes"):
            args["GlobalSecondaryIndexes"] = props["GlobalSecondaryIndexes"]
        client.create_table(**args)
        ttl = props.get("TimeToLiveSpecification")
        if ttl and ttl.get("Enabled"):
            client.update_time_to_live(
                TableName=name,
                TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl["AttributeName"]},
            )
