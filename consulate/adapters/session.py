"""The transport: every request consulate makes goes out through :meth:`requests.Session.send`.

:class:`RequestsTransport` turns a :class:`~consulate.adapters.transport.WireRequest`
into a :class:`requests.PreparedRequest` and sends it with ``Session.send``, so
whatever works on requests sees every request: mocking libraries
(``responses``, ``requests-mock``, ``httmock``, ``httpretty``), tracing
(OpenTelemetry's requests instrumentation, APM agents), auth plugins,
certificate injectors, gevent's monkey-patching.

The session is one that consulate builds (:func:`~consulate.adapters.mounts.build_session`),
or the caller's own (``Consul(session=...)``). consulate's sessions never
look at the environment: :mod:`consulate.config` read it once, when the
client was built, and the verify, cert and proxy settings it resolved are
passed with every send. A caller's session is used as it is, its auth,
headers, hooks, adapters, proxies and ``trust_env`` included, through
:meth:`requests.Session.prepare_request`; consulate passes only the
timeouts, and the TLS settings the client was explicitly given.

Long polls (blocking queries, streams) never take a connection an ordinary
call waits for: they go through sessions of their own. A watcher, cache or
lock monitor has one (:meth:`RequestsTransport.long_poll`), holding at most
one idle connection, which its ``close()`` closes, ending the request in
flight (:mod:`consulate.adapters.polls`); other long polls share one session
per client, keeping at most :data:`LONG_POLL_KEPT` idle connections. The
connections a client keeps are thus ``pool_size`` + :data:`LONG_POLL_KEPT`
+ one per live watcher, well under the 200 Consul allows a client address.

After :func:`os.fork`, a child never uses or keeps the parent's connections:
it makes its own sessions, and closes its copies of the parent's sockets on
its first request or ``close()``.
"""

from __future__ import annotations

import os
import weakref
from collections.abc import Iterator, Mapping
from typing import Any

import requests
from requests.structures import CaseInsensitiveDict

from consulate import exceptions
from consulate.adapters.errors import display_address, requests_error, scrub, stale_connection
from consulate.adapters.mounts import build_session
from consulate.adapters.polls import LongPoll, current, forget_connection, reused_connection
from consulate.adapters.tls import ca_location
from consulate.adapters.transport import READ_METHODS, RawResponse, WireRequest

__all__ = ['CHUNK_SIZE', 'LONG_POLL_KEPT', 'RequestsTransport']

#: Bytes read at a time from a streamed answer.
CHUNK_SIZE = 1 << 16
#: Idle connections a client keeps for long polls sent outside a watcher, cache or lock.
LONG_POLL_KEPT = 4


class RequestsTransport:
    """Send requests through a :class:`requests.Session`: consulate's own, or the caller's.

    :param session: the caller's session (None: consulate builds its own)
    :param pool_size: idle connections kept per agent for ordinary requests
    :param verify: True, False, or a CA bundle path (or directory)
    :param ca_bundle: the CA bundle the environment names for ``verify=True``
    :param cert: a client certificate: a PEM path, or ``(cert_path, key_path)``
    :param tls_server_name: the name the server certificate must carry
    :param proxies: the proxy URL by scheme (consulate's sessions only)
    :param explicit_tls: with a caller's session, pass ``verify`` and ``cert``
        (they were given to the client, not left to the session's defaults)
    """

    def __init__(
        self,
        *,
        session: requests.Session | None = None,
        pool_size: int,
        verify: bool | str = True,
        ca_bundle: str | None = None,
        cert: str | tuple[str, str] | None = None,
        tls_server_name: str | None = None,
        proxies: Mapping[str, str] | None = None,
        explicit_tls: bool = False,
    ) -> None:
        self._given = session
        self._pool_size = pool_size
        self._tls_server_name = tls_server_name
        self._options: dict[str, Any] = {'allow_redirects': False}
        if session is None:
            self._options.update(
                verify=ca_location(verify, ca_bundle), cert=cert, proxies=dict(proxies or {})
            )
        elif explicit_tls:
            self._options.update(verify=ca_location(verify, ca_bundle), cert=cert)
        self._session: requests.Session | None = session
        self._long_session: requests.Session | None = session
        self._shared = LongPoll()  # the long polls sent outside any watcher, cache or lock
        self._polls: weakref.WeakSet[LongPoll] = weakref.WeakSet()
        self._inherited: list[requests.Session] = []  # the parent's, in a child after fork
        _TRANSPORTS.add(self)

    def __repr__(self) -> str:
        return f'<RequestsTransport {"caller session" if self._given else "own session"}>'

    def send(self, request: WireRequest) -> RawResponse:
        """Send ``request`` through the session and return the answer, whatever its status.

        A read that meets a kept connection the agent had closed is sent once
        more (urllib3 then takes another connection, or makes a new one); a
        write is never sent twice.

        :raises consulate.exceptions.RequestError: no answer came back
        """
        if self._inherited:
            self._close_inherited()
        if not request.long_poll:
            return self._send(self._session or self._own_session(), request, None)
        poll = current()
        if poll is None or poll not in self._polls:
            poll = self._shared
        session = poll.session or self._long_session or self._own_long_session()
        with poll:
            return self._send(session, request, poll)

    def long_poll(self) -> LongPoll:
        """A :class:`LongPoll` for one watcher, cache or lock monitor, with a session of its own.

        With a caller's session there is no session of its own: the poll's
        requests go through the caller's, and :meth:`LongPoll.close` cannot
        end one in flight (it ends when its ``wait`` does).
        """
        maker = None if self._given is not None else self._poll_session
        poll = LongPoll(maker)
        self._polls.add(poll)
        return poll

    def close(self) -> None:
        """End every long poll in flight, close every poll, and close the connections.

        The transport stays usable: a later request opens new connections.
        A caller's session is left open (it is theirs), but the long polls
        of consulate's watchers, caches and locks are still ended.
        """
        for poll in list(self._polls):
            poll.close()
        self._shared.interrupt()
        if self._given is None:
            for session in (self._session, self._long_session):
                if session is not None:
                    session.close()
            self._session = self._long_session = None
        if self._inherited:
            self._close_inherited()

    def _send(
        self, session: requests.Session, request: WireRequest, poll: LongPoll | None
    ) -> RawResponse:
        address = display_address(request.origin)
        resent = False
        interruptions = poll.interruptions if poll is not None else 0
        while True:
            forget_connection()
            try:
                answer = session.send(
                    self._prepare(session, request),
                    timeout=request.timeout,
                    stream=request.stream,
                    **self._options,
                )
                if request.stream and answer.status_code < 400:
                    chunks = self._chunks(answer, request, address)
                    return RawResponse(
                        answer.status_code, answer.headers, b'', chunks, answer.close
                    )
                # A mock's answer may have no body at all (None): it is an empty one.
                return RawResponse(answer.status_code, answer.headers, answer.content or b'')
            except (requests.RequestException, OSError) as error:
                if poll is not None and (poll.closed or poll.interruptions != interruptions):
                    raise exceptions.Cancelled(
                        f'{request.method} {request.path} at {address} was ended by close()'
                    ) from error
                if not resent and _may_resend(request, error):
                    resent = True
                    continue
                if request.path != request.target.split('?', 1)[0]:
                    scrub(error, set())  # the URL in requests' messages carries a secret
                raise requests_error(error, address, request.method, request.path) from error

    def _prepare(self, session: requests.Session, request: WireRequest) -> requests.PreparedRequest:
        """The request as requests sends it: built directly for consulate's sessions.

        A caller's session prepares it itself, so that its auth, headers,
        cookies and hooks apply.
        """
        url = request.origin + request.target
        if session is self._given:
            return session.prepare_request(
                requests.Request(request.method, url, request.headers, data=request.body)
            )
        prepared = requests.PreparedRequest()
        prepared.method = request.method
        prepared.url = url
        prepared.headers = CaseInsensitiveDict(request.headers)
        body = request.body
        if body is None or isinstance(body, bytes):
            prepared.body = body
            if body is not None or request.method not in READ_METHODS:
                prepared.headers['Content-Length'] = str(len(body or b''))
        else:
            prepared.prepare_body(body, None)
        return prepared

    @staticmethod
    def _chunks(answer: requests.Response, request: WireRequest, address: str) -> Iterator[bytes]:
        try:
            yield from answer.iter_content(CHUNK_SIZE)
        except (requests.RequestException, OSError) as error:
            raise requests_error(error, address, request.method, request.path) from error

    def _own_session(self) -> requests.Session:
        self._session = build_session(
            pool_size=self._pool_size, tls_server_name=self._tls_server_name
        )
        return self._session

    def _own_long_session(self) -> requests.Session:
        self._long_session = build_session(
            pool_size=LONG_POLL_KEPT, tls_server_name=self._tls_server_name, tracked=True
        )
        return self._long_session

    def _poll_session(self) -> requests.Session:
        return build_session(pool_size=1, tls_server_name=self._tls_server_name, tracked=True)

    def _forget(self) -> None:
        """In a child after fork: set the parent's sessions aside, to be closed, never used."""
        if self._given is None:
            self._inherited += [s for s in (self._session, self._long_session) if s is not None]
            self._session = self._long_session = None
        for poll in [*self._polls, self._shared]:
            session = poll.forget()
            if session is not None:
                self._inherited.append(session)

    def _close_inherited(self) -> None:
        """Close this process's copies of the parent's sockets (the parent's stay open)."""
        inherited, self._inherited = self._inherited, []
        for session in inherited:
            session.close()


def _may_resend(request: WireRequest, error: BaseException) -> bool:
    """A read that met a kept connection the agent had just closed: safe to send once more.

    Only a connection used before counts (a new one that fails is the agent
    failing, and ``retries`` decides), as Go's HTTP transport does.
    """
    return (
        request.method in READ_METHODS
        and not hasattr(request.body, 'read')
        and reused_connection()
        and stale_connection(error)
    )


#: Every live transport: in a child after fork, each sets the parent's sessions aside.
_TRANSPORTS: weakref.WeakSet[RequestsTransport] = weakref.WeakSet()


def _after_fork_in_child() -> None:
    for transport in list(_TRANSPORTS):
        transport._forget()


os.register_at_fork(after_in_child=_after_fork_in_child)
