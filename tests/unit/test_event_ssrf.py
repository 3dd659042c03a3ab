"""The SSRF guard of event deliveries: public https hosts only, vetted at registration and at every send.

Rule: issue 20, "Events out to the tenant's systems" — outbound calls go only to public
HTTPS addresses, refusing loopback, link-local, private ranges and redirects, resolved
at send time; the local runtime's receiver is the one documented exception.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from gatehouse.config import get_settings
from gatehouse.endpoints import transport
from gatehouse.endpoints.records import FailureClass
from gatehouse.endpoints.urls import UrlRefused, check_endpoint_url
from tests.support.receiver import local_receiver

NOT_PUBLIC = [
    "127.0.0.1",  # loopback
    "10.1.2.3",  # private
    "172.16.0.9",
    "192.168.1.1",
    "169.254.169.254",  # link-local: the instance metadata service
    "100.64.0.1",  # CGNAT
    "0.0.0.0",
    "224.0.0.1",  # multicast
    "240.0.0.1",  # reserved
    "198.18.0.1",  # benchmarking
    "::1",
    "fe80::1",
    "fc00::1",
    "::ffff:127.0.0.1",  # IPv4-mapped loopback
    "::ffff:10.0.0.1",
    "::ffff:169.254.169.254",
    "64:ff9b::a00:1",  # NAT64 of 10.0.0.1
]


@pytest.fixture
def loopback_allowed(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("GATEHOUSE_EVENTS_ALLOW_LOOPBACK", "true")  # what local.runtime alone sets
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.mark.parametrize(
    "url",
    [
        "https://hooks.example.com/gatehouse",
        "https://hooks.example.com:443/in?source=gatehouse",
        "https://8.8.8.8/hooks",
        "https://xn--bcher-kva.example/hook",
    ],
)
def test_a_public_https_url_may_be_registered(url: str) -> None:
    assert check_endpoint_url(url) == url


@pytest.mark.parametrize(
    "url",
    [
        "http://hooks.example.com/",  # not https
        "ftp://hooks.example.com/",
        "https://user:pass@hooks.example.com/",  # userinfo
        "https://token@hooks.example.com/",
        "https://hooks.example.com:8443/",  # another port
        "https://localhost/",
        "https://intranet/",  # not fully qualified
        "https://hooks.internal/",
        "https://hooks..example.com/",
        "https://-bad-.example.com/",
        "https://hooks.example.com/#frag",
        "https://hooks.example.com/a b",
        "https://hooks.example.com/\u00e9",
        "https://2130706433/",  # loopback as a decimal integer
        "https://0x7f.0.0.1/",
        "https://[::1]/",
        "https://" + "a" * 2050 + ".com/",
        *[f"https://{a if ':' not in a else f'[{a}]'}/" for a in NOT_PUBLIC],
    ],
)
def test_anything_else_is_refused_at_registration(url: str) -> None:
    with pytest.raises(UrlRefused):
        check_endpoint_url(url)


def test_the_local_receiver_is_refused_unless_the_local_runtime_allows_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    get_settings.cache_clear()
    with pytest.raises(UrlRefused):
        check_endpoint_url("http://127.0.0.1:8765/hooks")
    monkeypatch.setenv("GATEHOUSE_EVENTS_ALLOW_LOOPBACK", "true")
    get_settings.cache_clear()
    try:
        assert check_endpoint_url("http://127.0.0.1:8765/hooks")
        with pytest.raises(UrlRefused):  # only 127.0.0.1 over http, with a port
            check_endpoint_url("http://10.0.0.1:8765/hooks")
    finally:
        get_settings.cache_clear()


@pytest.mark.parametrize("address", NOT_PUBLIC)
def test_a_host_resolving_to_a_non_public_address_is_refused_at_send(address: str) -> None:
    with pytest.raises(transport.Refused) as refused:
        transport.vetted_address("hooks.example.com", 443, lambda host, port: [address])
    assert refused.value.why is FailureClass.SSRF_REFUSED


def test_one_non_public_address_among_public_ones_refuses_the_host() -> None:
    with pytest.raises(transport.Refused):
        transport.vetted_address("hooks.example.com", 443, lambda h, p: ["93.184.216.34", "10.0.0.7"])


def test_the_connection_goes_to_the_one_address_vetted() -> None:
    answers = iter(
        [["93.184.216.34"], ["127.0.0.1"]]
    )  # a rebinding resolver: its second answer is never asked
    asked: list[str] = []

    def resolver(host: str, port: int) -> list[str]:
        asked.append(host)
        return next(answers)

    assert transport.vetted_address("hooks.example.com", 443, resolver) == "93.184.216.34"
    assert asked == ["hooks.example.com"]


def test_a_send_to_a_private_resolution_never_connects() -> None:
    with local_receiver() as receiver:
        answer = transport.post(
            "https://hooks.example.com/in", b"{}", {}, resolver=lambda h, p: ["127.0.0.1"]
        )
        assert answer == transport.Answer(None, FailureClass.SSRF_REFUSED)
        assert receiver.received == []


def test_an_unresolvable_host_is_a_failure_not_an_error() -> None:
    def resolver(host: str, port: int) -> list[str]:
        raise transport.Refused(FailureClass.UNRESOLVED)

    assert (
        transport.post("https://nowhere.example.com/", b"{}", {}, resolver=resolver).error
        is FailureClass.UNRESOLVED
    )


def test_the_local_receiver_is_unreachable_without_the_local_setting() -> None:
    get_settings.cache_clear()
    with local_receiver() as receiver:
        answer = transport.post(receiver.url, b"{}", {})
    assert answer.error is FailureClass.SSRF_REFUSED
    assert receiver.received == []


def test_a_redirect_is_a_failure_and_never_followed(loopback_allowed: None) -> None:
    with local_receiver() as target, local_receiver(status=302, location="") as redirecting:
        redirecting.location = target.url
        answer = transport.post(redirecting.url, b"{}", {"content-type": "application/json"})
    assert answer == transport.Answer(302, FailureClass.REDIRECT)
    assert len(redirecting.received) == 1
    assert target.received == []


@pytest.mark.parametrize(("status", "delivered"), [(200, True), (204, True), (400, False), (500, False)])
def test_only_a_2xx_is_a_delivery(loopback_allowed: None, status: int, delivered: bool) -> None:
    with local_receiver(status=status) as receiver:
        answer = transport.post(receiver.url, b'{"a":1}', {"content-type": "application/json"})
    assert answer.delivered is delivered
    assert answer.status_code == status
    assert receiver.received[0].body == b'{"a":1}'


@pytest.mark.parametrize("address", ["2002:a00:1::1", "2001:0:4136:e378:8000:63bf:f5ff:fffe"])
def test_ipv6_that_carries_a_private_ipv4_is_refused(address: str) -> None:
    """6to4 of 10.0.0.1, and Teredo whose client is 10.0.0.1."""
    with pytest.raises(transport.Refused):
        transport.vetted_address("hooks.example.com", 443, lambda h, p: [address])
