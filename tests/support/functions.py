"""Load a function's handler module in-process, exactly as the local runtime does."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from types import ModuleType

import boto3

from local.functions import LocalFunction, install_lambda_shim, load_handler, load_module, remove_lambda_shim
from local.template import load_template


def load_function_module(logical_id: str) -> ModuleType:
    return load_module(load_template().function(logical_id))


@contextmanager
def served_in_moto(logical_id: str) -> Iterator[str]:
    """Create the template function in moto's (mocked) Lambda and serve its invocations with its real handler.

    Inside ``mock_aws(config={"lambda": {"use_docker": False}})``: a ``lambda.invoke`` of
    the returned name runs the handler in this process, as the local runtime does.
    """
    spec = load_template().function(logical_id)
    iam = boto3.client("iam")
    role = iam.create_role(
        RoleName=f"{logical_id}-role",
        AssumeRolePolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "lambda.amazonaws.com"},
                        "Action": "sts:AssumeRole",
                    }
                ],
            }
        ),
    )["Role"]["Arn"]
    name = f"test-{logical_id}"
    created = boto3.client("lambda").create_function(
        FunctionName=name,
        Runtime=spec.runtime,
        Role=role,
        Handler=spec.handler,
        Code={"ZipFile": _empty_zip()},
    )
    served = [LocalFunction(spec, name, created["FunctionArn"], load_handler(spec))]
    install_lambda_shim(served)
    try:
        yield name
    finally:
        remove_lambda_shim(served)


def _empty_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("SERVED.txt", "served in-process by tests.support.functions\n")
    return buffer.getvalue()
