"""Presigned S3 URLs go to the origin the console's connect-src allows, signed with SigV4."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from gatehouse.clients import _client


@pytest.mark.parametrize("region", ["us-east-1", "eu-west-2"])
def test_an_upload_url_is_sigv4_on_the_buckets_regional_origin(
    region: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("AWS_ENDPOINT_URL_S3", raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    _client.cache_clear()
    try:
        url = _client("s3", region, None).generate_presigned_url(
            "put_object",
            Params={"Bucket": "stack-importbucket-1a2b", "Key": "imports/t/i.csv", "ContentType": "text/csv"},
            ExpiresIn=900,
        )
    finally:
        _client.cache_clear()
    parts = urlsplit(url)
    # template.yaml ConsoleHeadersPolicy: https://${ImportBucket}.s3.${AWS::Region}.amazonaws.com
    assert f"{parts.scheme}://{parts.netloc}" == f"https://stack-importbucket-1a2b.s3.{region}.amazonaws.com"
    query = parse_qs(parts.query)
    assert query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"]
    assert query["X-Amz-SignedHeaders"] == ["content-type;host"]  # the browser must send Content-Type
    assert "content-type" not in query
