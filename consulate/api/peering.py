"""Cluster peering (``/v1/peering``, ``/v1/peerings``): Consul 1.13+.

Peering links two clusters (or two admin partitions) so they can export
services to each other: one side makes a token with
:meth:`~Peerings.generate_token`, the other side passes it to
:meth:`~Peerings.establish`. What a
cluster shares is set with an ``exported-services`` config entry
(:mod:`consulate.api.config`) and can be listed with
:mod:`consulate.api.exported_services`.

On an agent older than Consul 1.13 every method raises
:class:`~consulate.exceptions.UnsupportedEndpoint`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, cast

from consulate.api import shapes
from consulate.api.base import Endpoint

if TYPE_CHECKING:
    from consulate.types import Peering

__all__ = ['Peerings']

#: The Consul version (and edition) that has these routes, named by UnsupportedEndpoint.
SINCE = 'Consul 1.13'


class Peerings(Endpoint):
    """Generate peering tokens, establish, read, list and delete peerings.

    Peerings belong to an admin partition, not to a datacenter: the
    client's ``datacenter`` is not sent. ``partition`` (Enterprise) is sent
    only when given, and wins over the client's.
    """

    PREFIX = 'peering'
    ACCEPTS_DC = False

    def generate_token(
        self,
        peer_name: str,
        *,
        meta: Mapping[str, str] | None = None,
        server_external_addresses: Iterable[str] | None = None,
        partition: str | None = None,
    ) -> str:
        """Create a peering token for the cluster called ``peer_name`` (``POST /v1/peering/token``).

        Hand the token to the other cluster, which passes it to :meth:`establish`.

        :param server_external_addresses: ``host:port`` addresses of this
            cluster's servers as the peer will reach them (through NAT, say)
        """
        body: dict[str, Any] = {'PeerName': peer_name}
        if meta is not None:
            body['Meta'] = dict(meta)
        if server_external_addresses is not None:
            body['ServerExternalAddresses'] = list(server_external_addresses)
        if partition is not None:
            body['Partition'] = partition
        response = self._request_since(SINCE, 'POST', self._url('token'), data=body)
        return shapes.field(response, 'PeeringToken')

    def establish(
        self,
        peer_name: str,
        peering_token: str,
        *,
        meta: Mapping[str, str] | None = None,
        partition: str | None = None,
    ) -> None:
        """Establish a peering with the cluster that made ``peering_token`` (``POST /v1/peering/establish``).

        :param peer_name: the name this cluster gives the peer
        """
        body: dict[str, Any] = {'PeerName': peer_name, 'PeeringToken': peering_token}
        if meta is not None:
            body['Meta'] = dict(meta)
        if partition is not None:
            body['Partition'] = partition
        shapes.acknowledged(self._request_since(SINCE, 'POST', self._url('establish'), data=body))

    def get(self, name: str, *, partition: str | None = None) -> Peering:
        """Return one peering: its ``State``, ``PeerID``, addresses and stream status (``GET /v1/peering/:name``).

        :raises consulate.exceptions.NotFound: there is no such peering
        """
        response = self._request_since(SINCE, 'GET', self._url(name), {'partition': partition})
        return cast('Peering', shapes.json_object(response))

    def delete(self, name: str, *, partition: str | None = None) -> None:
        """Delete a peering (``DELETE /v1/peering/:name``).

        Consul marks it deleted (``DeletedAt``) and removes it, and what it
        imported, in the background.
        """
        shapes.acknowledged(
            self._request_since(SINCE, 'DELETE', self._url(name), {'partition': partition})
        )

    def list(self, *, partition: str | None = None) -> list[Peering]:
        """Return every peering of the partition (``GET /v1/peerings``)."""
        url = f'{self._api_uri}/peerings'
        response = self._request_since(SINCE, 'GET', url, {'partition': partition})
        return shapes.json_list(response)
