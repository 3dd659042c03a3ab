"""AWS clients, one per (service, region, endpoint) per process.

Creating a botocore client costs ~150 ms, so it is done once; botocore rather than
boto3 keeps boto3's import off cold starts. The endpoint comes from the environment, so
the local runtime and tests reach their emulated AWS.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import botocore.session

from gatehouse.config import get_settings
from gatehouse.freshness import forgotten_on_restore


def aws_client(service: str) -> Any:
    settings = get_settings()
    return _client(service, settings.region, settings.endpoint_url)


@lru_cache(maxsize=16)
def _client(service: str, region: str, endpoint_url: str | None) -> Any:
    # The endpoint keys the cache but botocore reads it from the environment itself, where a
    # service's own variable wins: off AWS, AWS_ENDPOINT_URL_DYNAMODB names DynamoDB Local and
    # AWS_ENDPOINT_URL moto, as for PynamoDB's client.
    del endpoint_url
    return botocore.session.get_session().create_client(service, region_name=region)


# A client holds the credentials it resolved and its open connections: never across a restore.
forgotten_on_restore(_client.cache_clear)
