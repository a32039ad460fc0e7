"""Admin partitions (``/v1/partition``, ``/v1/partitions``): Consul Enterprise 1.11+.

On Consul OSS every method raises :class:`~consulate.exceptions.UnsupportedEndpoint`.
To work *inside* a partition, give the client (or a call) a ``partition``
instead: ``consulate.Consul(partition='team-a')``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from consulate.api import shapes
from consulate.api.base import Endpoint

if TYPE_CHECKING:
    from consulate.types import Partition

__all__ = ['Partitions']

#: The Consul version (and edition) that has these routes, named by UnsupportedEndpoint.
SINCE = 'Consul Enterprise 1.11'


class Partitions(Endpoint):
    """Create, read, update, delete and list admin partitions.

    Partitions span datacenters, so the client's ``datacenter`` is not sent.
    Their reads do not block and accept only the ``default`` and
    ``consistent`` consistency modes.
    """

    PREFIX = 'partition'
    ACCEPTS_DC = False

    def create(
        self, name: str, *, description: str | None = None, disable_gossip: bool | None = None
    ) -> Partition:
        """Create a partition and return it (``PUT /v1/partition``).

        :param disable_gossip: keep the partition's clients out of the LAN gossip pool
        """
        body = _partition(name, description, disable_gossip)
        return cast(
            'Partition',
            shapes.json_object(self._request_since(SINCE, 'PUT', self._url(), data=body), 'Name'),
        )

    def get(self, name: str, *, consistency: str | None = None) -> Partition:
        """Return one partition (``GET /v1/partition/:name``).

        :raises consulate.exceptions.NotFound: there is no such partition
        """
        url = self._url(name)
        return cast(
            'Partition',
            shapes.json_object(self._request_since(SINCE, 'GET', url, consistency=consistency)),
        )

    def update(
        self, name: str, *, description: str | None = None, disable_gossip: bool | None = None
    ) -> Partition:
        """Change a partition's description (``PUT /v1/partition/:name``)."""
        body = _partition(name, description, disable_gossip)
        response = self._request_since(SINCE, 'PUT', self._url(name), data=body)
        return cast('Partition', shapes.json_object(response, 'Name'))

    def delete(self, name: str) -> None:
        """Delete a partition and everything in it (``DELETE /v1/partition/:name``).

        Consul marks it deleted (``DeletedAt``) and removes its content in the background.
        """
        shapes.acknowledged(self._request_since(SINCE, 'DELETE', self._url(name)))

    def list(self, *, consistency: str | None = None) -> list[Partition]:
        """Return every admin partition (``GET /v1/partitions``)."""
        url = f'{self._api_uri}/partitions'
        return shapes.json_list(self._request_since(SINCE, 'GET', url, consistency=consistency))


def _partition(name: str, description: str | None, disable_gossip: bool | None) -> dict[str, Any]:
    body: dict[str, Any] = {'Name': name}
    if description is not None:
        body['Description'] = description
    if disable_gossip is not None:
        body['DisableGossip'] = disable_gossip
    return body
