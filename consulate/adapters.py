"""The HTTP layer: the only code in consulate that talks to :mod:`requests`.

An adapter sends one request and returns a :class:`Response`. It owns the
connection pool (one :class:`requests.Session` per client, so connections are
kept alive), the timeouts, TLS settings, the ACL token header and the retry
policy, and it turns every transport failure into a
:class:`consulate.exceptions.RequestError` subclass.

:class:`Request` speaks HTTP and HTTPS, :class:`UnixSocketRequest` speaks HTTP
over a UNIX domain socket (``http+unix://`` URLs, via requests-unixsocket).
"""

from __future__ import annotations

import json
import logging
import os
import random
import time
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import urlsplit

import requests
import requests.adapters
import requests.utils

from consulate import exceptions

__all__ = ['DEFAULT_TIMEOUT', 'Request', 'Response', 'UnixSocketRequest', 'Timeout']

LOGGER = logging.getLogger('consulate')

#: A timeout in seconds: one number for both phases, or ``(connect, read)``.
Timeout = float | tuple[float, float]

#: Connect and read timeouts, in seconds, used when none is given.
DEFAULT_TIMEOUT: tuple[float, float] = (5.0, 30.0)

#: Statuses a read may be retried on: the leader is changing, a proxy failed,
#: or the agent is rate limiting.
RETRY_STATUSES = frozenset({429, 500, 502, 504})

#: The longest pause between two retries, in seconds.
MAX_BACKOFF = 5.0

_READ_METHODS = frozenset({'GET', 'HEAD'})


class Response:
    """What the agent answered: status, body and headers.

    The body is kept as bytes in :attr:`content`; :attr:`body` decodes it
    (JSON when the agent said so, else text, else bytes). The Consul
    metadata headers are parsed into :attr:`index`, :attr:`known_leader`,
    :attr:`last_contact` and :attr:`content_hash`.
    """

    __slots__ = ('_body', 'content', 'headers', 'method', 'path', 'status_code')

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

    @property
    def index(self) -> int | None:
        """``X-Consul-Index``: the blocking-query index of this answer, if any."""
        value = self.headers.get('X-Consul-Index')
        return int(value) if value else None

    @property
    def known_leader(self) -> bool | None:
        """``X-Consul-KnownLeader``: whether the answering server knew a leader."""
        value = self.headers.get('X-Consul-KnownLeader')
        return None if value is None else value == 'true'

    @property
    def last_contact(self) -> int | None:
        """``X-Consul-LastContact``: milliseconds since the server last heard from the leader."""
        value = self.headers.get('X-Consul-LastContact')
        return int(value) if value else None

    @property
    def content_hash(self) -> str | None:
        """``X-Consul-ContentHash``: the hash-based blocking token of agent-local answers."""
        return self.headers.get('X-Consul-ContentHash')

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
            preview = self.content[:80].decode('utf-8', 'replace')
            raise exceptions.InvalidResponse(
                f'{self.status_code} on {self.method} {self.path}: '
                f'the body is not JSON ({error}): {preview!r}'
            ) from error


_UNSET: Any = object()


class Request:
    """Send requests to Consul over HTTP or HTTPS, through one keep-alive pool.

    :param timeout: seconds, or ``(connect, read)``; default :data:`DEFAULT_TIMEOUT`
    :param verify: ``True`` to verify the server certificate against the
        default CA bundle, a path to a CA bundle (or a directory of CA
        certificates), or ``False`` to turn verification off
    :param cert: a client certificate: a path to a PEM file holding both,
        or ``(cert_path, key_path)``
    :param retries: how often a request is retried when nothing was sent
        (the connection failed), and how often a read is retried on a
        429, 500, 502 or 504; writes are never replayed
    :param tls_server_name: the name to check the server certificate against
        (and send as SNI) instead of the host in the URL
    """

    def __init__(
        self,
        timeout: Timeout | None = None,
        verify: bool | str = True,
        cert: str | tuple[str, str] | None = None,
        *,
        retries: int = 0,
        tls_server_name: str | None = None,
    ) -> None:
        self.timeout: Timeout = DEFAULT_TIMEOUT if timeout is None else timeout
        self.retries = retries
        self.session = self._new_session()
        # Environment settings (proxies, the CA bundle) are resolved once per
        # host instead of on every request, which is what requests does when
        # trust_env is on and which costs more than the request itself.
        self.session.trust_env = False
        self.session.headers.update({'User-Agent': _user_agent(), 'Accept-Encoding': 'identity'})
        self.session.verify = _resolve_verify(verify)
        self.session.cert = cert
        if tls_server_name:
            self.session.mount('https://', _ServerNameAdapter(tls_server_name))
        self._proxies: dict[str, dict[str, str]] = {}

    def __repr__(self) -> str:
        return f'<{type(self).__name__} timeout={self.timeout!r}>'

    def _new_session(self) -> requests.Session:
        return requests.Session()

    def close(self) -> None:
        """Close the pooled connections."""
        self.session.close()

    def get(self, uri: str, **kwargs: Any) -> Response:
        """Send a GET; see :meth:`request` for the keyword arguments."""
        return self.request('GET', uri, **kwargs)

    def put(self, uri: str, data: bytes | None = None, **kwargs: Any) -> Response:
        """Send a PUT; see :meth:`request` for the keyword arguments."""
        return self.request('PUT', uri, data=data, **kwargs)

    def post(self, uri: str, data: bytes | None = None, **kwargs: Any) -> Response:
        """Send a POST; see :meth:`request` for the keyword arguments."""
        return self.request('POST', uri, data=data, **kwargs)

    def delete(self, uri: str, **kwargs: Any) -> Response:
        """Send a DELETE; see :meth:`request` for the keyword arguments."""
        return self.request('DELETE', uri, **kwargs)

    def request(
        self,
        method: str,
        uri: str,
        *,
        params: Mapping[str, Any] | None = None,
        data: bytes | None = None,
        token: str | None = None,
        content_type: str | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: Timeout | None = None,
    ) -> Response:
        """Send one request and return the whole answer, whatever its status.

        :param token: the ACL token, sent in the ``X-Consul-Token`` header
        :raises consulate.exceptions.RequestError: no usable answer came back
        """
        raw = self._send(method, uri, params, data, token, content_type, headers, timeout)
        path = urlsplit(uri).path
        response = Response(raw.status_code, raw.content, raw.headers, method, path)
        if LOGGER.isEnabledFor(logging.DEBUG):
            LOGGER.debug('%s %s -> %s', method, path, raw.status_code)
        return response

    def stream(
        self,
        method: str,
        uri: str,
        *,
        params: Mapping[str, Any] | None = None,
        data: Any = None,
        token: str | None = None,
        content_type: str | None = None,
        timeout: Timeout | None = None,
        chunk_size: int = 1 << 16,
    ) -> tuple[Response, Iterator[bytes]]:
        """Send one request and stream the answer's body instead of reading it whole.

        The returned :class:`Response` has an empty :attr:`~Response.content`
        when the status is below 400 (the body comes from the iterator), and
        the whole error text otherwise. ``data`` may be bytes or a file object.
        """
        raw = self._send(method, uri, params, data, token, content_type, None, timeout, stream=True)
        path = urlsplit(uri).path
        if raw.status_code >= 400:
            return Response(raw.status_code, raw.content, raw.headers, method, path), iter(())
        response = Response(raw.status_code, b'', raw.headers, method, path)
        return response, self._iter_body(raw, method, path, chunk_size)

    def _iter_body(
        self, raw: requests.Response, method: str, path: str, chunk_size: int
    ) -> Iterator[bytes]:
        try:
            yield from raw.iter_content(chunk_size)
        except requests.RequestException as error:
            raise _transport_error(error, method, path) from error
        finally:
            raw.close()

    def _send(
        self,
        method: str,
        uri: str,
        params: Mapping[str, Any] | None,
        data: Any,
        token: str | None,
        content_type: str | None,
        extra_headers: Mapping[str, str] | None,
        timeout: Timeout | None,
        stream: bool = False,
    ) -> requests.Response:
        headers: dict[str, str] = dict(extra_headers) if extra_headers else {}
        if token:
            headers['X-Consul-Token'] = token
        if content_type:
            headers['Content-Type'] = content_type
        proxies = self._proxies_for(uri)
        attempt = 0
        while True:
            try:
                raw = self.session.request(
                    method,
                    uri,
                    params=params,
                    data=data,
                    headers=headers,
                    timeout=timeout or self.timeout,
                    proxies=proxies,
                    allow_redirects=False,
                    stream=stream,
                )
            except requests.RequestException as error:
                if attempt < self.retries and _nothing_sent(error):
                    attempt = self._pause(attempt, None)
                    continue
                raise _transport_error(error, method, urlsplit(uri).path) from error
            if (
                attempt < self.retries
                and raw.status_code in RETRY_STATUSES
                and method in _READ_METHODS
            ):
                raw.close()
                attempt = self._pause(attempt, raw.headers.get('Retry-After'))
                continue
            return raw

    def _pause(self, attempt: int, retry_after: str | None) -> int:
        """Sleep before the next attempt: honour Retry-After, else back off with jitter."""
        if retry_after and retry_after.isdigit():
            delay = min(float(retry_after), MAX_BACKOFF)
        else:
            delay = min(0.1 * 2**attempt, MAX_BACKOFF) * (0.5 + random.random() / 2)
        time.sleep(delay)
        return attempt + 1

    def _proxies_for(self, uri: str) -> dict[str, str]:
        """The proxies the environment asks for this URL's host, looked up once per host."""
        parts = urlsplit(uri)
        origin = f'{parts.scheme}://{parts.netloc}'
        proxies = self._proxies.get(origin)
        if proxies is None:
            proxies = self._environ_proxies(origin)
            self._proxies[origin] = proxies
        return proxies

    def _environ_proxies(self, origin: str) -> dict[str, str]:
        return dict(requests.utils.get_environ_proxies(origin))


class UnixSocketRequest(Request):
    """Send requests to Consul over a UNIX domain socket.

    URLs take the form ``http+unix://<percent-encoded socket path>/v1/...``;
    :class:`consulate.Consul` builds them when given ``scheme='http+unix'``
    (or ``CONSUL_HTTP_ADDR=unix:///path``).
    """

    def _new_session(self) -> requests.Session:
        import requests_unixsocket

        session: requests.Session = requests_unixsocket.Session()
        return session

    def _environ_proxies(self, origin: str) -> dict[str, str]:
        return {}


class _ServerNameAdapter(requests.adapters.HTTPAdapter):
    """Check the server certificate against (and send as SNI) a fixed name."""

    def __init__(self, server_name: str) -> None:
        self.server_name = server_name.rsplit(':', 1)[0] if ':' in server_name else server_name
        super().__init__()

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs['server_hostname'] = self.server_name
        kwargs['assert_hostname'] = self.server_name
        super().init_poolmanager(*args, **kwargs)


def _resolve_verify(verify: bool | str) -> bool | str:
    """``True`` means the CA bundle the environment names (as requests does), else certifi's."""
    if verify is True:
        return os.environ.get('REQUESTS_CA_BUNDLE') or os.environ.get('CURL_CA_BUNDLE') or True
    return verify


def _nothing_sent(error: requests.RequestException) -> bool:
    """True when the request failed before any byte of it reached the agent."""
    if isinstance(error, requests.exceptions.ConnectTimeout):
        return True
    if isinstance(error, requests.exceptions.SSLError):
        return False
    if isinstance(error, requests.exceptions.ConnectionError):
        text = repr(error)
        return 'NewConnectionError' in text or 'FileNotFoundError' in text
    return False


def _transport_error(
    error: requests.RequestException, method: str, path: str
) -> exceptions.RequestError:
    """Map a requests exception to the matching consulate exception."""
    where = f'{method} {path}'
    if isinstance(error, requests.exceptions.SSLError):
        return exceptions.TLSError(f'TLS failed on {where}: {_reason(error)}')
    if isinstance(error, requests.exceptions.Timeout):
        return exceptions.RequestTimeout(f'timed out on {where}: {_reason(error)}')
    if isinstance(error, requests.exceptions.ConnectionError):
        return exceptions.ConnectError(f'cannot reach Consul for {where}: {_reason(error)}')
    return exceptions.RequestError(f'request failed on {where}: {_reason(error)}')


def _reason(error: BaseException) -> str:
    """The innermost, most telling part of a requests/urllib3 error chain."""
    inner: BaseException = error
    while inner.args and isinstance(inner.args[0], BaseException):
        inner = inner.args[0]
    reason = getattr(inner, 'reason', None)
    text = str(reason if reason is not None else inner)
    # urllib3 messages repeat the pool's repr; the part after the last ': ' is the cause.
    return text.split('>: ', 1)[-1]


def _user_agent() -> str:
    from consulate import __version__

    return f'consulate/{__version__}'
