"""The transport consulate normally uses: pooled keep-alive connections to one agent.

One :class:`PooledTransport` serves one agent address (TCP, TLS or a UNIX
socket) with two pools of keep-alive connections: one for ordinary requests
(``pool_size`` idle connections at most) and one for long polls, so that
blocking queries, watches, caches and lock monitors never hold a connection an
ordinary call waits for. Neither pool blocks: a request that finds no idle
connection opens one, and a connection over the limit is closed when it is
given back.

The pools are lock-free (deque operations are atomic: no thread ever holds
a lock across a request), and they are emptied in a child process after
:func:`os.fork`, so a child never shares a socket with its parent. A
connection that the agent closed while it was idle is noticed before a write
is sent on it (it reads as ready); a read that meets such a connection is
sent again on a new one (see :meth:`PooledTransport.send`). The connections
themselves are :class:`~consulate.adapters.connection.Connection`.
"""

from __future__ import annotations

import collections
import os
import socket
import ssl
import weakref
from collections.abc import Callable, Iterator
from urllib.parse import unquote

from consulate import exceptions
from consulate.adapters.connection import Connection, ProtocolError
from consulate.adapters.errors import display_address, socket_error
from consulate.adapters.tls import server_host, ssl_context
from consulate.adapters.transport import READ_METHODS, RawResponse, WireRequest

__all__ = ['LONG_POLL_POOL_SIZE', 'PooledTransport']

#: Idle connections kept for long polls (blocking queries, watches, streams).
LONG_POLL_POOL_SIZE = 256

_Pool = collections.deque[Connection]


class PooledTransport:
    """Send requests to one agent over pooled keep-alive connections.

    :param origin: ``http://host:port``, ``https://host:port`` or ``http+unix://<quoted path>``
    :param pool_size: idle connections kept for ordinary requests
    :param verify: as for :func:`consulate.adapters.tls.ssl_context`
    :param tls_server_name: the name the server certificate must carry, when
        it is not the host in ``origin``
    """

    def __init__(
        self,
        origin: str,
        *,
        pool_size: int,
        verify: bool | str = True,
        ca_bundle: str | None = None,
        cert: str | tuple[str, str] | None = None,
        tls_server_name: str | None = None,
    ) -> None:
        self.origin = origin
        self.address = display_address(origin)
        self.pool_size = pool_size
        scheme, _, netloc = origin.partition('://')
        self._connect = self._connector(scheme, netloc, verify, ca_bundle, cert, tls_server_name)
        self._idle: _Pool = collections.deque()
        self._idle_long: _Pool = collections.deque()
        _TRANSPORTS.add(self)

    def __repr__(self) -> str:
        return f'<PooledTransport {self.address}>'

    def close(self) -> None:
        """Close every idle connection; the transport stays usable."""
        for idle in (self._idle, self._idle_long):
            while idle:
                try:
                    idle.pop().close()
                except IndexError:  # another thread took the last one
                    break

    def send(self, request: WireRequest) -> RawResponse:
        """Send ``request`` on an idle connection (or a new one) and read the answer.

        A read that fails on a reused connection before any of its answer
        arrived is sent once more on a new connection: the agent closed the
        idle connection (a restart, an idle timeout) as the request went out.
        A write is never sent twice; before a write, an idle connection is
        checked for having been closed, and replaced.
        """
        idle = self._idle_long if request.long_poll else self._idle
        connection, reused = self._checkout(idle, request)
        while True:
            try:
                raw = connection.send(request)
            except ValueError as error:  # a header or the path holds what HTTP cannot carry
                connection.close()
                raise exceptions.ValidationError(
                    f'cannot send {request.method} {request.path}: {error}'
                ) from error
            except (OSError, ProtocolError) as error:
                connection.close()
                if reused and _stale(connection, error, request.method):
                    connection, reused = self._open(request), False
                    continue
                raise socket_error(
                    error, self.address, request.method, request.path, sent=connection.sent
                ) from error
            break
        if raw.chunks is not None:
            return self._streamed(raw, connection, idle, request)
        self._release(connection, idle)
        return raw

    def _checkout(self, idle: _Pool, request: WireRequest) -> tuple[Connection, bool]:
        """An idle connection and True, or a new one and False.

        Before a write, an idle connection the agent has closed is noticed and
        replaced; a read finds out when it is sent (see :meth:`send`), which
        spares every read a system call.
        """
        check = request.method not in READ_METHODS
        while True:
            try:
                connection = idle.pop()
            except IndexError:
                return self._open(request), False
            if not (check and connection.dropped()):
                return connection, True
            connection.close()

    def _open(self, request: WireRequest) -> Connection:
        """A new connection to the agent.

        :raises consulate.exceptions.RequestError: it cannot be made (``sent`` is False)
        """
        try:
            return self._connect(request.timeout[0])
        except OSError as error:  # ssl.SSLError, timeouts and refusals are OSErrors
            raise socket_error(
                error, self.address, request.method, request.path, sent=False
            ) from error

    def _release(self, connection: Connection, idle: _Pool) -> None:
        """Keep a connection whose answer was read whole, up to the pool's size; close the rest."""
        limit = LONG_POLL_POOL_SIZE if idle is self._idle_long else self.pool_size
        if connection.reusable and len(idle) < limit:
            idle.append(connection)
        else:
            connection.close()

    def _streamed(
        self, raw: RawResponse, connection: Connection, idle: _Pool, request: WireRequest
    ) -> RawResponse:
        """A streamed answer whose failures are consulate's, and whose end gives the connection back."""
        chunks = raw.chunks
        assert chunks is not None

        def mapped() -> Iterator[bytes]:
            try:
                yield from chunks
            except (OSError, ProtocolError) as error:
                connection.close()
                raise socket_error(
                    error, self.address, request.method, request.path, sent=True
                ) from error

        return RawResponse(
            raw.status, raw.headers, b'', mapped(), lambda: self._release(connection, idle)
        )

    def _forget(self) -> None:
        """Drop (without closing) every pooled connection: they belong to the parent process."""
        self._idle = collections.deque()
        self._idle_long = collections.deque()

    @staticmethod
    def _connector(
        scheme: str,
        netloc: str,
        verify: bool | str,
        ca_bundle: str | None,
        cert: str | tuple[str, str] | None,
        tls_server_name: str | None,
    ) -> Callable[[float], Connection]:
        """A function opening a connection to the agent within a connect timeout, by scheme."""
        if scheme == 'http+unix':
            path = unquote(netloc)
            return lambda timeout: Connection(_unix_socket(path, timeout), 'localhost')
        host, port = _split_netloc(netloc, 443 if scheme == 'https' else 80)
        if scheme == 'http':
            return lambda timeout: Connection(_tcp_socket(host, port, timeout), netloc)
        contexts: list[ssl.SSLContext] = []  # built on the first connection, then kept

        def tls(timeout: float) -> Connection:
            if not contexts:
                try:
                    contexts.append(ssl_context(verify, ca_bundle, cert))
                except (OSError, ssl.SSLError) as error:
                    raise exceptions.TLSError(
                        f'the TLS settings for {scheme}://{netloc} cannot be used: {error}'
                    ) from error
            name = server_host(tls_server_name) if tls_server_name else host
            sock = _tcp_socket(host, port, timeout)
            try:
                return Connection(contexts[0].wrap_socket(sock, server_hostname=name), netloc)
            except BaseException:
                sock.close()
                raise

        return tls


def _tcp_socket(host: str, port: int, timeout: float) -> socket.socket:
    sock = socket.create_connection((host, port), timeout)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def _unix_socket(path: str, timeout: float) -> socket.socket:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.settimeout(timeout)
        sock.connect(path)
    except OSError as error:
        sock.close()
        if isinstance(error, FileNotFoundError):
            raise FileNotFoundError(error.errno, f'no socket at {path}') from error
        raise
    return sock


def _stale(connection: Connection, error: BaseException, method: str) -> bool:
    """Whether a failed request met a connection the agent had closed, and may be sent again.

    Only a read is sent again, and only when nothing of its answer arrived and
    it did not time out (a timeout is the agent being slow, not gone).
    """
    return (
        method in READ_METHODS
        and not connection.answered
        and not isinstance(error, (TimeoutError, ProtocolError))
    )


def _split_netloc(netloc: str, default_port: int) -> tuple[str, int]:
    """``host:port`` (``[v6]:port``) -> ``(host, port)``."""
    if netloc.startswith('['):
        host, _, rest = netloc[1:].partition(']')
        return host, int(rest[1:]) if rest.startswith(':') else default_port
    host, _, port = netloc.rpartition(':')
    if not host:
        return port, default_port
    return host, int(port)


#: Every live transport, emptied in a child process after fork.
_TRANSPORTS: weakref.WeakSet[PooledTransport] = weakref.WeakSet()


def _after_fork_in_child() -> None:
    for transport in list(_TRANSPORTS):
        transport._forget()


os.register_at_fork(after_in_child=_after_fork_in_child)
