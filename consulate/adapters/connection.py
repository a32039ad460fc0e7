"""One keep-alive HTTP/1.1 connection to an agent: write a request, read its answer.

:class:`~consulate.adapters.http.PooledTransport` keeps these in its pools.
They speak the part of HTTP/1.1 that a Consul agent (or a proxy in front of
one) uses: a request with a ``Content-Length`` or chunked body, and an answer
framed by ``Content-Length``, chunked transfer encoding or the end of the
connection. They do the work of :class:`http.client.HTTPConnection` with
far fewer system calls, which is what keeps a client fast when a thread pool
shares it: every system call releases the GIL, and with many threads each
release hands the interpreter to another thread.

* A request is written with one ``sendall`` (head and body together, unless
  the body is large or a file).
* A small answer is read with one ``recv``, and its head is parsed with
  bytes operations into :class:`Headers` (``http.client`` builds an
  :class:`email.message.Message`).
* On TCP and UNIX sockets the timeouts are the kernel's (``SO_RCVTIMEO``,
  ``SO_SNDTIMEO``) on a blocking socket, set again only when they change;
  a Python socket timeout costs a ``poll`` before every read and write.
  TLS sockets (OpenSSL retries a read the kernel timed out) and systems
  other than POSIX keep Python's timeouts.
"""

from __future__ import annotations

import os
import re
import select
import socket
import ssl
import struct
from collections.abc import Iterator
from typing import IO

from consulate.adapters.transport import Headers, RawResponse, WireRequest

__all__ = ['Closed', 'Connection', 'ProtocolError']

#: Bytes asked for by one ``recv``.
RECV_SIZE = 1 << 16
#: A body larger than this is written with its own ``sendall``, not copied after the head.
JOIN_LIMIT = 1 << 16
#: The longest answer head, and the longest chunk-size line, accepted.
MAX_HEAD = 1 << 16

#: What a request target or a header may not hold (http.client refuses the same).
_BAD_TARGET = re.compile(r'[\x00-\x20\x7f]')
_BAD_HEADER = re.compile(r'[\r\n\x00]')
_BAD_NAME = re.compile(r'[^!#$%&\'*+\-.^_`|~0-9A-Za-z]')
#: The longest kernel timeout set, in seconds.
_LONGEST = 365 * 24 * 3600.0
#: Statuses whose answers never have a body.
_NO_BODY = frozenset({204, 304})


class ProtocolError(Exception):
    """The answer is not the HTTP/1.x the request expected (a garbled head, a bad chunk)."""


class Closed(ConnectionError):
    """The agent closed the connection before the answer was complete."""


class Connection:
    """One connected socket to an agent, reused for one request after another.

    :param sock: a connected socket (TCP, UNIX or TLS)
    :param host: the ``Host`` header's value
    :ivar sent: whether any byte of the current request may have reached the agent
    :ivar answered: whether any byte of the current answer has arrived
    :ivar reusable: whether the last answer was read whole and the agent keeps
        the connection open
    """

    __slots__ = (
        '_buffer',
        '_kernel',
        '_pos',
        '_timeout',
        'answered',
        'host',
        'reusable',
        'sent',
        'sock',
    )

    def __init__(self, sock: socket.socket, host: str) -> None:
        self.sock = sock
        self.host = host
        self.sent = self.answered = self.reusable = False
        self._buffer = b''
        self._pos = 0
        self._timeout: float | None = sock.gettimeout()
        # The kernel's timeouts take a struct timeval on POSIX systems (Windows wants
        # milliseconds); OpenSSL would retry a TLS read that the kernel timed out.
        self._kernel = os.name == 'posix' and not isinstance(sock, ssl.SSLSocket)
        if self._kernel:
            sock.settimeout(None)  # blocking: the kernel times each read and write out
            self._timeout = None

    def __repr__(self) -> str:
        return f'<Connection {self.host}>'

    def close(self) -> None:
        """Close the socket; safe to call twice."""
        self.reusable = False
        self.sock.close()

    def dropped(self) -> bool:
        """Whether the agent closed this idle connection (it reads as ready, or is gone)."""
        try:
            poller = select.poll()
            poller.register(self.sock, select.POLLIN)
            return bool(poller.poll(0))
        except (OSError, ValueError):
            return True

    def send(self, request: WireRequest) -> RawResponse:
        """Write ``request`` and read its answer (whole, or its head only with ``stream``).

        A streamed answer's :meth:`~RawResponse.close` closes this connection;
        a pool replaces that closer, and keeps the connection when
        :attr:`reusable` says the body was read to its end.

        :raises ValueError: the request holds what HTTP cannot carry (nothing was sent)
        :raises OSError: the socket failed or timed out (:exc:`TimeoutError`)
        :raises ProtocolError: the answer is not HTTP
        """
        self.sent = self.answered = self.reusable = False
        body = request.body
        length = _body_length(request.method, body)
        head = _head(request, self.host, length)
        self._set_timeout(request.timeout[1])
        self.sent = True
        if body is None:
            self._write(head)
        elif isinstance(body, bytes):
            if len(body) <= JOIN_LIMIT:
                self._write(head + body)
            else:
                self._write(head)
                self._write(body)
        else:
            self._write(head)
            self._write_file(body, chunked=length is None)
        status, headers, framing, keep = self._read_head(request.method)
        if request.stream and status < 400:
            return RawResponse(status, headers, b'', self._pieces(framing, keep), self.close)
        content = self._read_body(framing, keep)
        return RawResponse(status, headers, content)

    # -- writing ------------------------------------------------------------------------

    def _set_timeout(self, seconds: float) -> None:
        """Time reads and writes out after ``seconds``; no system call when it is unchanged."""
        if seconds == self._timeout:
            return
        if self._kernel:
            # 0 would mean "never" to the kernel; a year is as good as forever.
            bounded = min(max(seconds, 0.001), _LONGEST)
            whole = int(bounded)
            value = struct.pack('ll', whole, int((bounded - whole) * 1_000_000))
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, value)
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, value)
        else:
            self.sock.settimeout(seconds)
        self._timeout = seconds

    def _write(self, data: bytes) -> None:
        try:
            self.sock.sendall(data)
        except BlockingIOError as error:  # the kernel's send timeout
            raise TimeoutError('timed out') from error

    def _write_file(self, body: IO[bytes], *, chunked: bool) -> None:
        while chunk := body.read(RECV_SIZE):
            self._write(b'%x\r\n%s\r\n' % (len(chunk), chunk) if chunked else chunk)
        if chunked:
            self._write(b'0\r\n\r\n')

    # -- reading ------------------------------------------------------------------------

    def _fill(self) -> None:
        """Receive more of the answer into the buffer.

        :raises Closed: the agent closed the connection
        """
        try:
            data = self.sock.recv(RECV_SIZE)
        except BlockingIOError as error:  # the kernel's receive timeout
            raise TimeoutError('timed out') from error
        if not data:
            raise Closed(
                'the agent closed the connection before answering'
                if not self.answered
                else 'the agent closed the connection in the middle of the answer'
            )
        self.answered = True
        self._buffer = self._buffer[self._pos :] + data if self._pos < len(self._buffer) else data
        self._pos = 0

    def _read_head(self, method: str) -> tuple[int, Headers, int | None, bool]:
        """The status, the headers, the body's framing and whether the agent keeps the connection.

        The framing is the body's length, -1 for chunked, None for "until the
        connection closes". Interim answers (100 Continue) are skipped.
        """
        while True:
            end = self._buffer.find(b'\r\n\r\n', self._pos)
            while end < 0:
                if len(self._buffer) - self._pos > MAX_HEAD:
                    raise ProtocolError(f'no end of the answer head in {MAX_HEAD} bytes')
                self._fill()
                end = self._buffer.find(b'\r\n\r\n', self._pos)
            lines = self._buffer[self._pos : end].decode('latin-1').split('\r\n')
            self._pos = end + 4
            status, version = _status(lines[0])
            if 100 <= status < 200:
                continue
            headers = Headers(_header(line) for line in lines[1:])
            framing = _framing(method, status, headers)
            connection = headers.get('Connection', '').lower()
            keeps = (
                'keep-alive' in connection if version == 'HTTP/1.0' else 'close' not in connection
            )
            return status, headers, framing, keeps and framing is not None

    def _read_body(self, framing: int | None, keep: bool) -> bytes:
        if framing is not None and 0 <= framing <= len(self._buffer) - self._pos:
            start = self._pos  # the common case: the whole body came with the head
            self._pos += framing
            content = self._buffer[start : self._pos]
            self._finish(keep)
            return content
        return b''.join(self._pieces(framing, keep))

    def _pieces(self, framing: int | None, keep: bool) -> Iterator[bytes]:
        """The body, in pieces as they arrive; then :meth:`_finish`."""
        if framing is None:
            yield from self._until_closed()
        elif framing < 0:
            yield from self._chunked()
        else:
            yield from self._exactly(framing)
        self._finish(keep)

    def _finish(self, keep: bool) -> None:
        """The answer was read whole: reusable if the agent keeps the connection and sent no more."""
        self.reusable = keep and self._pos == len(self._buffer)
        self._buffer, self._pos = b'', 0

    def _buffered(self, limit: int) -> bytes:
        """Up to ``limit`` bytes from the buffer (receiving more if it is empty)."""
        if self._pos >= len(self._buffer):
            self._fill()
        start = self._pos
        self._pos = min(len(self._buffer), start + limit)
        return self._buffer[start : self._pos]

    def _exactly(self, length: int) -> Iterator[bytes]:
        while length > 0:
            piece = self._buffered(length)
            length -= len(piece)
            yield piece

    def _until_closed(self) -> Iterator[bytes]:
        while True:
            try:
                yield self._buffered(RECV_SIZE)
            except Closed:
                return

    def _line(self) -> bytes:
        while (end := self._buffer.find(b'\r\n', self._pos)) < 0:
            if len(self._buffer) - self._pos > MAX_HEAD:
                raise ProtocolError('a chunk-size line is too long')
            self._fill()
        line = self._buffer[self._pos : end]
        self._pos = end + 2
        return line

    def _chunked(self) -> Iterator[bytes]:
        while True:
            line = self._line()
            try:
                size = int(line.split(b';', 1)[0], 16)
            except ValueError:
                raise ProtocolError(f'a bad chunk size: {line[:40]!r}') from None
            if size == 0:
                while self._line():  # trailers, up to the empty line
                    pass
                return
            yield from self._exactly(size)
            if b''.join(self._exactly(2)) != b'\r\n':
                raise ProtocolError('a chunk does not end with CRLF')


def _body_length(method: str, body: bytes | IO[bytes] | None) -> int | None:
    """The body's ``Content-Length``: None for a file of unknown length (sent chunked) and
    for no body at all, except that a PUT or POST without one says 0."""
    if body is None:
        return 0 if method in ('PUT', 'POST') else None
    if isinstance(body, bytes):
        return len(body)
    return _remaining_length(body)


def _head(request: WireRequest, host: str, length: int | None) -> bytes:
    """The request line and headers, encoded; ``length`` as :func:`_body_length` gives it.

    :raises ValueError: the target or a header holds what HTTP cannot carry
    """
    target = request.target
    if _BAD_TARGET.search(target):
        raise ValueError(f'the URL holds a character HTTP cannot send: {target!r}')
    lines = [f'{request.method} {target} HTTP/1.1', f'Host: {host}', 'Accept-Encoding: identity']
    for name, value in request.headers.items():
        if _BAD_NAME.search(name) or _BAD_HEADER.search(value):
            raise ValueError(f'the {name!r} header holds a character HTTP cannot send')
        lines.append(f'{name}: {value}')
    if length is not None:
        lines.append(f'Content-Length: {length}')
    elif request.body is not None:
        lines.append('Transfer-Encoding: chunked')
    lines.append('\r\n')
    return '\r\n'.join(lines).encode('latin-1')


def _remaining_length(body: IO[bytes]) -> int | None:
    """How many bytes a file body has left, when that can be known."""
    try:
        return os.fstat(body.fileno()).st_size - body.tell()
    except (AttributeError, OSError, ValueError):
        return None


def _status(line: str) -> tuple[int, str]:
    """``HTTP/1.1 200 OK`` -> ``(200, 'HTTP/1.1')``."""
    version, _, rest = line.partition(' ')
    code = rest[:3]
    if not version.startswith('HTTP/1.') or not code.isdigit() or rest[3:4] not in ('', ' '):
        raise ProtocolError(f'not an HTTP answer: {line[:40]!r}')
    return int(code), version


def _framing(method: str, status: int, headers: Headers) -> int | None:
    """How the body ends: its length, -1 for chunked, None for when the connection closes."""
    if method == 'HEAD' or status in _NO_BODY:
        return 0
    if 'chunked' in headers.get('Transfer-Encoding', '').lower():
        return -1
    length = headers.get('Content-Length')
    if length is None:
        return None
    if not length.isdigit():
        raise ProtocolError(f'a bad Content-Length: {length[:40]!r}')
    return int(length)


def _header(line: str) -> tuple[str, str]:
    """``Name: value`` -> ``('Name', 'value')``."""
    name, colon, value = line.partition(':')
    if not colon:
        raise ProtocolError(f'a header line without a colon: {line[:40]!r}')
    return name.strip(), value.strip()
