"""HTTP over a UNIX socket: requests-unixsocket, with a pool that keeps several connections.

requests-unixsocket's pool keeps one connection, so threads sharing a client
open and throw away a connection per concurrent request (and urllib3 logs
"Connection pool is full" each time). This pool keeps as many as requests'
own pools do.
"""

from __future__ import annotations

from typing import Any

import urllib3
from requests_unixsocket.adapters import UnixAdapter, UnixHTTPConnectionPool

__all__ = ['POOL_SIZE', 'PooledUnixAdapter']

#: Connections kept per socket (requests' HTTPAdapter keeps 10 per host).
POOL_SIZE = 10


class _PooledUnixConnectionPool(UnixHTTPConnectionPool):  # type: ignore[misc]
    def __init__(self, socket_url: str, timeout: float = 60) -> None:
        urllib3.HTTPConnectionPool.__init__(self, 'localhost', timeout=timeout, maxsize=POOL_SIZE)
        self.socket_path = socket_url
        self.timeout = timeout


class PooledUnixAdapter(UnixAdapter):  # type: ignore[misc]
    """requests-unixsocket's transport adapter, with :data:`POOL_SIZE` connections per socket."""

    def get_connection(self, url: str, proxies: Any = None) -> _PooledUnixConnectionPool:
        with self.pools.lock:
            pool: _PooledUnixConnectionPool | None = self.pools.get(url)
            if pool is None:
                pool = _PooledUnixConnectionPool(url, self.timeout)
                self.pools[url] = pool
        return pool
