"""Over HTTP on the local runtime: a person texts "Stop" to the demo tenant and is suppressed at once.

The demo tenant connects Twilio through the API, asks for its webhook URL, and the test
signs the inbound text exactly as Twilio would (the auth token over the public URL and
the form fields), then posts it to the local bridge's /webhooks route.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from urllib.parse import urlencode

from local.runtime import LocalRuntime
from tests.e2e.test_local_http import http
from tests.support.webhooks import TWILIO_CREDENTIALS, TWILIO_TOKEN, inbound_sms, twilio_signature

SENDER = "+14155550177"


def post_form(url: str, pairs: list[tuple[str, str]], signature: str) -> tuple[int, str]:
    request = urllib.request.Request(url, data=urlencode(pairs).encode(), method="POST")
    request.add_header("Content-Type", "application/x-www-form-urlencoded")
    request.add_header("X-Twilio-Signature", signature)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_a_signed_stop_over_http_suppresses_the_number(runtime: LocalRuntime) -> None:
    key = runtime.demo.api_key
    status, _, connected = http(runtime, "POST", "/integrations/twilio", token=key, body=TWILIO_CREDENTIALS)
    assert status in {201, 409}, connected
    status, _, urls = http(runtime, "GET", "/integrations/webhooks", token=key)
    assert status == 200, urls
    url = urls["twilio_sms"]
    assert url.startswith(runtime.api_url + "/webhooks/twilio/whk_")

    pairs = inbound_sms("SM" + "e2" * 16, SENDER, "Stop")
    status, body = post_form(url, pairs, twilio_signature(url, pairs, "00" * 16))
    assert status == 401, body  # signed with a token that is not the tenant's
    status, _, checked = http(runtime, "POST", "/suppressions/check", token=key, body={"numbers": [SENDER]})
    assert checked == {"suppressed": []}

    status, body = post_form(url, pairs, twilio_signature(url, pairs, TWILIO_TOKEN))
    assert status == 200, body
    assert "<Response><Message>" in body
    status, _, checked = http(runtime, "POST", "/suppressions/check", token=key, body={"numbers": [SENDER]})
    assert (status, checked) == (200, {"suppressed": [SENDER]})
