"""boto3 clients for test fixtures, built once per test process.

Building a client costs more than the moto calls a fixture makes with it. moto
intercepts requests of clients built before or after ``mock_aws`` started alike,
and every test gets a fresh moto account, so reusing clients shares no state.
"""

from __future__ import annotations

import functools
from typing import Any

import boto3


@functools.cache
def session() -> boto3.Session:
    """One session: a fresh one reloads botocore's endpoint and service data."""
    return boto3.Session()


@functools.cache
def client(service: str, region: str | None = None) -> Any:
    return session().client(service, region_name=region)  # type: ignore[call-overload]
