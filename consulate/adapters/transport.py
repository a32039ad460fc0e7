"""The transport seam: what the one request path hands a transport, and what it gets back.

A transport sends one :class:`WireRequest` and returns a :class:`RawResponse`;
it knows sessions, TLS and connection pools, and nothing about Consul, tokens,
retries or statuses. consulate's transport is
:class:`~consulate.adapters.session.RequestsTransport`, which sends through
:meth:`requests.Session.send`. A test double is any object with ``send`` and
``close``::

    class Canned:
        def send(self, request: WireRequest) -> RawResponse:
            return RawResponse(200, {'Content-Type': 'application/json'}, b'true')

        def close(self) -> None:
            pass

    consul = consulate.Consul(transport=Canned())

A transport raises :class:`consulate.exceptions.RequestError` subclasses for
failures, with ``sent=False`` only when no byte of the request can have
reached the agent: the request path retries only those (and reads).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import IO, Protocol

__all__ = ['READ_METHODS', 'RawResponse', 'Transport', 'WireRequest']

#: Methods that change nothing: only these are sent again after they may have been sent.
READ_METHODS = frozenset({'GET', 'HEAD', 'OPTIONS'})


@dataclass(slots=True)
class WireRequest:
    """One request, ready for the wire.

    :ivar origin: ``scheme://netloc`` of the agent (``http+unix://<quoted path>`` for a socket)
    :ivar target: the path and query string, such as ``/v1/kv/a?dc=dc1``
    :ivar path: the path as messages and logs may show it (secrets redacted)
    :ivar headers: every header to send, the token's included
    :ivar body: bytes, a binary file object (streamed), or None
    :ivar timeout: ``(connect, read)`` seconds
    :ivar stream: give the body as :meth:`RawResponse.iter_chunks` instead of reading it whole
    :ivar long_poll: the request may wait a long time for its answer (a blocking
        query, a log stream): transports serve it on connections that ordinary
        requests never wait for
    """

    method: str
    origin: str
    target: str
    path: str
    headers: dict[str, str]
    body: bytes | IO[bytes] | None = None
    timeout: tuple[float, float] = (5.0, 30.0)
    stream: bool = False
    long_poll: bool = False


@dataclass(slots=True)
class RawResponse:
    """What a transport got back: the status, the headers and the body.

    :ivar content: the whole body, unless the request asked to stream it
    :ivar chunks: with ``stream``, an iterator over the body's bytes
    :ivar closer: with ``stream``, what gives the connection back (or closes it)
    """

    status: int
    headers: Mapping[str, str]
    content: bytes = b''
    chunks: Iterator[bytes] | None = None
    closer: Callable[[], None] | None = field(default=None, repr=False)

    def iter_chunks(self) -> Iterator[bytes]:
        """The body, chunk by chunk (all of :attr:`content` when it was read whole)."""
        if self.chunks is None:
            if self.content:
                yield self.content
            return
        try:
            yield from self.chunks
        finally:
            self.close()

    def close(self) -> None:
        """Release the connection of a streamed answer; safe to call twice."""
        closer, self.closer = self.closer, None
        if closer is not None:
            closer()


class Transport(Protocol):
    """Send one prepared request; consulate's single path calls nothing else."""

    def send(self, request: WireRequest) -> RawResponse:
        """Send ``request`` and return the answer, whatever its status.

        :raises consulate.exceptions.RequestError: no answer came back; ``sent``
            says whether any of the request may have reached the agent
        """

    def close(self) -> None:
        """Close idle connections; the transport stays usable."""
