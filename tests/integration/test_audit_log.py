"""The audit log against DynamoDB and KMS (moto): appends, checkpoints, tamper detection, export."""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from gatehouse import audit
from gatehouse.audit import checkpoints as checkpoint_module
from gatehouse.audit.entry import Actor, ActorType, AuditEntry, BreakReason, Defect, Target, entry_hash
from gatehouse.audit.log import AuditLog
from gatehouse.audit.store import AuditStore, ChainCorrupt
from gatehouse.config import get_settings
from gatehouse.ids import new_tenant_id
from gatehouse.observability import metrics

START = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
OWNER = Actor(type=ActorType.USER, id="usr_owner")
KEY = Actor(type=ActorType.API_KEY, id="key_ci")


@pytest.fixture
def signing_key(aws: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """An asymmetric KMS key like the template's AuditSigningKey, configured for the process."""
    kms = boto3.client("kms", region_name="us-east-1")
    key_id = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["Arn"]
    monkeypatch.setenv("GATEHOUSE_SIGNING_KEY_ID", key_id)
    get_settings.cache_clear()
    yield key_id
    get_settings.cache_clear()


def _clock(start: datetime = START) -> Callable[[], datetime]:
    ticks = itertools.count()
    return lambda: start + timedelta(seconds=next(ticks))


def _fill(tenant_id: str, count: int, clock: Callable[[], datetime] | None = None) -> list[AuditEntry]:
    clock = clock or _clock()
    return [
        audit.append(
            tenant_id,
            actor=OWNER,
            action="member.role_changed",
            target=Target(type="member", id=f"usr_{n}"),
            request_id=f"req-{n}",
            source_ip="198.51.100.7",
            before={"role": "member"},
            after={"role": "admin"},
            clock=clock,
        )
        for n in range(count)
    ]


class RawTable:
    """Direct writes to the audit table: what an attacker with table access could do."""

    def __init__(self, tenant_id: str) -> None:
        self.table = boto3.resource("dynamodb", region_name="us-east-1").Table(get_settings().audit_table)
        self.pk = f"{tenant_id}#AUDIT"

    def entry(self, seq: int) -> dict[str, Any]:
        return self.table.get_item(Key={"pk": self.pk, "sk": f"E#{seq:012d}"})["Item"]

    def fields(self, seq: int) -> dict[str, Any]:
        return json.loads(self.entry(seq)["body"])

    def put_fields(self, seq: int, fields: dict[str, Any]) -> None:
        """Write an entry's body, and its filter copies to match, as a careful forger would."""
        copies = {
            "at": fields["at"],
            "action": fields["action"],
            "actor": f"{fields['actor']['type']}:{fields['actor']['id']}",
            "target": f"{fields['target']['type']}:{fields['target']['id']}",
        }
        body = json.dumps(fields, sort_keys=True, separators=(",", ":"))
        self.table.put_item(Item={**self.entry_or_new(seq), **copies, "body": body})

    def entry_or_new(self, seq: int) -> dict[str, Any]:
        found = self.table.get_item(Key={"pk": self.pk, "sk": f"E#{seq:012d}"}).get("Item")
        blank = {
            "pk": self.pk,
            "sk": f"E#{seq:012d}",
            "seq": seq,
            **dict.fromkeys(("at", "action", "actor", "target"), ""),
        }
        return found or blank

    def delete_entry(self, seq: int) -> None:
        self.table.delete_item(Key={"pk": self.pk, "sk": f"E#{seq:012d}"})

    def set_head(self, seq: int, hash_: str) -> None:
        self.table.put_item(Item={"pk": self.pk, "sk": "HEAD", "seq": seq, "hash": hash_, "at": ""})

    def checkpoint(self, from_seq: int) -> dict[str, Any]:
        return self.table.get_item(Key={"pk": self.pk, "sk": f"CP#{from_seq:012d}"})["Item"]

    def put(self, item: dict[str, Any]) -> None:
        self.table.put_item(Item=item)


def _rehash(fields: dict[str, Any], seq: int, prev_hash: str) -> dict[str, Any]:
    forged = {**fields, "seq": seq, "prev_hash": prev_hash}
    return {**forged, "hash": entry_hash(forged)}


@pytest.fixture
def signed_chain(signing_key: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """Twelve entries; checkpoints signed over 1..5 and 6..10; 11 and 12 not yet signed."""
    monkeypatch.setattr(checkpoint_module, "MAX_SPAN", 5)
    tenant_id = new_tenant_id()
    clock = _clock()
    _fill(tenant_id, 10, clock)
    [run] = audit.run_checkpoints([tenant_id], clock=clock)
    assert [(c.from_seq, c.seq) for c in run.signed] == [(1, 5), (6, 10)]
    _fill(tenant_id, 2, clock)
    return tenant_id


def test_appends_build_a_gapless_chain_that_verifies(signing_key: str) -> None:
    tenant_id = new_tenant_id()
    entries = _fill(tenant_id, 5)

    assert [e.seq for e in entries] == [1, 2, 3, 4, 5]
    assert entries[0].prev_hash == "0" * 64
    assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(entries))
    assert AuditStore(tenant_id).head().seq == 5  # type: ignore[union-attr]
    report = audit.verify(tenant_id, from_checkpoint=False)
    assert report.summary == "verified up to 5 (signed up to 0)"
    assert report.ok


def test_an_entry_records_who_did_what_to_which_target_without_secrets(signing_key: str) -> None:
    tenant_id = new_tenant_id()
    entry = audit.append(
        tenant_id,
        actor=Actor.from_label("api_key:key_ci"),
        action="integration.updated",
        target=Target(type="integration", id="twilio"),
        request_id="req-42",
        source_ip="2001:DB8::1",
        before={"account_sid": "AC1", "auth_token": "old-secret"},
        after={"account_sid": "AC2", "auth_token": "new-secret"},
        clock=lambda: START,
    )
    [listed] = audit.list_entries(tenant_id).items

    assert listed == entry
    assert (listed.actor, listed.action, listed.target.label) == (
        KEY,
        "integration.updated",
        "integration:twilio",
    )
    assert (listed.request_id, listed.source_ip, listed.at) == ("req-42", "2001:db8::1", START)
    assert listed.changes.model_dump() == {"before": {"account_sid": "AC1"}, "after": {"account_sid": "AC2"}}
    assert "secret" not in RawTable(tenant_id).entry(1)["body"]


def test_lists_filter_by_time_actor_action_and_target_and_follow_cursors(signing_key: str) -> None:
    tenant_id = new_tenant_id()
    clock = _clock()
    _fill(tenant_id, 6, clock)
    audit.append(
        tenant_id,
        actor=KEY,
        action="api_key.created",
        target=Target(type="api_key", id="key_2"),
        request_id="r",
        clock=clock,
    )

    newest = audit.list_entries(tenant_id, limit=3)
    older = audit.list_entries(tenant_id, limit=3, cursor=newest.cursor)
    assert [e.seq for e in newest.items + older.items] == [7, 6, 5, 4, 3, 2]
    assert [e.seq for e in audit.list_entries(tenant_id, actor=KEY).items] == [7]
    assert [e.seq for e in audit.list_entries(tenant_id, action="api_key.created").items] == [7]
    assert [e.seq for e in audit.list_entries(tenant_id, target=Target(type="member", id="usr_2")).items] == [
        3
    ]
    window = audit.list_entries(
        tenant_id, since=START + timedelta(seconds=1), until=START + timedelta(seconds=3)
    )
    assert [e.seq for e in window.items] == [3, 2]
    with pytest.raises(audit.log.Invalid):
        audit.list_entries(new_tenant_id(), cursor=newest.cursor)


def test_checkpoints_are_signed_only_for_tenants_whose_head_moved(signing_key: str) -> None:
    busy, quiet, empty = new_tenant_id(), new_tenant_id(), new_tenant_id()
    _fill(busy, 3)
    _fill(quiet, 2)

    first = {run.tenant_id: run for run in audit.run_checkpoints([busy, quiet, empty])}
    assert set(first) == {busy, quiet}
    assert [(c.from_seq, c.seq) for c in first[busy].signed] == [(1, 3)]
    _fill(busy, 2, _clock(START + timedelta(hours=1)))
    second = {run.tenant_id: run for run in audit.run_checkpoints([busy, quiet, empty])}

    assert second[quiet].status == "unchanged"
    assert [(c.from_seq, c.seq) for c in second[busy].signed] == [(4, 5)]
    assert audit.verify(busy).summary == "verified up to 5 (signed up to 5)"
    assert audit.verify(quiet, from_checkpoint=False).signed_seq == 2


def test_the_checkpoint_job_refuses_to_sign_a_broken_chain(signing_key: str) -> None:
    tenant_id = new_tenant_id()
    _fill(tenant_id, 4)
    raw = RawTable(tenant_id)
    raw.put_fields(3, {**raw.fields(3), "action": "member.removed"})

    [run] = audit.run_checkpoints([tenant_id])

    assert run.status == "broken"
    assert run.defect == Defect(3, BreakReason.EDITED, "entry 3 does not match its hash")
    assert AuditStore(tenant_id).latest_checkpoints() == []


def test_a_signature_verifies_offline_with_the_published_public_key(signing_key: str) -> None:
    tenant_id = new_tenant_id()
    _fill(tenant_id, 2)
    audit.run_checkpoints([tenant_id])
    [stored] = AuditStore(tenant_id).latest_checkpoints()
    key = checkpoint_module.load_public_key(audit.public_key_pem())

    checkpoint = checkpoint_module.inspect_checkpoint(stored, tenant_id=tenant_id, public_key=key)

    assert isinstance(checkpoint, checkpoint_module.Checkpoint)
    assert json.loads(stored.body) == {
        "at": checkpoint.at,
        "entries_sha256": checkpoint.entries_sha256,
        "from_seq": 1,
        "head_hash": RawTable(tenant_id).fields(2)["hash"],
        "seq": 2,
        "tenant_id": tenant_id,
    }


@pytest.mark.parametrize("from_checkpoint", [False, True], ids=["full", "incremental"])
def test_an_intact_signed_chain_verifies(signed_chain: str, from_checkpoint: bool) -> None:
    report = audit.verify(signed_chain, from_checkpoint=from_checkpoint)
    assert report.ok, report.summary
    assert (report.verified_seq, report.signed_seq, report.head_seq) == (12, 10, 12)
    assert report.start_seq == (6 if from_checkpoint else 1)
    assert report.entries_checked == (7 if from_checkpoint else 12)


# Attacks on the signed chain (checkpoints over 1..5 and 6..10, entries 11 and 12 unsigned).


def edit_one_field(raw: RawTable) -> None:
    raw.put_fields(7, {**raw.fields(7), "request_id": "req-innocent"})


def delete_one_entry(raw: RawTable) -> None:
    raw.delete_entry(8)


def delete_an_unsigned_entry(raw: RawTable) -> None:
    raw.delete_entry(11)


def swap_two_entries(raw: RawTable) -> None:
    seventh, ninth = raw.fields(7), raw.fields(9)
    raw.put_fields(7, ninth)
    raw.put_fields(9, seventh)


def swap_and_renumber_two_entries(raw: RawTable) -> None:
    third, fourth = raw.fields(3), raw.fields(4)
    raw.put_fields(3, _rehash(fourth, 3, fourth["prev_hash"]))
    raw.put_fields(4, _rehash(third, 4, third["prev_hash"]))


def drop_the_tail_after_a_signed_checkpoint(raw: RawTable) -> None:
    for seq in range(9, 13):
        raw.delete_entry(seq)
    raw.set_head(8, raw.fields(8)["hash"])  # the head rolled back too: only the checkpoint remembers


def replace_a_checkpoint_signature(raw: RawTable) -> None:
    other = boto3.client("kms", region_name="us-east-1").sign(
        KeyId=get_settings().signing_key_id,
        Message=b"something else",
        MessageType="RAW",
        SigningAlgorithm="ECDSA_SHA_256",
    )["Signature"]
    raw.put({**raw.checkpoint(6), "signature": base64.b64encode(other).decode()})


def insert_a_forged_entry_with_recomputed_hashes(raw: RawTable) -> None:
    originals = [raw.fields(seq) for seq in range(7, 13)]
    forged = {**originals[0], "action": "member.removed", "target": {"type": "member", "id": "usr_victim"}}
    prev_hash = raw.fields(6)["hash"]
    for seq, fields in enumerate([forged, *originals], start=7):  # insert at 7, shift the rest by one
        rewritten = _rehash(fields, seq, prev_hash)
        raw.put_fields(seq, rewritten)
        prev_hash = rewritten["hash"]
    raw.set_head(13, prev_hash)


def _forge_the_unsigned_tail(raw: RawTable) -> tuple[dict[str, Any], str]:
    """Rewrite 11 and 12 consistently; the genuine checkpoint 6..10 and the forged hashes."""
    eleventh = raw.fields(11)
    forged = _rehash({**eleventh, "action": "member.removed"}, 11, eleventh["prev_hash"])
    twelfth = _rehash(raw.fields(12), 12, forged["hash"])
    raw.put_fields(11, forged)
    raw.put_fields(12, twelfth)
    raw.set_head(12, twelfth["hash"])
    return raw.checkpoint(6), forged["hash"] + twelfth["hash"]


def forge_a_checkpoint_with_a_made_up_signature(raw: RawTable) -> None:
    genuine, hashes = _forge_the_unsigned_tail(raw)
    payload = {
        **json.loads(genuine["body"]),
        "from_seq": 11,
        "seq": 12,
        "head_hash": hashes[64:],
        "entries_sha256": hashlib.sha256(hashes.encode()).hexdigest(),
    }
    body = json.dumps(payload, sort_keys=True, separators=(",", ":"))
    raw.put({**genuine, "sk": f"CP#{11:012d}", "from_seq": 11, "seq": 12, "hashes": hashes, "body": body})


def replay_a_genuine_checkpoint_elsewhere(raw: RawTable) -> None:
    genuine, hashes = _forge_the_unsigned_tail(raw)
    raw.put({**genuine, "sk": f"CP#{11:012d}", "from_seq": 11, "seq": 12, "hashes": hashes})


def slip_an_entry_in_beyond_the_head(raw: RawTable) -> None:
    raw.put_fields(13, _rehash(raw.fields(12), 13, raw.fields(12)["hash"]))


def delete_a_checkpoint(raw: RawTable) -> None:
    raw.table.delete_item(Key={"pk": raw.pk, "sk": f"CP#{1:012d}"})


# (attack, first bad seq, reason, whether an incremental walk from the newest good checkpoint reaches it)
ATTACKS = [
    (edit_one_field, 7, BreakReason.EDITED, True),
    (delete_one_entry, 8, BreakReason.MISSING, True),
    (delete_an_unsigned_entry, 11, BreakReason.MISSING, True),
    (swap_two_entries, 7, BreakReason.REORDERED, True),
    (swap_and_renumber_two_entries, 3, BreakReason.REORDERED, False),
    (drop_the_tail_after_a_signed_checkpoint, 9, BreakReason.TRUNCATED, True),
    (replace_a_checkpoint_signature, 6, BreakReason.BAD_SIGNATURE, True),
    (insert_a_forged_entry_with_recomputed_hashes, 7, BreakReason.FORGED, True),
    (forge_a_checkpoint_with_a_made_up_signature, 11, BreakReason.BAD_SIGNATURE, True),
    (replay_a_genuine_checkpoint_elsewhere, 11, BreakReason.FORGED, True),
    (slip_an_entry_in_beyond_the_head, 13, BreakReason.FORGED, True),
    (delete_a_checkpoint, 1, BreakReason.MISSING, False),
]


@pytest.mark.parametrize(
    ("attack", "seq", "reason", "from_checkpoint"),
    [
        pytest.param(attack, seq, reason, mode, id=f"{attack.__name__}-{'incremental' if mode else 'full'}")
        for attack, seq, reason, incremental in ATTACKS
        for mode in ((False, True) if incremental else (False,))
    ],
)
def test_each_attack_is_reported_at_the_first_bad_sequence(
    signed_chain: str,
    attack: Callable[[RawTable], None],
    seq: int,
    reason: BreakReason,
    from_checkpoint: bool,
) -> None:
    attack(RawTable(signed_chain))

    report = audit.verify(signed_chain, from_checkpoint=from_checkpoint)

    assert (report.ok, report.first_bad_seq, report.reason) == (False, seq, reason), report.summary
    assert report.verified_seq == seq - 1


def _verify_failures() -> list[float]:
    return list(metrics.metric_set.get("AuditVerifyFailed", {}).get("Value", []))


def test_a_verification_that_fails_is_counted_for_the_operators_alarm(signed_chain: str) -> None:
    metrics.clear_metrics()
    assert audit.verify(signed_chain).ok
    assert _verify_failures() == []

    edit_one_field(RawTable(signed_chain))
    report = audit.verify(signed_chain)

    assert not report.ok
    assert _verify_failures() == [1.0]
    metrics.clear_metrics()


def test_an_entry_beyond_the_head_stops_further_appends(signed_chain: str) -> None:
    slip_an_entry_in_beyond_the_head(RawTable(signed_chain))
    with pytest.raises(ChainCorrupt):
        _fill(signed_chain, 1)


def test_concurrent_appends_from_eight_threads_make_a_gapless_valid_chain(signing_key: str) -> None:
    tenant_id = new_tenant_id()
    results: list[list[AuditEntry]] = [[] for _ in range(8)]
    barrier = threading.Barrier(8)

    def writer(slot: int) -> None:
        barrier.wait()
        for n in range(25):
            results[slot].append(
                audit.append(
                    tenant_id,
                    actor=KEY,
                    action="contact.imported",
                    target=Target(type="contact", id=f"c{slot}-{n}"),
                    request_id=f"t{slot}",
                )
            )

    threads = [threading.Thread(target=writer, args=(slot,)) for slot in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    seqs = sorted(entry.seq for entries in results for entry in entries)
    assert seqs == list(range(1, 201))
    assert audit.verify(tenant_id, from_checkpoint=False).summary == "verified up to 200 (signed up to 0)"


def test_writers_in_separate_processes_serialize_through_the_head_condition(signing_key: str) -> None:
    tenant_id = new_tenant_id()
    waits: list[float] = []
    first, second = AuditLog(sleep=waits.append), AuditLog(sleep=waits.append)

    def write(log: AuditLog, n: int) -> AuditEntry:
        return log.append(
            tenant_id,
            actor=OWNER,
            action="campaign.approved",
            target=Target(type="campaign", id=f"cmp_{n}"),
            request_id=str(n),
        )

    assert write(first, 1).seq == 1
    assert write(second, 2).seq == 2
    late = write(first, 3)  # `first` still believes the head is at 1

    assert (late.seq, len(waits)) == (3, 1)
    assert audit.verify(tenant_id, from_checkpoint=False).ok


def test_independent_writers_under_contention_never_fork_or_skip(signing_key: str) -> None:
    tenant_id = new_tenant_id()
    barrier = threading.Barrier(6)
    written: list[int] = []
    retries: list[float] = []

    def back_off(seconds: float) -> None:
        retries.append(seconds)
        time.sleep(seconds)

    def writer(slot: int) -> None:
        log = AuditLog(sleep=back_off)  # its own head memory and lock: like another Lambda container
        barrier.wait()
        for n in range(8):
            written.append(
                log.append(
                    tenant_id,
                    actor=KEY,
                    action="contact.imported",
                    target=Target(type="contact", id=f"c{slot}-{n}"),
                    request_id="r",
                ).seq
            )

    threads = [threading.Thread(target=writer, args=(slot,)) for slot in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert retries, "the writers never collided, so the head condition was not exercised"
    assert sorted(written) == list(range(1, 49))
    assert audit.verify(tenant_id, from_checkpoint=False).ok


@pytest.fixture
def exported(signed_chain: str) -> tuple[str, list[str], list[str], str]:
    audit.append(
        signed_chain,
        actor=Actor(type=ActorType.CONTACT, id="+15550100"),
        action="contact.opted_out",
        target=Target(type="contact", id='=HYPERLINK("http://x")'),
        request_id="-1+1",
        before={"note": 'line one\nline two, "quoted"', "name": "Zoë"},
        after={"note": "@handle"},
    )
    lines = list(audit.export_jsonl(signed_chain))
    checkpoints = list(audit.export_checkpoints_jsonl(signed_chain))
    return signed_chain, lines, checkpoints, audit.public_key_pem()


def test_a_json_lines_export_verifies_offline(exported: tuple[str, list[str], list[str], str]) -> None:
    tenant_id, lines, checkpoints, pem = exported
    report = audit.verify_export(lines, pem, checkpoints)
    assert (report.tenant_id, report.ok, report.verified_seq, report.signed_seq) == (tenant_id, True, 13, 10)


def test_a_csv_export_verifies_offline_and_defuses_formulas(
    exported: tuple[str, list[str], list[str], str],
) -> None:
    tenant_id, _, checkpoints, pem = exported
    text = "".join(audit.export_csv(tenant_id))
    assert "'=HYPERLINK" in text
    assert ",'-1+1," in text

    report = audit.verify_export(text.splitlines(keepends=True), pem, checkpoints, fmt="csv")

    assert (report.ok, report.verified_seq, report.signed_seq) == (True, 13, 10), report.summary


def test_a_partial_export_verifies_against_the_checkpoints_it_overlaps(
    exported: tuple[str, list[str], list[str], str],
) -> None:
    tenant_id, _, checkpoints, pem = exported
    lines = list(audit.export_jsonl(tenant_id, from_seq=4, to_seq=9))
    report = audit.verify_export(lines, pem, checkpoints, complete=False)
    assert (report.ok, report.start_seq, report.verified_seq, report.signed_seq) == (True, 4, 9, 9)


def _edit_line(line: str, **edits: Any) -> str:
    return json.dumps({**json.loads(line), **edits}, sort_keys=True, separators=(",", ":")) + "\n"


@pytest.mark.parametrize(
    ("tamper", "seq", "reason"),
    [
        (lambda ls: [*ls[:4], _edit_line(ls[4], request_id="other"), *ls[5:]], 5, BreakReason.EDITED),
        (lambda ls: ls[:6] + ls[7:], 7, BreakReason.MISSING),
        (lambda ls: [*ls[:2], ls[3], ls[2], *ls[4:]], 3, BreakReason.REORDERED),
        (lambda ls: [*ls[:2], ls[8], *ls[3:8], ls[2], *ls[9:]], 3, BreakReason.REORDERED),
        (lambda ls: ls[:8], 9, BreakReason.TRUNCATED),
    ],
    ids=["edited", "missing", "reordered", "moved", "truncated"],
)
def test_a_tampered_export_is_caught_offline(
    exported: tuple[str, list[str], list[str], str],
    tamper: Callable[[list[str]], list[str]],
    seq: int,
    reason: BreakReason,
) -> None:
    _, lines, checkpoints, pem = exported
    report = audit.verify_export(tamper(lines), pem, checkpoints)
    assert (report.first_bad_seq, report.reason) == (seq, reason), report.summary


def test_an_export_checked_with_another_key_fails(exported: tuple[str, list[str], list[str], str]) -> None:
    _, lines, checkpoints, _ = exported
    kms = boto3.client("kms", region_name="us-east-1")
    other = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["Arn"]
    report = audit.verify_export(lines, checkpoint_module.public_key_pem(other), checkpoints)
    assert (report.first_bad_seq, report.reason) == (1, BreakReason.BAD_SIGNATURE)
