"""The HTTP/1.1 connection against a peer that answers with chosen bytes, split where we choose.

A real agent answers every request correctly and in whatever pieces its
kernel sends; these tests need the pieces split at the awkward places (in a
chunk-size line, between a chunk and its CRLF), the framings Consul does not
use (HTTP/1.0, a body ending with the connection, 100 Continue) and broken
answers (a garbled status line, a bad chunk size), which only a stub peer on
the other end of a socket pair can give. The integration tests cover the
same connection against real agents.
"""

from __future__ import annotations

import io
import socket
import threading
import time
from collections.abc import Iterator, Sequence

import pytest

from consulate.adapters.connection import Closed, Connection, ProtocolError
from consulate.adapters.transport import Headers, WireRequest

OK_HEAD = b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n'


class Peer:
    """The far end of a socket pair: reads one request, then sends ``pieces`` one by one."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.requests: list[bytes] = []
        self.sent_first = threading.Event()
        self.go_on = threading.Event()
        self.go_on.set()
        self._thread: threading.Thread | None = None

    def answer(self, pieces: Sequence[bytes], *, close: bool = False, pause: bool = False) -> None:
        """Answer the next request with ``pieces``; with ``pause``, wait for :attr:`go_on` after the first."""
        if pause:
            self.go_on.clear()
        self._thread = threading.Thread(target=self._serve, args=(pieces, close), daemon=True)
        self._thread.start()

    def join(self) -> None:
        assert self._thread is not None
        self._thread.join(5)

    def _serve(self, pieces: Sequence[bytes], close: bool) -> None:
        self.requests.append(_read_request(self.sock))
        for index, piece in enumerate(pieces):
            try:
                self.sock.sendall(piece)
            except BrokenPipeError:  # the client closed its end early, as a test wanted
                return
            time.sleep(0.005)  # let the client's recv return this piece alone
            if index == 0:
                self.sent_first.set()
                self.go_on.wait(5)
        if close:
            self.sock.close()


def _read_request(sock: socket.socket) -> bytes:
    data = b''
    while b'\r\n\r\n' not in data:
        data += sock.recv(65536)
    head, _, body = data.partition(b'\r\n\r\n')
    lines = head.decode('latin-1').split('\r\n')
    length = next(
        (int(line.split(':')[1]) for line in lines if line.lower().startswith('content-length')), 0
    )
    if any(line.lower() == 'transfer-encoding: chunked' for line in lines):
        while not body.endswith(b'0\r\n\r\n'):
            body += sock.recv(65536)
    while len(body) < length:
        body += sock.recv(65536)
    return head + b'\r\n\r\n' + body


@pytest.fixture
def pair() -> Iterator[tuple[Connection, Peer]]:
    client, server = socket.socketpair()
    connection = Connection(client, 'localhost')
    peer = Peer(server)
    yield connection, peer
    connection.close()
    peer.go_on.set()
    if peer._thread is not None:
        peer.join()
    server.close()


def request(method: str = 'GET', *, body: bytes | io.BytesIO | None = None, stream: bool = False,
            headers: dict[str, str] | None = None, timeout: float = 5.0) -> WireRequest:  # fmt: skip
    return WireRequest(
        method, 'http://localhost', '/v1/kv/a?dc=dc1', '/v1/kv/a', headers or {}, body,
        (1.0, timeout), stream,
    )  # fmt: skip


def test_a_body_split_over_many_reads(pair: tuple[Connection, Peer]) -> None:
    connection, peer = pair
    body = b'[{"Key":"a","Value":"' + b'x' * 200_000 + b'"}]'
    head = OK_HEAD + b'Content-Length: %d\r\n\r\n' % len(body)
    peer.answer([head[:10], head[10:] + body[:5], body[5:70_000], body[70_000:]])
    raw = connection.send(request())
    assert (raw.status, raw.content) == (200, body)
    assert connection.reusable and connection.answered and connection.sent


def test_a_chunked_body_split_in_awkward_places(pair: tuple[Connection, Peer]) -> None:
    connection, peer = pair
    wire = (
        OK_HEAD + b'Transfer-Encoding: chunked\r\n\r\n'
        b'5;name=value\r\nhello\r\n'
        b'1\r\n \r\n'
        b'10\r\n0123456789abcdef\r\n'
        b'0\r\nX-Trailer: yes\r\n\r\n'
    )
    cuts = [len(OK_HEAD) + 30, len(OK_HEAD) + 33, len(OK_HEAD) + 46, len(wire) - 3]
    peer.answer([wire[a:b] for a, b in zip([0, *cuts], [*cuts, len(wire)], strict=True)])
    raw = connection.send(request())
    assert raw.content == b'hello 0123456789abcdef'
    assert connection.reusable


def test_the_request_is_written_as_http_1_1_with_its_length(pair: tuple[Connection, Peer]) -> None:
    connection, peer = pair
    peer.answer([OK_HEAD + b'Content-Length: 4\r\n\r\ntrue'])
    raw = connection.send(request('PUT', body=b'{"a":1}', headers={'X-Consul-Token': 't'}))
    peer.join()
    assert raw.content == b'true'
    head, _, body = peer.requests[0].partition(b'\r\n\r\n')
    lines = head.split(b'\r\n')
    assert lines[0] == b'PUT /v1/kv/a?dc=dc1 HTTP/1.1'
    assert set(lines[1:]) == {
        b'Host: localhost',
        b'Accept-Encoding: identity',
        b'X-Consul-Token: t',
        b'Content-Length: 7',
    }
    assert body == b'{"a":1}'


def test_a_file_of_unknown_length_is_sent_chunked(pair: tuple[Connection, Peer]) -> None:
    connection, peer = pair
    peer.answer([b'HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n'])
    connection.send(request('PUT', body=io.BytesIO(b'snapshot bytes')))
    peer.join()
    head, _, body = peer.requests[0].partition(b'\r\n\r\n')
    assert b'Transfer-Encoding: chunked' in head
    assert body == b'e\r\nsnapshot bytes\r\n0\r\n\r\n'


def test_an_empty_put_says_its_length_and_a_get_does_not(pair: tuple[Connection, Peer]) -> None:
    connection, peer = pair
    peer.answer([b'HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n'])
    connection.send(request('PUT'))
    peer.join()
    peer.answer([b'HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n'])
    connection.send(request('GET'))
    peer.join()
    assert b'Content-Length: 0' in peer.requests[0]
    assert b'Content-Length' not in peer.requests[1]


@pytest.mark.parametrize(
    ('head', 'reusable'),
    [
        (b'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n', True),
        (b'HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\n', False),
        (b'HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\n', False),
        (b'HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\n', True),
    ],
)
def test_the_connection_is_kept_only_when_the_peer_keeps_it(
    pair: tuple[Connection, Peer], head: bytes, reusable: bool
) -> None:
    connection, peer = pair
    peer.answer([head + b'ok'])
    assert connection.send(request()).content == b'ok'
    assert connection.reusable is reusable


def test_a_body_that_ends_with_the_connection(pair: tuple[Connection, Peer]) -> None:
    connection, peer = pair
    peer.answer([b'HTTP/1.1 200 OK\r\n\r\n', b'all of ', b'it'], close=True)
    assert connection.send(request()).content == b'all of it'
    assert not connection.reusable


def test_bytes_after_the_answer_make_the_connection_unusable(pair: tuple[Connection, Peer]) -> None:
    connection, peer = pair
    peer.answer([b'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 200 OK\r\n'])
    assert connection.send(request()).content == b'ok'
    assert not connection.reusable


def test_interim_answers_are_skipped(pair: tuple[Connection, Peer]) -> None:
    connection, peer = pair
    peer.answer(
        [b'HTTP/1.1 100 Continue\r\n\r\n', b'HTTP/1.1 201 Created\r\nContent-Length: 1\r\n\r\n1']
    )
    raw = connection.send(request('PUT', body=b'x'))
    assert (raw.status, raw.content) == (201, b'1')


@pytest.mark.parametrize(('method', 'status'), [('HEAD', 200), ('GET', 204), ('GET', 304)])
def test_answers_without_a_body(pair: tuple[Connection, Peer], method: str, status: int) -> None:
    connection, peer = pair
    peer.answer([b'HTTP/1.1 %d X\r\nContent-Length: 10\r\n\r\n' % status])
    raw = connection.send(request(method))
    assert (raw.status, raw.content) == (status, b'')
    assert connection.reusable


def test_headers_match_in_any_case_and_keep_their_names() -> None:
    headers = Headers(
        [('X-Consul-Index', '7'), ('Content-Type', 'application/json'), ('x-consul-index', '8')]
    )
    assert headers['x-consul-INDEX'] == '7, 8'
    assert headers.get('CONTENT-TYPE') == 'application/json'
    assert headers.get('Missing') is None and headers.get('Missing', '') == ''
    assert 'content-type' in headers and 3 not in headers
    assert list(headers) == ['X-Consul-Index', 'Content-Type']
    assert dict(headers) == {'X-Consul-Index': '7, 8', 'Content-Type': 'application/json'}


def test_answer_headers_are_parsed(pair: tuple[Connection, Peer]) -> None:
    connection, peer = pair
    peer.answer(
        [
            b'HTTP/1.1 200 OK\r\nX-Consul-Index:  42 \r\nx-consul-knownleader: true\r\nContent-Length: 0\r\n\r\n'
        ]
    )
    headers = connection.send(request()).headers
    assert headers['X-Consul-Index'] == '42'
    assert headers['X-Consul-KnownLeader'] == 'true'


@pytest.mark.parametrize(
    'answer',
    [
        b'SSH-2.0-OpenSSH_9.2\r\n\r\n',
        b'HTTP/1.1 2OO OK\r\n\r\n',
        b'HTTP/1.1 200 OK\r\nno colon here\r\n\r\n',
        b'HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n',
        b'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n',
        b'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nokXX0\r\n\r\n',
    ],
)
def test_a_garbled_answer_is_a_protocol_error(pair: tuple[Connection, Peer], answer: bytes) -> None:
    connection, peer = pair
    peer.answer([answer])
    with pytest.raises(ProtocolError):
        connection.send(request())


def test_an_endless_head_is_a_protocol_error(pair: tuple[Connection, Peer]) -> None:
    connection, peer = pair
    peer.answer([b'HTTP/1.1 200 OK\r\n', b'X-Long: ' + b'a' * 70_000 + b'\r\n'])
    with pytest.raises(ProtocolError):
        connection.send(request())


def test_a_peer_that_closes_without_answering(pair: tuple[Connection, Peer]) -> None:
    connection, peer = pair
    peer.answer([b''], close=True)
    with pytest.raises(Closed, match='before answering'):
        connection.send(request())
    assert connection.sent and not connection.answered


def test_a_peer_that_closes_in_the_middle(pair: tuple[Connection, Peer]) -> None:
    connection, peer = pair
    peer.answer([b'HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc'], close=True)
    with pytest.raises(Closed, match='middle'):
        connection.send(request())
    assert connection.answered


@pytest.mark.parametrize('timeout', [0.2, 0.0])
def test_a_silent_peer_times_out(pair: tuple[Connection, Peer], timeout: float) -> None:
    connection, _ = pair
    started = time.monotonic()
    with pytest.raises(TimeoutError):
        connection.send(request(timeout=timeout))
    assert time.monotonic() - started < timeout + 1.0


def test_a_timeout_beyond_what_the_kernel_takes_means_no_timeout(
    pair: tuple[Connection, Peer],
) -> None:
    connection, peer = pair
    peer.answer([OK_HEAD + b'Content-Length: 1\r\n\r\n1'])
    assert connection.send(request(timeout=float('inf'))).content == b'1'


def test_the_timeout_changes_with_each_request(pair: tuple[Connection, Peer]) -> None:
    connection, peer = pair
    peer.answer([OK_HEAD + b'Content-Length: 1\r\n\r\n1'])
    connection.send(request(timeout=30.0))
    peer.join()
    started = time.monotonic()
    with pytest.raises(TimeoutError):
        connection.send(request(timeout=0.2))
    assert time.monotonic() - started < 1.0


def test_a_header_http_cannot_carry_is_refused_before_anything_is_sent(
    pair: tuple[Connection, Peer],
) -> None:
    connection, _ = pair
    for headers in (
        {'X-Consul-Token': 'a\r\nX-Evil: 1'},
        {'Bad Name': 'x'},
        {'X-Consul-Token': '€'},
    ):
        with pytest.raises(ValueError):
            connection.send(request(headers=headers))
        assert not connection.sent
    bad_target = WireRequest('GET', 'http://localhost', '/v1/kv/a b', '/v1/kv/a b', {})
    with pytest.raises(ValueError):
        connection.send(bad_target)
    assert not connection.sent


def test_a_streamed_answer_yields_each_chunk_as_it_arrives(pair: tuple[Connection, Peer]) -> None:
    connection, peer = pair
    peer.answer(
        [
            b'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nline1\n\r\n',
            b'6\r\nline2\n\r\n0\r\n\r\n',
        ],
        pause=True,
    )
    raw = connection.send(request(stream=True))
    assert raw.chunks is not None
    assert next(raw.chunks) == b'line1\n'  # before the peer sent the rest
    peer.go_on.set()
    assert b''.join(raw.chunks) == b'line2\n'
    assert connection.reusable


def test_a_streamed_answer_left_early_closes_the_connection(pair: tuple[Connection, Peer]) -> None:
    connection, peer = pair
    peer.answer([b'HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc', b'defghij'])
    raw = connection.send(request(stream=True))
    assert raw.chunks is not None
    assert next(raw.chunks) == b'abc'
    raw.close()
    assert not connection.reusable
    assert connection.sock.fileno() == -1
