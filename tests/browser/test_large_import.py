"""A contact file over the API's inline limit goes from the console to the import bucket by the
presigned upload (the console's connect-src and the bucket's CORS rule allow it) and is imported."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.wait import WebDriverWait

from local.demo import Client
from local.runtime import DEMO_OWNER_EMAIL, LocalRuntime
from tests.browser.conftest import WAIT_SECONDS, Page
from tests.browser.people import signed_in

INLINE_BYTES = 240 * 1024  # console/src/pages/ContactImport.tsx: larger files go by upload
GOOD_ROWS = 1100
BAD_PHONES = ("12345", "not a number")


def large_csv(path: Path) -> Path:
    """Many valid contacts with long (allowed) names and ids, and a few rows with no usable phone."""
    lines = ["phone,first_name,last_name,state,tags,external_id"]
    for i in range(GOOD_ROWS):
        lines.append(
            f"+1415{200 + i // 10000}{i % 10000:04d},Row{i},{'Lastname' * 11},CA,bulk,{f'bulk-{i:05d}-' * 10}"
        )
    lines += [f"{phone},Bad,Phone,CA,bulk,bad-{n}" for n, phone in enumerate(BAD_PHONES)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert path.stat().st_size > INLINE_BYTES
    return path


@pytest.fixture
def owner(runtime: LocalRuntime) -> Iterator[Page]:
    with signed_in(runtime, DEMO_OWNER_EMAIL) as page:
        yield page


def test_a_file_over_the_inline_limit_is_uploaded_and_reported(
    owner: Page, runtime: LocalRuntime, tmp_path: Path
) -> None:
    assert runtime.demo is not None
    owner.open("/contacts/import")
    owner.heading("Import contacts")
    owner.find("#csv-file").send_keys(str(large_csv(tmp_path / "bulk.csv")))
    owner.click("#start-import")
    owner.heading("Contact import")
    owner.wait_text("#import-status", "completed", timeout=180)
    import_id = owner.find("#import-id").text
    shown = {
        key: int(owner.find(f"#import-{key} td").text) for key in ("rows", "accepted", "created", "refused")
    }
    assert shown == {
        "rows": GOOD_ROWS + len(BAD_PHONES),
        "accepted": GOOD_ROWS,
        "created": GOOD_ROWS,
        "refused": len(BAD_PHONES),
    }
    said = Client(runtime.api_url, runtime.demo.api_key).expect(200, "GET", f"/contacts/imports/{import_id}")
    assert said["counts"]["rows"] == shown["rows"]
    owner.check("contact-import-large")

    # The contact list, 50 at a time: forward twice, back once, and back to where it began.
    owner.open("/contacts")
    owner.heading("Contacts")
    pages = [listed(owner)]
    for _ in range(2):
        owner.click("#next-page")
        WebDriverWait(owner.driver, WAIT_SECONDS).until(lambda _d: listed(owner) not in (*pages, []))
        pages.append(listed(owner))
    assert all(len(page) == 50 for page in pages)
    assert len({cid for page in pages for cid in page}) == 150  # three pages, no contact twice
    owner.click("#previous-page")
    WebDriverWait(owner.driver, WAIT_SECONDS).until(lambda _d: listed(owner) == pages[1])
    owner.click("#previous-page")
    WebDriverWait(owner.driver, WAIT_SECONDS).until(lambda _d: listed(owner) == pages[0])
    assert not owner.driver.find_elements(By.CSS_SELECTOR, "#previous-page")  # the first page again


def listed(page: Page) -> list[str]:
    """The contact ids the list shows now, in order."""
    ids: list[str] = page.driver.execute_script(
        "return [...document.querySelectorAll('tr[data-contact]')].map(r => r.dataset.contact);"
    )
    return ids
