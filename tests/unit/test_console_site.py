"""The console's files on the local runtime: the right file or the app, never a file outside the build."""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from gatehouse import mail
from local import console_site
from local.console_site import CONTENT_SECURITY_POLICY, answer, content_security_policy
from local.http_bridge import ApiServer


@pytest.fixture
def dist(tmp_path: Path) -> Path:
    built = tmp_path / "dist"
    (built / "assets").mkdir(parents=True)
    (built / "index.html").write_text("<!doctype html><title>console</title>", encoding="utf-8")
    (built / "assets" / "app.js").write_text("console.log(1)", encoding="utf-8")
    (built / "assets" / "app.css").write_text("body{}", encoding="utf-8")
    (tmp_path / "secret.txt").write_text("outside the build", encoding="utf-8")
    return built


def test_the_bridge_serves_the_path_mail_links_point_to() -> None:
    assert console_site.CONSOLE_PATH == mail.CONSOLE_PATH


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("/app/assets/app.js", "text/javascript; charset=utf-8"),
        ("/app/assets/app.css", "text/css; charset=utf-8"),
        ("/app/", "text/html; charset=utf-8"),
    ],
)
def test_a_built_file_is_served_with_its_type_and_the_strict_headers(
    dist: Path, path: str, kind: str
) -> None:
    served = answer("GET", path, dist)
    assert served.status == 200
    assert served.headers["Content-Type"] == kind
    assert served.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert "'unsafe-inline'" not in CONTENT_SECURITY_POLICY
    assert "frame-ancestors 'none'" in CONTENT_SECURITY_POLICY
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert served.headers["Referrer-Policy"] == "no-referrer"


@pytest.mark.parametrize("path", ["/app/campaigns/cmp_x", "/app/sign-in", "/app/audit"])
def test_a_client_route_gets_the_app(dist: Path, path: str) -> None:
    served = answer("GET", path, dist)
    assert (served.status, served.body) == (200, (dist / "index.html").read_bytes())


@pytest.mark.parametrize(
    "path", ["/app/../secret.txt", "/app/assets/../../secret.txt", "/app//etc/passwd", "/app/missing.js"]
)
def test_nothing_outside_the_build_and_no_missing_asset_is_served(dist: Path, path: str) -> None:
    served = answer("GET", path, dist)
    assert served.status == 404
    assert b"outside the build" not in served.body


def test_only_reads_are_answered_and_the_bare_prefix_redirects(dist: Path) -> None:
    assert answer("POST", "/app/", dist).status == 405
    moved = answer("GET", "/app", dist)
    assert (moved.status, moved.headers["Location"]) == (308, "/app/")


def test_an_unbuilt_console_says_how_to_build_it(tmp_path: Path) -> None:
    served = answer("GET", "/app/", tmp_path / "nothing")
    assert served.status == 503
    assert b"make console" in served.body


@pytest.fixture
def bridge(dist: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setattr(console_site, "CONSOLE_DIST", dist)
    server = ApiServer(port=0)
    server.start()
    try:
        yield server.url
    finally:
        server.stop()


def test_the_bridge_sends_console_paths_to_the_files_and_the_rest_to_the_api(bridge: str) -> None:
    with urllib.request.urlopen(f"{bridge}/app/campaigns", timeout=10) as reply:
        assert reply.status == 200
        assert reply.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
        assert b"<title>console</title>" in reply.read()
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"{bridge}/campaigns", timeout=10)
    assert refused.value.code == 403  # no API route in this bridge: API Gateway's answer


def test_the_upload_origin_is_the_one_other_address_the_console_may_connect_to(dist: Path) -> None:
    served = answer("GET", "/app/", dist, upload_origin="http://127.0.0.1:5000")
    policy = served.headers["Content-Security-Policy"]
    assert "connect-src 'self' http://127.0.0.1:5000;" in policy
    assert policy.replace(" http://127.0.0.1:5000", "") == CONTENT_SECURITY_POLICY


@pytest.mark.parametrize(
    "origin", ["http://127.0.0.1:5000/path", "*", "http://a; script-src *", "'unsafe-inline'", ""]
)
def test_anything_but_a_plain_origin_is_refused_as_the_upload_origin(origin: str) -> None:
    with pytest.raises(ValueError, match="upload origin"):
        content_security_policy(origin)


def test_the_bridge_allows_the_upload_origin_it_is_given(dist: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(console_site, "CONSOLE_DIST", dist)
    server = ApiServer(port=0)
    server.upload_origin = "http://127.0.0.1:5000"
    server.start()
    try:
        with urllib.request.urlopen(f"{server.url}/app/", timeout=10) as reply:
            assert "connect-src 'self' http://127.0.0.1:5000;" in reply.headers["Content-Security-Policy"]
    finally:
        server.stop()
