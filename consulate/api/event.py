"""User events (``/v1/event``): fire an event through gossip and list the recent ones.

Events are best effort: they travel by gossip, with no ordering and no
promise of delivery, and each agent lists the recent events *it* has seen.
Serf limits an event to 512 bytes for its ID, name, filters and payload
together, so a payload of more than about 400 bytes is refused (Consul
answers 500; :meth:`Event.fire` raises :class:`~consulate.exceptions.ServerError`
saying so). Use KV for anything bigger.
"""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING, Any, cast

from consulate import exceptions
from consulate.api import shapes
from consulate.api.base import Endpoint

if TYPE_CHECKING:
    from consulate.types import UserEvent

__all__ = ['Event']

#: The text Consul's answer has when an event is over serf's size limit.
_TOO_LARGE = 'exceeds configured limit'


class Event(Endpoint):
    """Fire user events and list the events the agent has seen."""

    PREFIX = 'event'

    def fire(
        self,
        name: str,
        payload: str | bytes | None = None,
        datacenter: str | None = None,
        node: str | None = None,
        service: str | None = None,
        tag: str | None = None,
    ) -> str:
        """Fire a user event and return its ID (``PUT /v1/event/fire/:name``).

        :param name: the event's name
        :param payload: opaque data delivered with the event; ``str`` is sent as UTF-8
        :param datacenter: the datacenter to fire it in (default: the client's)
        :param node: deliver only to nodes whose name matches this regular expression
        :param service: deliver only to nodes with a service matching this regular expression
        :param tag: with ``service``, only instances with a tag matching this regular expression
        :raises consulate.exceptions.ValidationError: a payload that is not str or bytes
        :raises consulate.exceptions.ServerError: the event is over the 512-byte limit
        :raises consulate.exceptions.Forbidden: the token may not write this event
        """
        if isinstance(payload, str):
            payload = payload.encode('utf-8')
        elif payload is not None and not isinstance(payload, (bytes, bytearray)):
            raise exceptions.ValidationError(
                f'an event payload is str or bytes, not {type(payload).__name__}'
            )
        params = {'node': node, 'service': service, 'tag': tag}
        try:
            response = self._put(
                self._url('fire', name), params, payload, raw_body=True, dc=datacenter
            )
        except exceptions.ServerError as error:
            if _TOO_LARGE not in error.message:
                raise
            raise _too_large(error, payload) from error
        return shapes.field(response, 'ID')

    def list(
        self,
        name: str | None = None,
        *,
        index: int | None = None,
        wait: str | float | None = None,
        consistency: str | None = None,
    ) -> list[UserEvent]:
        """Return the recent events this agent has seen, oldest first, always as a list (``GET /v1/event/list``).

        Each event is ``{'ID', 'Name', 'Payload', 'NodeFilter',
        'ServiceFilter', 'TagFilter', 'Version', 'LTime'}``, with ``Payload``
        decoded from base64 to ``bytes`` (``None`` when the event had none).

        This is a blocking query, but its index comes from the newest event's
        ID, not from Raft: compare indexes for equality only.

        :param name: only the events with this name
        """
        params = {'name': name}
        url = self._url('list')
        events = self._get_list(url, params, index=index, wait=wait, consistency=consistency)
        return cast('list[UserEvent]', [_decoded(event) for event in events])


def _decoded(event: dict[str, Any]) -> dict[str, Any]:
    payload = event.get('Payload')
    return event | {'Payload': None if payload is None else base64.b64decode(payload)}


def _too_large(error: exceptions.ServerError, payload: bytes | bytearray | None) -> Exception:
    size = len(payload or b'')
    message = (
        f'the event is too large for Consul ({size}-byte payload): serf limits an event to '
        '512 bytes for its ID, name, filters and payload together, so keep the payload under '
        'about 400 bytes and store bigger data in KV'
    )
    return exceptions.ServerError(error.status_code, error.method, error.path, message)
