"""The transport consulate normally uses: pooled ``http.client`` connections to one agent.

One :class:`PooledTransport` serves one agent address (TCP, TLS or a UNIX
socket) with two pools of keep-alive connections: one for ordinary requests
(``pool_size`` idle connections at most) and one for long polls, so that
blocking queries, watches, caches and lock monitors never hold a connection an
ordinary call waits for. Neither pool blocks: a request that finds no idle
connection opens one, and a connection over the limit is closed when it is
given back.

The pools are lock-free (deque operations are atomic), and they are emptied
in a child process after :func:`os.fork`, so a child never shares a socket
with its parent. A connection that the agent closed while it was idle is
noticed before it is reused (it reads as ready), never after a request was
written to it.
"""

from __future__ import annotations

import collections
import http.client
import os
import select
import socket
import ssl
import weakref
from collections.abc import Callable, Iterator, Mapping
from typing import IO, cast
from urllib.parse import unquote

from consulate import exceptions
from consulate.adapters.errors import display_address, socket_error
from consulate.adapters.tls import server_host, ssl_context
from consulate.adapters.transport import RawResponse, WireRequest

__all__ = ['LONG_POLL_POOL_SIZE', 'PooledTransport']

#: Idle connections kept for long polls (blocking queries, watches, streams).
LONG_POLL_POOL_SIZE = 256
#: Bytes read at a time from a streamed answer.
CHUNK_SIZE = 1 << 16

_Connection = http.client.HTTPConnection


class PooledTransport:
    """Send requests to one agent over pooled ``http.client`` connections.

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
        self._idle: collections.deque[_Connection] = collections.deque()
        self._idle_long: collections.deque[_Connection] = collections.deque()
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
        """Send ``request`` on an idle connection (or a new one) and read the answer."""
        idle, limit = (
            (self._idle_long, LONG_POLL_POOL_SIZE)
            if request.long_poll
            else (self._idle, self.pool_size)
        )
        connect_timeout, read_timeout = request.timeout
        try:
            connection = self._checkout(idle, connect_timeout)
            if connection.sock is None:
                connection.connect()
            connection.sock.settimeout(read_timeout)
        except (OSError, http.client.HTTPException) as error:
            raise socket_error(
                error, self.address, request.method, request.path, sent=False
            ) from error
        try:
            _write(connection, request)
        except ValueError as error:  # a header or the path holds what HTTP cannot carry
            connection.close()
            raise exceptions.ValidationError(
                f'cannot send {request.method} {request.path}: {error}'
            ) from error
        except (OSError, http.client.HTTPException) as error:
            connection.close()
            raise socket_error(
                error, self.address, request.method, request.path, sent=True
            ) from error
        try:
            answer = connection.getresponse()
            if request.stream and answer.status < 400:
                return _streamed(answer, connection, idle, limit, self.address, request)
            content = answer.read()
        except (OSError, http.client.HTTPException) as error:
            connection.close()
            raise socket_error(
                error, self.address, request.method, request.path, sent=True
            ) from error
        if answer.will_close:
            connection.close()
        else:
            _give_back(connection, idle, limit)
        return RawResponse(answer.status, _headers(answer), content)

    def _checkout(
        self, idle: collections.deque[_Connection], connect_timeout: float
    ) -> _Connection:
        """An idle connection the agent has not closed, or a new unconnected one."""
        while True:
            try:
                connection = idle.pop()
            except IndexError:
                return self._connect(connect_timeout)
            if not _dropped(connection):
                return connection
            connection.close()

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
    ) -> Callable[[float], _Connection]:
        """A function making an unconnected connection to the agent, by scheme."""
        if scheme == 'http+unix':
            path = unquote(netloc)
            return lambda timeout: _UnixConnection(path, timeout)
        host, port = _split_netloc(netloc, 443 if scheme == 'https' else 80)
        if scheme == 'http':
            return lambda timeout: http.client.HTTPConnection(host, port, timeout=timeout)
        contexts: list[ssl.SSLContext] = []  # built on the first connection, then kept

        def tls(timeout: float) -> _Connection:
            if not contexts:
                try:
                    contexts.append(ssl_context(verify, ca_bundle, cert))
                except (OSError, ssl.SSLError) as error:
                    raise exceptions.TLSError(
                        f'the TLS settings for {scheme}://{netloc} cannot be used: {error}'
                    ) from error
            name = server_host(tls_server_name) if tls_server_name else host
            return _TLSConnection(host, port, timeout, contexts[0], name)

        return tls


class _TLSConnection(http.client.HTTPConnection):
    """HTTPS with a given SSL context and certificate name (``tls_server_name``)."""

    def __init__(
        self, host: str, port: int, timeout: float, context: ssl.SSLContext, server_name: str
    ) -> None:
        super().__init__(host, port, timeout=timeout)
        self._context = context
        self._server_name = server_name

    def connect(self) -> None:
        super().connect()
        self.sock = self._context.wrap_socket(self.sock, server_hostname=self._server_name)


class _UnixConnection(http.client.HTTPConnection):
    """HTTP over a UNIX domain socket."""

    def __init__(self, path: str, timeout: float) -> None:
        super().__init__('localhost', timeout=timeout)
        self._path = path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.settimeout(self.timeout)
            sock.connect(self._path)
        except OSError as error:
            sock.close()
            if isinstance(error, FileNotFoundError):
                raise FileNotFoundError(error.errno, f'no socket at {self._path}') from error
            raise
        self.sock = sock


def _write(connection: _Connection, request: WireRequest) -> None:
    """Write the request line, the headers and the body."""
    connection.putrequest(request.method, request.target)  # adds Host and Accept-Encoding: identity
    for name, value in request.headers.items():
        connection.putheader(name, value)
    body = request.body
    if body is None:
        if request.method in ('PUT', 'POST'):
            connection.putheader('Content-Length', '0')
        connection.endheaders()
    elif isinstance(body, bytes):
        connection.putheader('Content-Length', str(len(body)))
        connection.endheaders(body)
    else:
        length = _remaining_length(body)
        if length is None:
            connection.putheader('Transfer-Encoding', 'chunked')
            connection.endheaders(body, encode_chunked=True)
        else:
            connection.putheader('Content-Length', str(length))
            connection.endheaders(body)


def _remaining_length(body: IO[bytes]) -> int | None:
    """How many bytes a file body has left, when that can be known."""
    try:
        return os.fstat(body.fileno()).st_size - body.tell()
    except (AttributeError, OSError, ValueError):
        return None


def _streamed(
    answer: http.client.HTTPResponse,
    connection: _Connection,
    idle: collections.deque[_Connection],
    limit: int,
    address: str,
    request: WireRequest,
) -> RawResponse:
    """A streamed answer: its chunks, and a closer that gives the connection back when it was read whole."""
    finished = [False]

    def chunks() -> Iterator[bytes]:
        while True:
            try:
                chunk = answer.read1(CHUNK_SIZE)
            except (OSError, http.client.HTTPException) as error:
                raise socket_error(
                    error, address, request.method, request.path, sent=True
                ) from error
            if not chunk:
                finished[0] = True
                return
            yield chunk

    def closer() -> None:
        if finished[0] and not answer.will_close:
            _give_back(connection, idle, limit)
        else:
            connection.close()

    return RawResponse(answer.status, _headers(answer), b'', chunks(), closer)


def _headers(answer: http.client.HTTPResponse) -> Mapping[str, str]:
    """The answer's headers: an :class:`email.message.Message`, read as a case-insensitive mapping."""
    return cast('Mapping[str, str]', answer.headers)


def _give_back(connection: _Connection, idle: collections.deque[_Connection], limit: int) -> None:
    if len(idle) < limit:
        idle.append(connection)
    else:
        connection.close()


def _dropped(connection: _Connection) -> bool:
    """Whether an idle connection was closed by the agent (it reads as ready, or is gone)."""
    sock = connection.sock
    if sock is None:
        return False  # never connected: connect() makes it
    try:
        poller = select.poll()
        poller.register(sock, select.POLLIN)
        return bool(poller.poll(0))
    except (OSError, ValueError):
        return True


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
