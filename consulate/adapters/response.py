"""What the agent answered: :class:`Response`."""

from __future__ import annotations

import json
from collections.abc import Generator, Mapping
from typing import TYPE_CHECKING, Any

from consulate import exceptions

if TYPE_CHECKING:
    from consulate.adapters.transport import RawResponse

__all__ = ['Response']


class Response:
    """What the agent answered: status, body and headers.

    The body is kept as bytes in :attr:`content`; :attr:`body` decodes it
    (JSON when the agent said so, else text, else bytes). The Consul
    metadata headers are parsed into :attr:`index`, :attr:`known_leader`,
    :attr:`last_contact` and :attr:`content_hash`, and those of the agent's
    cache into :attr:`cache` and :attr:`age`. A streamed answer has an
    empty :attr:`content`; its body comes from :meth:`iter_content`.
    """

    __slots__ = ('_body', '_raw', 'content', 'headers', 'method', 'path', 'status_code')

    def __init__(
        self,
        status_code: int,
        content: bytes,
        headers: Mapping[str, str],
        method: str = 'GET',
        path: str = '',
    ) -> None:
        self.status_code = status_code
        self.content = content
        self.headers = headers
        self.method = method
        self.path = path
        self._body: Any = _UNSET
        self._raw: RawResponse | None = None

    def __repr__(self) -> str:
        return f'<Response {self.status_code} {self.method} {self.path}>'

    @property
    def body(self) -> Any:
        """The decoded body: JSON for ``application/json``, else str, else bytes."""
        if self._body is _UNSET:
            self._body = self._decode()
        return self._body

    def json(self) -> Any:
        """The body decoded as JSON; :class:`~consulate.exceptions.InvalidResponse` if it is not."""
        if self._body is _UNSET:
            self._body = self._load_json()
        return self._body

    def iter_content(self) -> Generator[bytes, None, None]:
        """The body of a streamed answer, chunk by chunk; its connection is released at the end.

        Closing the iterator early closes the connection.

        :raises consulate.exceptions.RequestError: the connection broke mid-body
        """
        raw, self._raw = self._raw, None
        if raw is None:
            if self.content:
                yield self.content
            return
        yield from raw.iter_chunks()

    def close(self) -> None:
        """Release the connection of a streamed answer that will not be read to its end."""
        raw, self._raw = self._raw, None
        if raw is not None:
            raw.close()

    def raise_for_status(self) -> None:
        """Raise the exception the status maps to, when it is 400 or more.

        :raises consulate.exceptions.APIError: the mapped subclass, carrying this response
        """
        if self.status_code >= 400:
            error = exceptions.error_for(self.status_code, self.method, self.path, self.content)
            error.response = self
            raise error

    @property
    def index(self) -> int | None:
        """``X-Consul-Index``: the blocking-query index of this answer, if any.

        :raises consulate.exceptions.InvalidResponse: the header is not one
            number (garbled, or sent twice): blocking queries cannot go on from it
        """
        value = self.headers.get('X-Consul-Index')
        if not value:
            return None
        number = _number(value)
        if number is None:
            raise exceptions.InvalidResponse(
                f'{self.status_code} on {self.method} {self.path}: the X-Consul-Index '
                f'header is not a number ({value[:40]!r}); Consul sends one number'
            )
        return number

    @property
    def known_leader(self) -> bool | None:
        """``X-Consul-KnownLeader``: whether the answering server knew a leader (None if unsaid or unreadable)."""
        value = self.headers.get('X-Consul-KnownLeader')
        return {'true': True, 'false': False}.get(value) if value is not None else None

    @property
    def last_contact(self) -> int | None:
        """``X-Consul-LastContact``: milliseconds since the server last heard from the leader (None if unreadable)."""
        value = self.headers.get('X-Consul-LastContact')
        return _number(value) if value else None

    @property
    def content_hash(self) -> str | None:
        """``X-Consul-ContentHash``: the hash-based blocking token of agent-local answers."""
        return self.headers.get('X-Consul-ContentHash')

    @property
    def cache(self) -> str | None:
        """``X-Cache``: ``'HIT'`` or ``'MISS'`` when the agent's cache served a ``?cached`` read."""
        return self.headers.get('X-Cache')

    @property
    def age(self) -> int | None:
        """``Age``: how many seconds old a cache hit is (0 while the agent keeps it current)."""
        value = self.headers.get('Age')
        return _number(value) if value else None

    def _decode(self) -> Any:
        if 'json' in self.headers.get('Content-Type', ''):
            return self._load_json()
        try:
            return self.content.decode('utf-8')
        except UnicodeDecodeError:
            return self.content

    def _load_json(self) -> Any:
        if not self.content:
            return None
        try:
            return json.loads(self.content)
        except ValueError as error:
            kind = self.headers.get('Content-Type') or 'no Content-Type'
            invalid = exceptions.InvalidResponse(
                f'{self.status_code} on {self.method} {self.path}: '
                f'the body is not JSON ({error}): {len(self.content)} bytes of {kind}'
            )
            invalid.maybe_applied = self.method not in _READS
            raise invalid from error


def _number(value: str) -> int | None:
    """A header's value as a whole number, or None: ASCII digits only (``'²'`` and ``'5, 5'`` are not)."""
    value = value.strip()
    return int(value) if value.isascii() and value.isdigit() else None


_UNSET: Any = object()
#: Methods that change nothing: an answer of theirs that cannot be read leaves nothing applied.
_READS = frozenset({'GET', 'HEAD', 'OPTIONS'})
