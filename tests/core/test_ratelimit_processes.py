"""With REDIS_URL set, the rate limit is one budget for every process."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.assertions import assert_error
from tests.servers import Server, start_pair

pytestmark = pytest.mark.timeout(90)


@pytest.mark.parametrize("last", [0, 1])
def test_the_limit_is_shared_across_two_processes(
    tmp_path: Path,
    redis_url: str,
    servers: list[Server],
    last: int,
) -> None:
    overrides = {
        "REDIS_URL": redis_url,
        "RATE_LIMIT_ENABLED": "true",
        "RATE_LIMIT_DEFAULT": "20/minute",
    }
    pair = start_pair(tmp_path, overrides, servers)
    with httpx.Client(timeout=5.0) as http:
        for i in range(20):
            response = http.get(f"{pair[i % 2].http_url}/")
            assert response.status_code == 200, (i, response.text)
            assert response.headers["RateLimit-Remaining"] == str(19 - i)
        # The 21st request in the window is refused whichever process serves it.
        refused = http.get(f"{pair[last].http_url}/")
        assert refused.status_code == 429
        assert refused.json()["code"] == "rate_limited"
        assert int(refused.headers["Retry-After"]) >= 1
        assert_error(http.get(f"{pair[1 - last].http_url}/"), 429, "rate_limited")
