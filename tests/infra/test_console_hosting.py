"""The console's hosting in template.yaml: a private bucket read only through CloudFront, one origin
with the API, HTTPS only, and the same strict headers the local runtime sends."""

from __future__ import annotations

from typing import Any

from local.aws import bucket_cors_rules
from local.console_site import CONSOLE_PATH, SECURITY_HEADERS, content_security_policy
from tests.infra.conftest import references

IMPORT_BUCKET_ORIGIN = "https://${ImportBucket}.s3.${AWS::Region}.amazonaws.com"
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
    # The one allowed difference: the upload origin, moto's endpoint locally, the import bucket's in AWS.
    in_aws = csp["ContentSecurityPolicy"]["Fn::Sub"]
    assert in_aws.count(IMPORT_BUCKET_ORIGIN) == 1
    local_origin = "http://127.0.0.1:5000"
    assert in_aws.replace(IMPORT_BUCKET_ORIGIN, local_origin) == content_security_policy(local_origin)
    assert "connect-src 'self' " + IMPORT_BUCKET_ORIGIN + ";" in in_aws
    assert "unsafe-inline" not in in_aws
    assert "frame-ancestors 'none'" in in_aws
    assert "${" not in in_aws.replace(IMPORT_BUCKET_ORIGIN, "")  # nothing else substituted
    hsts = headers["StrictTransportSecurity"]
    assert (
        f"max-age={hsts['AccessControlMaxAgeSec']}; includeSubDomains; preload"
        == SECURITY_HEADERS["Strict-Transport-Security"]
    )
    assert headers["ContentTypeOptions"]["Override"] is True
    assert headers["FrameOptions"]["FrameOption"] == SECURITY_HEADERS["X-Frame-Options"]
    assert headers["ReferrerPolicy"]["ReferrerPolicy"] == SECURITY_HEADERS["Referrer-Policy"]
    assert all(h["Override"] is True for h in headers.values())


def test_the_import_bucket_takes_the_consoles_upload_and_moto_gets_the_same_rules(
    resources: dict[str, Any],
) -> None:
    declared = resources["ImportBucket"]["Properties"]["CorsConfiguration"]["Fn::If"]
    assert declared[0] == "HasAllowedOrigins"
    assert declared[2] == {"Ref": "AWS::NoValue"}
    (rule,) = declared[1]["CorsRules"]
    assert rule["AllowedMethods"] == ["PUT"]  # uploads only: nothing is read back from a browser
    assert rule["AllowedOrigins"] == [{"Fn::Select": [0, {"Ref": "AllowedOrigins"}]}]  # the console's origin
    # Exactly the headers the presigned URL is signed with (gatehouse.contacts.imports.create_upload).
    assert rule["AllowedHeaders"] == ["Content-Type"]
    assert 0 < rule["MaxAge"] <= 3600
    resolved = {**declared[1]["CorsRules"][0], "AllowedOrigins": ["http://127.0.0.1:3000"]}
    assert bucket_cors_rules({"CorsRules": [resolved]}) == [
        {
            "ID": "ConsoleUploads",
            "AllowedMethods": ["PUT"],
            "AllowedOrigins": ["http://127.0.0.1:3000"],
            "AllowedHeaders": ["Content-Type"],
            "MaxAgeSeconds": rule["MaxAge"],
        }
    ]
    assert bucket_cors_rules(None) == []
