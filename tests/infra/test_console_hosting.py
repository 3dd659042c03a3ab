"""The console's hosting in template.yaml: a private bucket read only through CloudFront, one origin
with the API, HTTPS only, and the same strict headers the local runtime sends."""

from __future__ import annotations

from typing import Any

from local.console_site import CONSOLE_PATH, SECURITY_HEADERS
from tests.infra.conftest import references

CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
ALL_VIEWER_EXCEPT_HOST = "b689b0a8-53d0-40ab-baf2-68738e2966ac"


def _distribution(resources: dict[str, Any]) -> dict[str, Any]:
    (config,) = [
        r["Properties"]["DistributionConfig"]
        for r in resources.values()
        if r["Type"] == "AWS::CloudFront::Distribution"
    ]
    return dict(config)


def _origin(config: dict[str, Any], origin_id: str) -> dict[str, Any]:
    (found,) = [o for o in config["Origins"] if o["Id"] == origin_id]
    return dict(found)


def test_the_console_bucket_is_private_and_encrypted(resources: dict[str, Any]) -> None:
    bucket = resources["ConsoleBucket"]["Properties"]
    assert bucket["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    assert bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"]
    assert bucket["OwnershipControls"]["Rules"] == [{"ObjectOwnership": "BucketOwnerEnforced"}]
    assert "WebsiteConfiguration" not in bucket


def test_only_the_distribution_reads_the_bucket_and_only_over_tls(resources: dict[str, Any]) -> None:
    policies = [
        r["Properties"]["PolicyDocument"]["Statement"]
        for r in resources.values()
        if r["Type"] == "AWS::S3::BucketPolicy" and "ConsoleBucket" in references(r["Properties"]["Bucket"])
    ]
    (statements,) = policies
    allows = [s for s in statements if s["Effect"] == "Allow"]
    assert [s["Principal"] for s in allows] == [{"Service": "cloudfront.amazonaws.com"}]
    assert allows[0]["Action"] == "s3:GetObject"
    assert "ConsoleDistribution" in references(allows[0]["Condition"])  # AWS:SourceArn: this distribution
    denies = [s for s in statements if s["Effect"] == "Deny"]
    assert denies
    assert denies[0]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_the_console_origin_uses_origin_access_control(resources: dict[str, Any]) -> None:
    config = _distribution(resources)
    console = _origin(config, "console")
    assert references(console["OriginAccessControlId"]) == {"ConsoleOriginAccessControl"}
    assert console["S3OriginConfig"]["OriginAccessIdentity"] == ""  # no legacy identity
    oac = resources["ConsoleOriginAccessControl"]["Properties"]["OriginAccessControlConfig"]
    assert (oac["OriginAccessControlOriginType"], oac["SigningBehavior"]) == ("s3", "always")


def test_every_behaviour_is_https_only(resources: dict[str, Any]) -> None:
    config = _distribution(resources)
    behaviours = [config["DefaultCacheBehavior"], *config["CacheBehaviors"]]
    assert {b["ViewerProtocolPolicy"] for b in behaviours} == {"redirect-to-https"}
    assert _origin(config, "api")["CustomOriginConfig"]["OriginProtocolPolicy"] == "https-only"


def test_the_console_prefix_goes_to_the_bucket_and_everything_else_to_the_uncached_api(
    resources: dict[str, Any],
) -> None:
    config = _distribution(resources)
    (app,) = config["CacheBehaviors"]
    assert (app["PathPattern"], app["TargetOriginId"]) == (f"{CONSOLE_PATH}*", "console")
    default = config["DefaultCacheBehavior"]
    assert default["TargetOriginId"] == "api"
    assert "GatehouseApi" in references(_origin(config, "api")["DomainName"])
    assert default["CachePolicyId"] == CACHING_DISABLED
    assert default["OriginRequestPolicyId"] == ALL_VIEWER_EXCEPT_HOST
    assert set(default["AllowedMethods"]) == {"GET", "HEAD", "OPTIONS", "PUT", "PATCH", "POST", "DELETE"}


def test_the_console_gets_the_strict_headers_the_local_runtime_sends(resources: dict[str, Any]) -> None:
    (app,) = _distribution(resources)["CacheBehaviors"]
    policy = resources[next(iter(references(app["ResponseHeadersPolicyId"])))]
    headers = policy["Properties"]["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"]
    csp = headers["ContentSecurityPolicy"]
    assert csp["ContentSecurityPolicy"] == SECURITY_HEADERS["Content-Security-Policy"]
    assert "unsafe-inline" not in csp["ContentSecurityPolicy"]
    assert "frame-ancestors 'none'" in csp["ContentSecurityPolicy"]
    hsts = headers["StrictTransportSecurity"]
    assert (
        f"max-age={hsts['AccessControlMaxAgeSec']}; includeSubDomains; preload"
        == SECURITY_HEADERS["Strict-Transport-Security"]
    )
    assert headers["ContentTypeOptions"]["Override"] is True
    assert headers["FrameOptions"]["FrameOption"] == SECURITY_HEADERS["X-Frame-Options"]
    assert headers["ReferrerPolicy"]["ReferrerPolicy"] == SECURITY_HEADERS["Referrer-Policy"]
    assert all(h["Override"] is True for h in headers.values())
