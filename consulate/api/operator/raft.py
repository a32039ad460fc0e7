"""The Raft subsystem of the servers (``/v1/operator/raft``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from consulate import exceptions
from consulate.api import shapes
from consulate.api.base import Endpoint

if TYPE_CHECKING:
    from consulate.types import RaftConfiguration

__all__ = ['Raft']


class Raft(Endpoint):
    """Read the Raft peer set, remove a dead peer, and hand leadership over."""

    PREFIX = 'operator/raft'

    def configuration(self, *, stale: bool = False) -> RaftConfiguration:
        """Return the Raft configuration (``GET /v1/operator/raft/configuration``).

        ``{'Servers': [{'ID', 'Node', 'Address', 'Leader', 'Voter',
        'ProtocolVersion'}, ...], 'Index'}``.

        :param stale: let any server answer, even without a leader
        """
        url = self._url('configuration')
        return cast(
            'RaftConfiguration', self._get_object(url, consistency='stale' if stale else None)
        )

    def remove_peer(self, address: str | None = None, *, id: str | None = None) -> None:
        """Remove a server from the Raft peer set (``DELETE /v1/operator/raft/peer``).

        For a server that failed and will not come back: a live server that
        is removed is added back by the leader as long as it is a member.
        Give exactly one of ``address`` (``ip:port`` of its server RPC port)
        or ``id`` (its node ID).

        :raises consulate.exceptions.ValidationError: neither or both were given
        :raises consulate.exceptions.ServerError: no such peer (``was not found in
            the Raft configuration``)
        """
        if (address is None) == (id is None):
            raise exceptions.ValidationError('give exactly one of address or id')
        shapes.empty(self._delete(self._url('peer'), {'address': address, 'id': id}))

    def transfer_leader(self, id: str | None = None) -> bool:
        """Make another server the Raft leader: Consul 1.14+.

        ``POST /v1/operator/raft/transfer-leader``.

        :param id: the node ID of the server to hand over to (default: any voter)
        :returns: True when the transfer succeeded
        :raises consulate.exceptions.UnsupportedEndpoint: the agent is older than Consul 1.14
        """
        response = self._request_since(
            'Consul 1.14', 'POST', self._url('transfer-leader'), {'id': id}
        )
        return shapes.bool_field(response, 'Success')
