"""DynamoDB Local as the tests and the local runtime run it: one shared database, gone with its starter."""

from __future__ import annotations

import socket
import subprocess
import sys
import time

import boto3

from local.dynamodb_local import ROOT

STARTER = """
import os, sys
from local.dynamodb_local import DynamoDBLocal
server = DynamoDBLocal().start()
print(server.port, flush=True)
os.kill(os.getpid(), 9)  # dies without stopping anything
"""


def listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def test_every_access_key_and_region_sees_the_same_tables(dynamodb_local: str) -> None:
    # -sharedDb: per-tenant credentials (and any region) reach the one database the tables are in.
    def tables(key: str, region: str) -> list[str]:
        client = boto3.client(
            "dynamodb",
            endpoint_url=dynamodb_local,
            region_name=region,
            aws_access_key_id=key,
            aws_secret_access_key=key,
            aws_session_token=f"{key}-session",
        )
        return sorted(client.list_tables()["TableNames"])

    assert tables("testing", "us-east-1")
    assert tables("ASIATENANTA", "us-east-1") == tables("testing", "us-east-1")
    assert tables("ASIATENANTB", "eu-west-1") == tables("testing", "us-east-1")


def test_dynamodb_local_stops_when_the_process_that_started_it_is_killed() -> None:
    starter = subprocess.run(
        [sys.executable, "-c", STARTER], cwd=ROOT, capture_output=True, text=True, timeout=180, check=False
    )
    port = int(starter.stdout.split()[0])
    assert starter.returncode == -9

    deadline = time.monotonic() + 20
    while listening(port) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not listening(port), "DynamoDB Local outlived the process that started it"
