"""The transport through :mod:`requests`: used while an HTTP mocking library is active, or via a proxy.

Test suites written for consulate 0.6 mock HTTP with ``responses``,
``requests-mock`` or ``httmock``, which all replace
:meth:`requests.Session.send` or :meth:`requests.adapters.HTTPAdapter.send`.
While either is replaced (:func:`mocked`, one identity check per request),
consulate sends through a :class:`requests.Session`, so those mocks see
every request. The same transport serves an agent that the environment's
``HTTP_PROXY`` / ``HTTPS_PROXY`` variables route through a proxy.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import requests
import requests.adapters

from consulate.adapters.errors import display_address, requests_error
from consulate.adapters.tls import ServerNameAdapter, ca_location
from consulate.adapters.transport import RawResponse, WireRequest

__all__ = ['RequestsTransport', 'mocked']

_SESSION_SEND = requests.Session.send
_ADAPTER_SEND = requests.adapters.HTTPAdapter.send
#: Bytes read at a time from a streamed answer.
CHUNK_SIZE = 1 << 16


def mocked() -> bool:
    """Whether an HTTP mocking library has replaced requests' send methods."""
    return (
        requests.Session.send is not _SESSION_SEND
        or requests.adapters.HTTPAdapter.send is not _ADAPTER_SEND
    )


class RequestsTransport:
    """Send requests to one agent through a :class:`requests.Session`.

    :param proxies: the proxy URL by scheme, for this agent (often empty)
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
        proxies: Mapping[str, str] | None = None,
    ) -> None:
        self.origin = origin
        self.address = display_address(origin)
        self._options: dict[str, Any] = {
            'verify': ca_location(verify, ca_bundle),
            'cert': cert,
            'proxies': dict(proxies or {}),
            'allow_redirects': False,
        }
        self._pool_size = pool_size
        self._tls_server_name = tls_server_name
        self._session: requests.Session | None = None

    def __repr__(self) -> str:
        return f'<RequestsTransport {self.address}>'

    def close(self) -> None:
        """Close the session's connections; the transport stays usable."""
        session, self._session = self._session, None
        if session is not None:
            session.close()

    def send(self, request: WireRequest) -> RawResponse:
        """Send ``request`` through the session (where mocks can see it)."""
        session = self._session or self._new_session()
        prepared = requests.Request(
            request.method, self.origin + request.target, request.headers, data=request.body
        ).prepare()
        try:
            answer = session.send(
                prepared, timeout=request.timeout, stream=request.stream, **self._options
            )
            if request.stream and answer.status_code < 400:
                return RawResponse(
                    answer.status_code,
                    answer.headers,
                    b'',
                    self._chunks(answer, request),
                    answer.close,
                )
            content = answer.content
        except (requests.RequestException, OSError) as error:
            raise requests_error(error, self.address, request.method, request.path) from error
        return RawResponse(answer.status_code, answer.headers, content)

    def _chunks(self, answer: requests.Response, request: WireRequest) -> Iterator[bytes]:
        try:
            yield from answer.iter_content(CHUNK_SIZE)
        except (requests.RequestException, OSError) as error:
            raise requests_error(error, self.address, request.method, request.path) from error

    def _new_session(self) -> requests.Session:
        if self.origin.startswith('http+unix://'):
            import requests_unixsocket

            session: requests.Session = requests_unixsocket.Session()
        else:
            session = requests.Session()
            if self._tls_server_name:
                session.mount('https://', ServerNameAdapter(self._tls_server_name))
        session.trust_env = False  # consulate.config read the environment already
        for prefix in ('http://', 'https://'):
            adapter = session.adapters.get(prefix)
            if type(adapter) is requests.adapters.HTTPAdapter:
                session.mount(prefix, requests.adapters.HTTPAdapter(pool_maxsize=self._pool_size))
        self._session = session
        return session
