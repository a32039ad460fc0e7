"""The requests sessions consulate builds, and the transport adapters mounted on them.

A session consulate builds mounts requests' :class:`~requests.adapters.HTTPAdapter`
for ``http://`` and ``https://`` and requests-unixsocket's adapter for
``http+unix://``, each keeping ``pool_size`` idle connections per agent, with
two additions, both through requests' and urllib3's public extension points:

- ``tls_server_name``: the HTTPS adapter checks the certificate against (and
  sends as SNI) that name instead of the host in the URL, as
  ``CONSUL_TLS_SERVER_NAME`` asks;
- the connections are urllib3's own, counting the requests written on them
  (a read that fails on a kept connection may be sent once more) and, with
  ``tracked``, noting which :class:`~consulate.adapters.polls.LongPoll` each
  request was written for, so that a long poll can be interrupted (sessions
  that carry long polls only).

requests-unixsocket's adapter keeps one pool of one connection per URL
(path and query included); the one here keeps one pool per socket, so every
request to an agent's socket shares its connections.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import requests
import requests.adapters
import requests_unixsocket
from requests_unixsocket.adapters import UnixHTTPConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from consulate.adapters.polls import (
    CountedHTTPConnection,
    CountedHTTPSConnection,
    TrackedHTTPConnection,
    TrackedHTTPSConnection,
    _Counted,
    _Tracked,
)

__all__ = ['ConsulHTTPAdapter', 'UnixSocketAdapter', 'build_session', 'server_host']


def build_session(
    *, pool_size: int, tls_server_name: str | None = None, tracked: bool = False
) -> requests.Session:
    """A session for one client: its adapters, and no environment lookups (the client read it)."""
    session = requests.Session()
    session.trust_env = False
    session.mount('http://', ConsulHTTPAdapter(pool_maxsize=pool_size, tracked=tracked))
    session.mount(
        'https://',
        ConsulHTTPAdapter(pool_maxsize=pool_size, tracked=tracked, server_name=tls_server_name),
    )
    session.mount('http+unix://', UnixSocketAdapter(pool_maxsize=pool_size, tracked=tracked))
    return session


class _CountedHTTPPool(HTTPConnectionPool):
    ConnectionCls = CountedHTTPConnection


class _CountedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = CountedHTTPSConnection


class _TrackedHTTPPool(HTTPConnectionPool):
    ConnectionCls = TrackedHTTPConnection


class _TrackedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = TrackedHTTPSConnection


class ConsulHTTPAdapter(requests.adapters.HTTPAdapter):
    """requests' HTTP(S) adapter, checking a fixed TLS server name, with interruptible connections if asked.

    :param server_name: the name the server certificate must carry (and SNI),
        when it is not the host in the URL; a ``:port`` suffix is ignored
    :param tracked: make connections a :class:`~consulate.adapters.polls.LongPoll` can interrupt
    """

    def __init__(
        self, *, pool_maxsize: int, server_name: str | None = None, tracked: bool = False
    ) -> None:
        self.server_name = server_host(server_name) if server_name else None
        self.tracked = tracked
        super().__init__(pool_maxsize=pool_maxsize)

    def init_poolmanager(
        self, connections: int, maxsize: int, block: bool = False, **pool_kwargs: Any
    ) -> None:
        """Make the pool manager, with the server name and connection classes asked for."""
        if self.server_name:
            pool_kwargs['server_hostname'] = self.server_name
            pool_kwargs['assert_hostname'] = self.server_name
        super().init_poolmanager(connections, maxsize, block, **pool_kwargs)
        self.poolmanager.pool_classes_by_scheme = (
            {'http': _TrackedHTTPPool, 'https': _TrackedHTTPSPool}
            if self.tracked
            else {'http': _CountedHTTPPool, 'https': _CountedHTTPSPool}
        )


class _CountedUnixConnection(_Counted, UnixHTTPConnection):  # type: ignore[misc]
    pass


class _TrackedUnixConnection(_Tracked, UnixHTTPConnection):  # type: ignore[misc]
    pass


class _UnixPool(HTTPConnectionPool):
    """The connections to one UNIX socket, named by ``http+unix://<quoted path>``."""

    def __init__(self, socket_url: str, maxsize: int, tracked: bool) -> None:
        super().__init__('localhost', maxsize=maxsize)
        self.socket_url = socket_url
        self.connection_class = _TrackedUnixConnection if tracked else _CountedUnixConnection

    def _new_conn(self) -> Any:
        self.num_connections += 1
        return self.connection_class(self.socket_url, self.timeout.connect_timeout)


class UnixSocketAdapter(requests_unixsocket.UnixAdapter):  # type: ignore[misc]
    """requests-unixsocket's adapter, with one pool of ``pool_maxsize`` connections per socket."""

    def __init__(self, *, pool_maxsize: int, tracked: bool = False) -> None:
        super().__init__()
        self.pool_maxsize = pool_maxsize
        self.tracked = tracked

    def get_connection_with_tls_context(
        self, request: requests.PreparedRequest, verify: Any, proxies: Any = None, cert: Any = None
    ) -> HTTPConnectionPool:
        """The pool of the socket ``request`` goes to."""
        return self.get_connection(request.url or '', proxies)

    def get_connection(self, url: str, proxies: Any = None) -> HTTPConnectionPool:
        """The pool of the socket ``url`` names (a proxy cannot reach a UNIX socket)."""
        if proxies and proxies.get('http+unix'):
            raise ValueError('a UNIX socket cannot be reached through a proxy')
        socket_url = 'http+unix://' + urlsplit(url).netloc
        with self.pools.lock:
            pool = self.pools.get(socket_url)
            if pool is None:
                pool = _UnixPool(socket_url, self.pool_maxsize, self.tracked)
                self.pools[socket_url] = pool
        return pool  # type: ignore[no-any-return]


def server_host(server_name: str) -> str:
    """``CONSUL_TLS_SERVER_NAME`` without a port, as the Consul CLI takes it."""
    return server_name.rsplit(':', 1)[0] if ':' in server_name else server_name
