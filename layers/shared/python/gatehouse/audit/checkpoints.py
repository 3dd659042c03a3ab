"""Signed checkpoints: a KMS signature over a stretch of a tenant's chain.

A checkpoint covers entries ``from_seq..seq``. Its payload, signed as the exact bytes of
its canonical JSON (the same canonical form as entries, see ``gatehouse.audit.entry``)::

    {"at": "YYYY-MM-DDTHH:MM:SS.ffffffZ", "entries_sha256": hex, "from_seq": f,
     "head_hash": hex, "seq": n, "tenant_id": "tnt_..."}

``head_hash`` is the hash of entry n. ``entries_sha256`` is the SHA-256 hex of the ASCII
concatenation of the hashes of entries f..n (64 hex characters each, in order); that list
is stored beside the checkpoint, so a verifier can name the first entry that differs from
what was signed, not only the stretch. Checkpoints tile the chain: the first starts at 1,
each next one right after the previous one ends, so a deleted checkpoint leaves a gap.

Signature: KMS ``Sign`` with the asymmetric key ``GATEHOUSE_SIGNING_KEY_ID`` (ECC_NIST_P256),
SigningAlgorithm ECDSA_SHA_256, MessageType RAW over the payload bytes; it is a DER ECDSA
signature, stored base64. Anyone holding the public key (KMS ``GetPublicKey``, published as
PEM) verifies it offline with any ECDSA P-256/SHA-256 implementation.

The checkpoint job (``run_checkpoints``) re-checks the links of the entries it is about to
sign and refuses to sign a broken chain. It never writes entries and never changes or
removes a checkpoint: each is put only if none starts at its ``from_seq`` yet.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Final, Literal, cast

import botocore.session
from botocore.exceptions import BotoCoreError, ClientError
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.hashes import SHA256
from pynamodb.exceptions import PynamoDBException

from gatehouse.audit.entry import (
    GENESIS_HASH,
    AuditEntry,
    BreakReason,
    Defect,
    canonical_bytes,
    format_time,
    inspect_link,
)
from gatehouse.audit.store import AuditStore, ChainHead, StoredCheckpoint, read_heads
from gatehouse.clock import Clock, utc_now
from gatehouse.config import get_settings
from gatehouse.errors import GatehouseError
from gatehouse.freshness import forgotten_on_restore

if TYPE_CHECKING:
    from mypy_boto3_kms import KMSClient

SIGNING_ALGORITHM: Final = "ECDSA_SHA_256"
MAX_SPAN = 1000  # entries per checkpoint: keeps its stored hash list far below DynamoDB's item limit
_HASH_HEX = 64

RunStatus = Literal["signed", "unchanged", "broken", "raced", "failed"]


@dataclass(frozen=True)
class Checkpoint:
    tenant_id: str
    from_seq: int
    seq: int
    head_hash: str
    entries_sha256: str
    at: str
    hashes: tuple[str, ...] = field(repr=False)

    def payload(self) -> bytes:
        return canonical_bytes(
            {
                "at": self.at,
                "entries_sha256": self.entries_sha256,
                "from_seq": self.from_seq,
                "head_hash": self.head_hash,
                "seq": self.seq,
                "tenant_id": self.tenant_id,
            }
        )


@dataclass(frozen=True)
class CheckpointRun:
    """What the job did for one tenant; "broken" and "failed" need an operator."""

    tenant_id: str
    status: RunStatus
    signed: tuple[Checkpoint, ...] = ()
    defect: Defect | None = None
    detail: str = ""


class SigningNotConfigured(GatehouseError):
    code = "signing_not_configured"


def build_checkpoint(tenant_id: str, from_seq: int, hashes: list[str], at: str) -> Checkpoint:
    return Checkpoint(
        tenant_id=tenant_id,
        from_seq=from_seq,
        seq=from_seq + len(hashes) - 1,
        head_hash=hashes[-1],
        entries_sha256=hashes_digest("".join(hashes)),
        at=at,
        hashes=tuple(hashes),
    )


def hashes_digest(joined: str) -> str:
    return hashlib.sha256(joined.encode("ascii")).hexdigest()


def sign(checkpoint: Checkpoint) -> StoredCheckpoint:
    """Sign with KMS; the stored form keeps the exact signed bytes and the key that signed them."""
    settings = get_settings()
    if not settings.signing_key_id:
        raise SigningNotConfigured("no audit signing key is configured")
    body = checkpoint.payload()
    reply = _kms(settings.region, settings.endpoint_url).sign(
        KeyId=settings.signing_key_id,
        Message=body,
        MessageType="RAW",
        SigningAlgorithm=SIGNING_ALGORITHM,
    )
    return StoredCheckpoint(
        from_seq=checkpoint.from_seq,
        seq=checkpoint.seq,
        body=body.decode("utf-8"),
        signature=base64.b64encode(reply["Signature"]).decode("ascii"),
        key_id=reply["KeyId"],
        hashes="".join(checkpoint.hashes),
    )


def public_key_pem(key_id: str | None = None) -> str:
    """The signing key's public half as PEM (KMS GetPublicKey), to publish and to verify with."""
    settings = get_settings()
    key = key_id or settings.signing_key_id
    if not key:
        raise SigningNotConfigured("no audit signing key is configured")
    return _public_key_pem(settings.region, settings.endpoint_url, key)


def load_public_key(pem: str | bytes) -> ec.EllipticCurvePublicKey:
    key = serialization.load_pem_public_key(pem.encode("ascii") if isinstance(pem, str) else pem)
    if not isinstance(key, ec.EllipticCurvePublicKey):
        raise ValueError("the audit signing key is an elliptic-curve key")
    return key


def inspect_checkpoint(
    stored: StoredCheckpoint, *, tenant_id: str, public_key: ec.EllipticCurvePublicKey
) -> Checkpoint | Defect:
    """A checkpoint whose signature, tenant and hash list all hold, or why not."""
    where = f"checkpoint {stored.from_seq}..{stored.seq}"
    if not _signature_holds(stored, public_key):
        return Defect(stored.from_seq, BreakReason.BAD_SIGNATURE, f"{where} has an invalid signature")
    try:
        checkpoint = _parse(stored)
    except (ValueError, KeyError, TypeError):
        return Defect(stored.from_seq, BreakReason.BAD_SIGNATURE, f"{where} has an unreadable payload")
    # A defect is placed where the checkpoint is stored: that is where a walk meets it.
    if checkpoint.tenant_id != tenant_id:
        return Defect(stored.from_seq, BreakReason.FORGED, f"{where} belongs to another tenant")
    if checkpoint.from_seq != stored.from_seq or checkpoint.seq != stored.seq:
        return Defect(
            stored.from_seq, BreakReason.FORGED, f"{where} is a signed checkpoint moved from elsewhere"
        )
    if (
        len(checkpoint.hashes) != checkpoint.seq - checkpoint.from_seq + 1
        or hashes_digest(stored.hashes) != checkpoint.entries_sha256
        or checkpoint.hashes[-1] != checkpoint.head_hash
    ):
        return Defect(stored.from_seq, BreakReason.BAD_SIGNATURE, f"{where} lists hashes it did not sign")
    return checkpoint


def run_checkpoints(tenant_ids: Iterable[str], clock: Clock = utc_now) -> list[CheckpointRun]:
    """Sign a checkpoint for each tenant whose head moved since its last one (the scheduled job).

    The caller names the tenants (from the tenant directory); their heads are read in
    batches, and only tenants with new entries cost more than that.
    """
    wanted = list(dict.fromkeys(tenant_ids))
    heads = read_heads(wanted)
    runs: list[CheckpointRun] = []
    for tenant_id in wanted:
        head = heads.get(tenant_id)
        if head is None:
            continue
        try:
            runs.append(checkpoint_tenant(tenant_id, head, clock))
        except (ClientError, BotoCoreError, PynamoDBException, GatehouseError) as exc:
            # One tenant's failure must not stop the others; the run reports it.
            runs.append(CheckpointRun(tenant_id, "failed", detail=f"{type(exc).__name__}: {exc}"))
    return runs


def checkpoint_tenant(tenant_id: str, head: ChainHead, clock: Clock = utc_now) -> CheckpointRun:
    """Sign the entries after the tenant's last checkpoint, up to ``head``, in spans of MAX_SPAN."""
    store = AuditStore(tenant_id)
    latest = next(iter(store.latest_checkpoints(limit=1)), None)
    if latest is not None and latest.seq >= head.seq:
        return CheckpointRun(tenant_id, "unchanged")
    prev_hash = GENESIS_HASH
    if latest is not None:
        anchor = inspect_checkpoint(latest, tenant_id=tenant_id, public_key=load_public_key(public_key_pem()))
        if isinstance(anchor, Defect):
            return CheckpointRun(tenant_id, "broken", defect=anchor)
        prev_hash = anchor.head_hash
    signed: list[Checkpoint] = []
    for span in _spans(store, tenant_id, (latest.seq if latest else 0) + 1, head.seq, prev_hash):
        if isinstance(span, Defect):
            return CheckpointRun(tenant_id, "broken", signed=tuple(signed), defect=span)
        checkpoint = build_checkpoint(tenant_id, span[0].seq, [e.hash for e in span], format_time(clock()))
        if not store.put_checkpoint(sign(checkpoint)):
            return CheckpointRun(tenant_id, "raced", signed=tuple(signed))
        signed.append(checkpoint)
    return CheckpointRun(tenant_id, "signed", signed=tuple(signed))


def _spans(
    store: AuditStore, tenant_id: str, from_seq: int, to_seq: int, prev_hash: str
) -> Iterator[list[AuditEntry] | Defect]:
    """Entries from..to, link-checked, in spans of at most MAX_SPAN; a Defect ends the walk."""
    span: list[AuditEntry] = []
    expected = from_seq
    for stored in store.iter_entries(from_seq=from_seq):
        if stored.seq > to_seq:
            break
        link = inspect_link(tenant_id, stored.seq, stored.body, expected_seq=expected, prev_hash=prev_hash)
        if isinstance(link, Defect):
            yield link
            return
        span.append(link)
        prev_hash, expected = link.hash, expected + 1
        if len(span) == MAX_SPAN:
            yield span
            span = []
    if expected <= to_seq:
        yield Defect(expected, BreakReason.MISSING, f"entry {expected} is missing")
        return
    if span:
        yield span


def _parse(stored: StoredCheckpoint) -> Checkpoint:
    payload = json.loads(stored.body)
    joined = stored.hashes
    hashes = tuple(joined[i : i + _HASH_HEX] for i in range(0, len(joined), _HASH_HEX))
    return Checkpoint(
        tenant_id=str(payload["tenant_id"]),
        from_seq=int(payload["from_seq"]),
        seq=int(payload["seq"]),
        head_hash=str(payload["head_hash"]),
        entries_sha256=str(payload["entries_sha256"]),
        at=str(payload["at"]),
        hashes=hashes,
    )


def _signature_holds(stored: StoredCheckpoint, public_key: ec.EllipticCurvePublicKey) -> bool:
    try:
        signature = base64.b64decode(stored.signature, validate=True)
        public_key.verify(signature, stored.body.encode("utf-8"), ec.ECDSA(SHA256()))
    except (InvalidSignature, binascii.Error, ValueError):
        return False
    return True


@lru_cache(maxsize=4)
def _kms(region: str, endpoint_url: str | None) -> KMSClient:
    # One client per process: creating a botocore client costs ~150 ms. botocore (which
    # PynamoDB has loaded already) rather than boto3 keeps boto3's import off cold starts.
    return cast(
        "KMSClient",
        botocore.session.get_session().create_client("kms", region_name=region, endpoint_url=endpoint_url),
    )


@lru_cache(maxsize=16)
def _public_key_pem(region: str, endpoint_url: str | None, key_id: str) -> str:
    der = _kms(region, endpoint_url).get_public_key(KeyId=key_id)["PublicKey"]
    key = serialization.load_der_public_key(der)
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode("ascii")


forgotten_on_restore(_kms.cache_clear)  # the client's credentials and connections
