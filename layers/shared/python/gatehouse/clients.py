"""AWS clients, one per (service, region, endpoint) per process.

Creating a botocore client costs ~150 ms, so it is done once; botocore rather than
boto3 keeps boto3's import off cold starts. The endpoint comes from the environment, so
the local runtime and tests reach their emulated AWS.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Final

import botocore.session
from botocore.config import Config

from gatehouse.config import get_settings
from gatehouse.freshness import forgotten_on_restore

# S3 presigned URLs: Signature Version 4 (objects under SSE-KMS refuse any other, and SigV2 puts
# the Content-Type in the query, where a browser's CORS preflight cannot match it) on the bucket's
# regional virtual-host endpoint, the origin the console's connect-src names (template.yaml); an
# IP-address endpoint (moto, locally) stays path-style.
_S3_CONFIG: Final = Config(
    signature_version="s3v4", s3={"us_east_1_regional_endpoint": "regional", "addressing_style": "virtual"}
)


def aws_client(service: str) -> Any:
    settings = get_settings()
    return _client(service, settings.region, settings.endpoint_url)


@lru_cache(maxsize=16)
def _client(service: str, region: str, endpoint_url: str | None) -> Any:
    # The endpoint keys the cache but botocore reads it from the environment itself, where a
    # service's own variable wins: off AWS, AWS_ENDPOINT_URL_DYNAMODB names DynamoDB Local and
    # AWS_ENDPOINT_URL moto, as for PynamoDB's client.
    del endpoint_url
    config = _S3_CONFIG if service == "s3" else None
    return botocore.session.get_session().create_client(service, region_name=region, config=config)


# A client holds the credentials it resolved and its open connections: never across a restore.
forgotten_on_restore(_client.cache_clear)
