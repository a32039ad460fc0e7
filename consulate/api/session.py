"""Sessions (``/v1/session``): the leases that locks and ephemeral keys hang on."""

from __future__ import annotations

import builtins
from typing import TYPE_CHECKING, Any, cast

from consulate import exceptions
from consulate.api import shapes
from consulate.api.base import Endpoint, duration

if TYPE_CHECKING:
    from consulate.types import SessionEntry

__all__ = ['Session']

_BEHAVIORS = ('release', 'delete')


class Session(Endpoint):
    """Create, destroy, renew and query Consul sessions."""

    PREFIX = 'session'

    def create(
        self,
        name: str | None = None,
        behavior: str = 'release',
        node: str | None = None,
        delay: str | float | None = None,
        ttl: str | float | None = None,
        checks: list[str] | None = None,
    ) -> str:
        """Create a session and return its ID (``PUT /v1/session/create``).

        :param name: a human-readable name
        :param behavior: what happens to held locks when the session is
            invalidated: ``'release'`` (the default) or ``'delete'``
        :param node: the node to tie the session to (default: this agent's)
        :param delay: the lock-delay, seconds or a duration string (Consul's default 15s)
        :param ttl: invalidate the session unless renewed within this time
            (10s to 24h), seconds or a duration string
        :param checks: health check IDs tied to the session; an empty list
            ties it to none (Consul's default is ``['serfHealth']``)
        :raises consulate.exceptions.ValidationError: an unknown behavior or a bad duration
        """
        if behavior not in _BEHAVIORS:
            raise exceptions.ValidationError(
                f'behavior must be "release" or "delete", not {behavior!r}'
            )
        body: dict[str, Any] = {'Behavior': behavior}
        for field, value in (
            ('Name', name),
            ('Node', node),
            ('LockDelay', duration(delay)),
            ('TTL', duration(ttl)),
            ('Checks', checks),
        ):
            if value is not None:
                body[field] = value
        response = self._put(self._url('create'), data=body)
        with self._shaping(response):
            return shapes.field(response, 'ID')

    def destroy(self, session_id: str) -> bool:
        """Destroy a session, releasing or deleting what it holds (``PUT /v1/session/destroy/:id``).

        Destroying a session that does not exist is not an error.
        """
        return self._put_bool(self._url('destroy', session_id))

    def info(
        self,
        session_id: str,
        *,
        index: int | None = None,
        wait: str | float | None = None,
        consistency: str | None = None,
    ) -> SessionEntry:
        """Return the session's details (``GET /v1/session/info/:id``).

        :raises consulate.exceptions.NotFound: there is no such session
        """
        sessions = self._get_list(
            self._url('info', session_id), index=index, wait=wait, consistency=consistency
        )
        if not sessions:
            raise exceptions.NotFound(
                404, 'GET', f'/v1/session/info/{session_id}', 'no such session'
            )
        return cast('SessionEntry', dict(sessions[0]))

    def list(
        self,
        *,
        index: int | None = None,
        wait: str | float | None = None,
        consistency: str | None = None,
    ) -> list[SessionEntry]:
        """Return every active session of the datacenter (``GET /v1/session/list``)."""
        return self._get_list(self._url('list'), index=index, wait=wait, consistency=consistency)

    def node(
        self,
        node: str,
        *,
        index: int | None = None,
        wait: str | float | None = None,
        consistency: str | None = None,
    ) -> builtins.list[SessionEntry]:
        """Return the active sessions of one node (``GET /v1/session/node/:node``)."""
        return self._get_list(
            self._url('node', node), index=index, wait=wait, consistency=consistency
        )

    def renew(self, session_id: str) -> SessionEntry:
        """Renew a session with a TTL and return it (``PUT /v1/session/renew/:id``).

        The returned ``TTL`` may be longer than asked for when the servers are busy.

        :raises consulate.exceptions.NotFound: the session does not exist (it expired)
        """
        response = self._put(self._url('renew', session_id))
        renewed = shapes.json_list(response)
        if len(renewed) != 1 or 'ID' not in renewed[0]:
            raise shapes.invalid(response, 'a list of the one session renewed')
        return cast('SessionEntry', dict(renewed[0]))
