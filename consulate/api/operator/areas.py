"""Network areas (``/v1/operator/area``): Consul Enterprise's alternative to WAN federation."""

from __future__ import annotations

import builtins
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, cast

from consulate.api import shapes
from consulate.api.base import Endpoint

if TYPE_CHECKING:
    from consulate.types import Area, AreaJoinResponse, SerfMember

__all__ = ['Areas']

#: Who has network areas, for the message of UnsupportedEndpoint.
SINCE = 'Consul Enterprise'


class Areas(Endpoint):
    """Create, read, update, delete, join and list the members of network areas.

    Consul Enterprise only: on Consul OSS every method raises
    :class:`~consulate.exceptions.UnsupportedEndpoint`.
    """

    PREFIX = 'operator/area'

    def create(
        self,
        peer_datacenter: str,
        *,
        retry_join: Iterable[str] | None = None,
        use_tls: bool = False,
    ) -> str:
        """Create an area linking this datacenter to ``peer_datacenter``; return its ID.

        ``POST /v1/operator/area``.

        :param retry_join: server addresses of the peer to keep joining
        :param use_tls: encrypt the area's gossip with the agents' TLS settings
        """
        body = _area(peer_datacenter, retry_join, use_tls)
        return shapes.field(self._request_since(SINCE, 'POST', self._url(), data=body), 'ID')

    def list(self) -> list[Area]:
        """Return every network area of the datacenter (``GET /v1/operator/area``)."""
        return shapes.json_list(self._request_since(SINCE, 'GET', self._url()))

    def get(self, area_id: str) -> Area:
        """Return one network area (``GET /v1/operator/area/:uuid``)."""
        response = self._request_since(SINCE, 'GET', self._url(area_id))
        found = response.json()
        if isinstance(found, list) and len(found) == 1:
            found = found[0]
        if not isinstance(found, dict):
            raise shapes.invalid(response, 'an area (an object, or a list of one)')
        return cast('Area', found)

    def update(
        self,
        area_id: str,
        peer_datacenter: str,
        *,
        retry_join: Iterable[str] | None = None,
        use_tls: bool = False,
    ) -> None:
        """Replace a network area's settings (``PUT /v1/operator/area/:uuid``)."""
        body = _area(peer_datacenter, retry_join, use_tls)
        shapes.acknowledged(self._request_since(SINCE, 'PUT', self._url(area_id), data=body))

    def delete(self, area_id: str) -> None:
        """Delete a network area (``DELETE /v1/operator/area/:uuid``)."""
        shapes.acknowledged(self._request_since(SINCE, 'DELETE', self._url(area_id)))

    def join(self, area_id: str, addresses: Iterable[str]) -> builtins.list[AreaJoinResponse]:
        """Join servers of the peer datacenter to an area (``PUT /v1/operator/area/:uuid/join``).

        :returns: one ``{'Address', 'Joined', 'Error'}`` per address
        """
        url = self._url(area_id, 'join')
        wanted = list(addresses)
        response = self._request_since(SINCE, 'PUT', url, data=wanted)
        results = shapes.json_list(response)
        if len(results) != len(wanted) or not all('Address' in result for result in results):
            raise shapes.invalid(
                response, f'one result with an Address per address ({len(wanted)})'
            )
        return results

    def members(self, area_id: str) -> builtins.list[SerfMember]:
        """Return the servers of an area, with their status and RTT (``GET /v1/operator/area/:uuid/members``)."""
        url = self._url(area_id, 'members')
        return shapes.json_list(self._request_since(SINCE, 'GET', url))


def _area(peer: str, retry_join: Iterable[str] | None, use_tls: bool) -> dict[str, Any]:
    body: dict[str, Any] = {'PeerDatacenter': peer, 'UseTLS': use_tls}
    if retry_join is not None:
        body['RetryJoin'] = list(retry_join)
    return body
