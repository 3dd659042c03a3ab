"""Every change this project makes to moto's internals, checked against the moto it was written for.

Two remain, both outside DynamoDB (DynamoDB Local is AWS's own engine and needs none):

- the Lambda shim: ``moto.awslambda_simple.models.LambdaSimpleBackend.invoke`` hands
  invocations of the functions the runtime serves (from Step Functions, the CLI,
  anyone) to their real handlers in this process. ``LambdaResponse.invoke`` calls it
  with the function name or ARN and the request body, and turns the
  ``x-amz-function-error`` response header it may set into the ``FunctionError`` of
  the Invoke API; Step Functions' Task state raises that as an error named by the
  payload's ``errorType``, so ``Retry``/``Catch`` behave as in AWS. Functions not
  served keep moto's behaviour.
- deferred RSA keys (tests only): moto gives every KMS key a private key for
  Sign/Verify, an RSA-2048 one for symmetric and HMAC specs that only a misuse would
  read. Generating it costs more than most tests, and every test creates such keys,
  so it is generated the first time moto reads it; keys answer exactly as before.

Importing this module fails unless moto is the version pinned in requirements-dev.txt:
the names patched here are private and change between releases.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable
from importlib.metadata import version
from typing import TYPE_CHECKING, Any

import moto.kms.models
from cryptography.hazmat.primitives.asymmetric import rsa
from moto.awslambda_simple.models import LambdaSimpleBackend
from moto.kms.utils import AbstractPrivateKey, KeySpec, RSAPrivateKey, generate_private_key

if TYPE_CHECKING:
    from local.functions import LocalFunction

MOTO_VERSION = "5.2.5"
if version("moto") != MOTO_VERSION:
    raise ImportError(
        f"local.moto_patches was written for moto {MOTO_VERSION}, not {version('moto')}: "
        "check each patched name against the new release, then change MOTO_VERSION"
    )

# ------------------------------------------------------------------ the Lambda shim
_ORIGINAL_INVOKE = LambdaSimpleBackend.invoke
_SERVED: dict[str, LocalFunction] = {}


def _bare_name(name_or_arn: str) -> str:
    """``name``, ``name:qualifier`` or a function ARN (with or without qualifier) -> ``name``."""
    if name_or_arn.startswith("arn:"):
        return name_or_arn.split(":")[6]
    return name_or_arn.partition(":")[0]


def _served_invoke(  # noqa: PLR0917 - the signature of the moto method it replaces
    self: LambdaSimpleBackend,
    function_name: str,
    qualifier: str | None,
    body: Any,
    headers: Any,
    response_headers: Any,
) -> str | bytes | None:
    local = _SERVED.get(_bare_name(function_name))
    if local is None:
        return _ORIGINAL_INVOKE(self, function_name, qualifier, body, headers, response_headers)
    self.get_function(function_name, qualifier)  # unknown versions and aliases fail as in moto
    event = json.loads(body) if body else {}
    invocation_type = headers.get("X-Amz-Invocation-Type") or "RequestResponse"
    if invocation_type == "DryRun":
        return b""
    if invocation_type == "Event":
        threading.Thread(target=local.invoke, args=(event,), daemon=True).start()
        return b""
    outcome = local.invoke(event)
    if outcome.function_error:
        response_headers["x-amz-function-error"] = outcome.function_error
    return json.dumps(outcome.payload).encode()


def install_lambda_shim(functions: Iterable[LocalFunction]) -> None:
    for fn in functions:
        _SERVED[fn.name] = fn
    setattr(LambdaSimpleBackend, "invoke", _served_invoke)  # noqa: B010 - mypy refuses method assignment


def remove_lambda_shim(functions: Iterable[LocalFunction]) -> None:
    for fn in functions:
        if _SERVED.get(fn.name) is fn:
            del _SERVED[fn.name]
    if not _SERVED:
        setattr(LambdaSimpleBackend, "invoke", _ORIGINAL_INVOKE)  # noqa: B010


# ------------------------------------------------------------------ deferred RSA keys in KMS
class _DeferredRSAPrivateKey(RSAPrivateKey):
    def __init__(self) -> None:  # the parent generates the key here: that is what is deferred
        self.key_size = 2048
        self._key: Any = None

    @property
    def private_key(self) -> Any:
        if self._key is None:
            self._key = rsa.generate_private_key(public_exponent=65537, key_size=self.key_size)
        return self._key

    @private_key.setter
    def private_key(self, key: Any) -> None:
        self._key = key


_SYMMETRIC = frozenset(
    {KeySpec.SYMMETRIC_DEFAULT, KeySpec.HMAC_224, KeySpec.HMAC_256, KeySpec.HMAC_284, KeySpec.HMAC_512}
)


def _generate_private_key(key_spec: str) -> AbstractPrivateKey:
    if key_spec in _SYMMETRIC:
        return _DeferredRSAPrivateKey()
    return generate_private_key(key_spec)


def defer_rsa_keys_of_symmetric_kms_keys() -> None:
    # moto.kms.models calls the name it imported from moto.kms.utils.
    setattr(moto.kms.models, "generate_private_key", _generate_private_key)  # noqa: B010
