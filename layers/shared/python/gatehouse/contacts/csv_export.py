"""Contacts as CSV, written a page at a time, safe to open in a spreadsheet.

A cell that a spreadsheet would read as a formula is written with a leading apostrophe
(``gatehouse.spreadsheet``, as the audit export does); phone numbers in E.164 therefore
appear as ``'+1...``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from typing import Final

from gatehouse.compliance.state_rules import Channel
from gatehouse.contacts.records import Contact, dnc_status_of
from gatehouse.spreadsheet import neutralise

HEADER: Final = (
    "contact_id",
    "phone",
    "first_name",
    "last_name",
    "email",
    "state",
    "postal_code",
    "tags",
    "external_id",
    "consent_channels",
    "dnc_status",
    "dnc_checked_at",
    "dnc_data_as_of",
    "suppressed",
    "sms_eligible",
    "sms_reasons",
    "voice_eligible",
    "voice_reasons",
    "created_at",
)


def row_of(contact: Contact) -> list[str]:
    sms = contact.eligibility.get(Channel.SMS)
    voice = contact.eligibility.get(Channel.VOICE)
    values = [
        contact.contact_id,
        contact.e164,
        contact.first_name or "",
        contact.last_name or "",
        contact.email or "",
        contact.state or "",
        contact.postal_code or "",
        ";".join(contact.tags),
        contact.external_id or "",
        ";".join(sorted({c.value for e in contact.consent for c in e.channels})),
        dnc_status_of(contact),
        contact.dnc.checked_at.isoformat() if contact.dnc else "",
        contact.dnc.data_as_of.isoformat() if contact.dnc and contact.dnc.data_as_of else "",
        "true" if contact.suppressed else "false",
        "true" if sms and sms.eligible else "false",
        ";".join(sms.reasons) if sms else "",
        "true" if voice and voice.eligible else "false",
        ";".join(voice.reasons) if voice else "",
        contact.created_at.isoformat(),
    ]
    return [neutralise(v) for v in values]


def csv_lines(contacts: Iterable[Contact], *, header: bool = True) -> Iterator[str]:
    """One CSV line per contact (the header first), each produced when asked for."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")

    def line(values: Iterable[str]) -> str:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow(values)
        return buffer.getvalue()

    if header:
        yield line(HEADER)
    for contact in contacts:
        yield line(row_of(contact))
