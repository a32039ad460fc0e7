"""Configuration entries (``/v1/config``): central configuration of services and the mesh.

An entry is a dict with a ``Kind`` (``service-defaults``, ``proxy-defaults``,
``service-router``, ``service-splitter``, ``service-resolver``,
``ingress-gateway``, ``terminating-gateway``, and in newer Consul versions
``service-intentions``, ``mesh``, ``exported-services`` and more) and a
``Name``; the other fields depend on the kind. Consul accepts the field names
in ``CamelCase`` or ``snake_case`` and returns them in ``CamelCase``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import urlsplit

from consulate import exceptions
from consulate.api import shapes
from consulate.api.base import Endpoint

if TYPE_CHECKING:
    from consulate.types import ConfigEntry

__all__ = ['KINDS', 'Config']

#: The kinds Consul 1.8 knows; newer versions add more, which are accepted as well.
KINDS = (
    'service-defaults',
    'proxy-defaults',
    'service-router',
    'service-splitter',
    'service-resolver',
    'ingress-gateway',
    'terminating-gateway',
)

#: The first Consul version that honours ``?cas`` on a delete.
DELETE_CAS_SINCE = (1, 11)


class Config(Endpoint):
    """Apply, read, list and delete configuration entries.

    ``namespace`` and ``partition`` (Consul Enterprise) choose where an entry
    lives, per call; they are sent only when given, and win over the
    client's settings.
    """

    PREFIX = 'config'

    #: The agent's version, asked once before the first delete with ``cas``.
    _agent_version: str | None = None

    def apply(
        self,
        entry: Mapping[str, Any],
        *,
        cas: int | None = None,
        namespace: str | None = None,
        partition: str | None = None,
    ) -> bool:
        """Create or replace a configuration entry (``PUT /v1/config``).

        :param entry: the whole entry, with its ``Kind`` and ``Name``
        :param cas: write only if the entry's ``ModifyIndex`` is still
            ``cas``; 0 writes only if the entry does not exist yet
        :returns: True if it was written, False if ``cas`` did not match
        :raises consulate.exceptions.ValidationError: the entry has no Kind or no Name
        :raises consulate.exceptions.BadRequest: a field Consul does not know
        """
        _check_entry(entry)
        params = {'cas': _index(cas), 'ns': namespace, 'partition': partition}
        return self._put_bool(self._url(), params, dict(entry))

    def get(
        self,
        kind: str,
        name: str,
        *,
        namespace: str | None = None,
        partition: str | None = None,
        index: int | None = None,
        wait: str | float | None = None,
        consistency: str | None = None,
    ) -> ConfigEntry:
        """Return one configuration entry (``GET /v1/config/:kind/:name``).

        :raises consulate.exceptions.NotFound: there is no such entry
        :raises consulate.exceptions.ServerError: Consul does not know the kind
        """
        params = {'ns': namespace, 'partition': partition}
        url = self._url(kind, name)
        return cast(
            'ConfigEntry',
            self._get_object(url, params, index=index, wait=wait, consistency=consistency),
        )

    def list(
        self,
        kind: str,
        *,
        namespace: str | None = None,
        partition: str | None = None,
        index: int | None = None,
        wait: str | float | None = None,
        consistency: str | None = None,
    ) -> list[ConfigEntry]:
        """Return every configuration entry of one kind (``GET /v1/config/:kind``).

        :param namespace: ``'*'`` lists the entries of every namespace (Enterprise)
        :raises consulate.exceptions.ServerError: Consul does not know the kind
        """
        params = {'ns': namespace, 'partition': partition}
        url = self._url(kind)
        return self._get_list(url, params, index=index, wait=wait, consistency=consistency)

    def delete(
        self,
        kind: str,
        name: str,
        *,
        cas: int | None = None,
        namespace: str | None = None,
        partition: str | None = None,
    ) -> bool:
        """Delete a configuration entry (``DELETE /v1/config/:kind/:name``).

        Deleting an entry that does not exist is not an error.

        :param cas: delete only if the entry's ``ModifyIndex`` is still
            ``cas``. Needs Consul 1.11 or newer: older agents ignore the
            parameter and delete unconditionally, so consulate asks the
            agent's version first (``GET /v1/agent/self``, once per client)
            and refuses to send the delete to an older one.
        :returns: True, or False when ``cas`` did not match
        :raises consulate.exceptions.UnsupportedEndpoint: ``cas`` was given and
            the agent is older than Consul 1.11; nothing was deleted
        """
        params: dict[str, Any] = {'ns': namespace, 'partition': partition}
        url = self._url(kind, name)
        if cas is None:
            shapes.json_object(self._delete(url, params))  # Consul answers {}
            return True
        self._require_delete_cas(url)
        params['cas'] = _index(cas)
        return shapes.json_bool(self._delete(url, params))

    def _require_delete_cas(self, url: str) -> None:
        """Raise UnsupportedEndpoint unless the agent honours ``?cas`` on a delete."""
        version = self._agent_version
        if version is None:
            response = self._get(f'{self._api_uri}/agent/self')
            with self._shaping(response):
                version = str(shapes.object_field(response, 'Config')['Version'])
            self._agent_version = version
        numbers = tuple(int(part) for part in re.findall(r'\d+', version)[:2])
        if numbers < DELETE_CAS_SINCE:
            raise exceptions.UnsupportedEndpoint(
                404,
                'DELETE',
                urlsplit(url).path,
                f'a delete with cas needs Consul 1.11 or newer; this agent runs {version} '
                'and would delete unconditionally',
            )


def _check_entry(entry: Mapping[str, Any]) -> None:
    if not isinstance(entry, Mapping):
        raise exceptions.ValidationError(f'a config entry is a dict, not {type(entry).__name__}')
    for field in ('Kind', 'Name'):
        if not (entry.get(field) or entry.get(field.lower())):
            raise exceptions.ValidationError(f'a config entry needs a {field}')


def _index(value: int | None) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise exceptions.ValidationError(f'cas must be a ModifyIndex (an int >= 0), not {value!r}')
    return value
