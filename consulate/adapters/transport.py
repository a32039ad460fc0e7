"""The transport seam: what the one request path hands a transport, and what it gets back.

A transport sends one :class:`WireRequest` and returns a :class:`RawResponse`;
it knows sockets, TLS and connection pools, and nothing about Consul, tokens,
retries or statuses. consulate's own transports are in
:mod:`consulate.adapters.http` (HTTP, HTTPS and UNIX sockets over pooled
keep-alive connections) and :mod:`consulate.adapters.via_requests`
(through a :class:`requests.Session`, when an HTTP mocking library is active
or a proxy is configured). A test double is any object with ``send`` and
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

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import IO, Protocol, TypeVar, overload

__all__ = ['READ_METHODS', 'Headers', 'RawResponse', 'Transport', 'WireRequest']

#: Methods that change nothing: only these are sent again after they may have been sent.
READ_METHODS = frozenset({'GET', 'HEAD', 'OPTIONS'})

_T = TypeVar('_T')


class Headers(Mapping[str, str]):
    """An answer's headers: a read-only mapping whose names match in any case.

    A header sent more than once reads as its values joined with ``', '``.
    Iteration gives the names as the agent wrote them.

    :param pairs: ``(name, value)`` in the order the agent sent them
    """

    __slots__ = ('_names', '_values')

    def __init__(self, pairs: Iterable[tuple[str, str]] = ()) -> None:
        self._values: dict[str, str] = {}
        self._names: dict[str, str] = {}
        for name, value in pairs:
            lowered = name.lower()
            if lowered in self._values:
                self._values[lowered] += ', ' + value
            else:
                self._values[lowered] = value
                self._names[lowered] = name

    def __getitem__(self, name: str) -> str:
        return self._values[name.lower()]

    @overload
    def get(self, name: str, /) -> str | None: ...

    @overload
    def get(self, name: str, default: str, /) -> str: ...

    @overload
    def get(self, name: str, default: _T, /) -> str | _T: ...

    def get(self, name: str, default: object = None, /) -> object:
        """The header's value, or ``default``."""
        return self._values.get(name.lower(), default)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._values

    def __iter__(self) -> Iterator[str]:
        return iter(self._names.values())

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        return f'Headers({dict(self.items())!r})'


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
