"""moto's KMS without an RSA key generation for every symmetric or HMAC key.

moto gives each key a private key for Sign/Verify; for a key spec that is neither
RSA nor ECC it makes an RSA-2048 key that only a misuse of the key would read.
Generating one costs more than most tests, and every test creates such keys, so
here that RSA key is generated the first time moto reads it. Keys answer exactly
as before.
"""

from __future__ import annotations

from typing import Any

import moto.kms.models
from cryptography.hazmat.primitives.asymmetric import rsa
from moto.kms.utils import AbstractPrivateKey, KeySpec, RSAPrivateKey, generate_private_key


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


def install() -> None:
    # moto.kms.models calls the name it imported from moto.kms.utils.
    setattr(moto.kms.models, "generate_private_key", _generate_private_key)  # noqa: B010
