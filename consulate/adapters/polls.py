"""Long polls that another thread can end at once: :class:`LongPoll`.

A blocking query waits at the agent for up to ``wait`` (a minute, often).
A thread blocked reading its answer is not woken by closing the socket from
another thread, but it is by shutting the socket down. So the connections
that carry long polls are urllib3 connections that note, when a request is
written on them, which :class:`LongPoll` the writing thread is in (a
thread-local set by ``with poll:``); :meth:`LongPoll.interrupt` shuts down the
connections noted for it, and the blocked read ends with a connection error
at once. Nothing else about the connections changes: urllib3 writes the
request and reads the answer, as it does for every other request.

A watcher, a live cache or a lock monitor owns one :class:`LongPoll`, with
a :class:`requests.Session` of its own holding at most one idle connection
(:meth:`~consulate.adapters.session.RequestsTransport.long_poll`);
its ``close()`` closes the poll, which ends the request in flight and closes
the connection. Long polls sent outside any such owner share one session per
client, whose in-flight requests the client's ``close()`` ends the same way.
"""

from __future__ import annotations

import socket
import threading
import weakref
from collections.abc import Callable
from types import TracebackType
from typing import Any

import requests
from urllib3.connection import HTTPConnection, HTTPSConnection

__all__ = [
    'CountedHTTPConnection',
    'CountedHTTPSConnection',
    'Interrupted',
    'LongPoll',
    'TrackedHTTPConnection',
    'TrackedHTTPSConnection',
    'current',
    'forget_connection',
    'reused_connection',
]


class Interrupted(ConnectionAbortedError):
    """A long poll was closed before (or while) its request was written."""


class _Current(threading.local):
    def __init__(self) -> None:
        self.poll: LongPoll | None = None
        self.outer: list[LongPoll | None] = []
        self.connection: _Counted | None = None


_CURRENT = _Current()
#: Held while a connection is noted for a poll, and while a poll shuts its connections down.
_LOCK = threading.Lock()


def current() -> LongPoll | None:
    """The poll the calling thread is in (``with poll:``), if any."""
    return _CURRENT.poll


def forget_connection() -> None:
    """Start a request: no connection has written it yet."""
    _CURRENT.connection = None


def reused_connection() -> bool:
    """Whether the calling thread's last request was written on a connection used before."""
    connection = _CURRENT.connection
    return connection is not None and connection.consulate_uses > 1


class LongPoll:
    """A series of long polls sent by one thread, which any thread may end.

    Enter it around each long poll (``with poll: ...``): requests sent in the
    block are noted as the poll's. Several threads may be in one poll at once
    (the client's shared one). :meth:`interrupt` ends the one in flight;
    :meth:`close` ends it and every later one (they raise at once).

    :param session: builds the session the poll's requests go through, on
        first use (None: the client's shared long-poll session is used)
    """

    def __init__(self, session: Callable[[], requests.Session] | None = None) -> None:
        self.closed = False
        self._make_session = session
        self._session: requests.Session | None = None
        self._connections: weakref.WeakSet[Any] = weakref.WeakSet()
        self._interruptions = 0

    def __repr__(self) -> str:
        return f'<LongPoll {"closed" if self.closed else "open"}>'

    def __enter__(self) -> LongPoll:
        state = _CURRENT
        state.outer.append(state.poll)
        state.poll = self
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        state = _CURRENT
        state.poll = state.outer.pop()

    @property
    def session(self) -> requests.Session | None:
        """The poll's own session (made on first use), or None to use the client's."""
        if self._session is None and self._make_session is not None and not self.closed:
            self._session = self._make_session()
        return self._session

    @property
    def interruptions(self) -> int:
        """How many times :meth:`interrupt` was called: a request that saw it change was ended."""
        return self._interruptions

    def interrupt(self) -> None:
        """End the request in flight, if any: its read fails at once with a connection error.

        A connection still connecting when this is called is shut down as soon
        as it is connected (:meth:`_Tracked.connect`).
        """
        with _LOCK:
            self._interruptions += 1
            connections = [c for c in self._connections if c.consulate_poll is self]
            for connection in connections:
                _shut_down(connection.sock)

    def close(self) -> None:
        """End the request in flight and refuse later ones; close the poll's connection."""
        self.closed = True
        self.interrupt()
        session, self._session = self._session, None
        if session is not None:
            session.close()

    def forget(self) -> requests.Session | None:
        """Give up the poll's session without closing it: in a child after fork, it is the parent's."""
        session, self._session = self._session, None
        self._connections = weakref.WeakSet()
        return session

    def _note(self, connection: Any) -> int:
        """Note ``connection`` as the poll's (under ``_LOCK``); the interruptions so far."""
        if self.closed:
            raise Interrupted('the long poll was closed')
        self._connections.add(connection)
        return self._interruptions

    def _missed(self, since: int) -> bool:
        """Whether the poll was closed or interrupted after ``since`` (under ``_LOCK``)."""
        return self.closed or self._interruptions != since


def _shut_down(sock: socket.socket | None) -> None:
    if sock is None:
        return
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:  # already closed, or never connected
        pass


class _Counted:
    """Counts the requests written on a connection, and tells the writing thread which it was.

    A read that fails on a connection used before met a kept connection the
    agent had closed, and may be sent again (see
    :class:`~consulate.adapters.session.RequestsTransport`).
    """

    consulate_uses = 0

    def request(self, *args: Any, **kwargs: Any) -> Any:
        self.consulate_uses += 1
        _CURRENT.connection = self
        return super().request(*args, **kwargs)  # type: ignore[misc]


class _Tracked(_Counted):
    """Notes too, as each request is written, the long poll of the writing thread.

    urllib3 connects a new connection inside ``request``, after the poll was
    noted: an interruption that came while it connected (and found no socket
    to shut down) is carried out as soon as the socket exists.
    """

    consulate_poll: LongPoll | None = None
    consulate_since = 0

    def request(self, *args: Any, **kwargs: Any) -> Any:
        poll = _CURRENT.poll
        with _LOCK:
            self.consulate_poll = poll
            if poll is not None:
                self.consulate_since = poll._note(self)
        return super().request(*args, **kwargs)

    def connect(self) -> None:
        super().connect()  # type: ignore[misc]
        with _LOCK:
            poll = self.consulate_poll
            if poll is not None and poll._missed(self.consulate_since):
                _shut_down(self.sock)  # type: ignore[attr-defined]


class CountedHTTPConnection(_Counted, HTTPConnection):
    """An urllib3 HTTP connection that counts its requests."""


class CountedHTTPSConnection(_Counted, HTTPSConnection):
    """An urllib3 HTTPS connection that counts its requests."""


class TrackedHTTPConnection(_Tracked, HTTPConnection):
    """An urllib3 HTTP connection whose long polls can be interrupted."""


class TrackedHTTPSConnection(_Tracked, HTTPSConnection):
    """An urllib3 HTTPS connection whose long polls can be interrupted."""
