"""Raft status of the datacenter (``/v1/status``)."""

from __future__ import annotations

from consulate.api import shapes
from consulate.api.base import Endpoint

__all__ = ['Status']


class Status(Endpoint):
    """The Raft leader and peers: low-level, mostly useful to check a cluster is up."""

    PREFIX = 'status'

    def leader(self) -> str:
        """Return the Raft leader's ``address:port``, or ``''`` if there is none (``GET /v1/status/leader``)."""
        response = self._get(self._url('leader'))
        leader = response.json()
        if leader is None or isinstance(leader, str):
            return leader or ''
        raise shapes.invalid(response, 'an address')

    def peers(self) -> list[str]:
        """Return the ``address:port`` of every Raft peer, always as a list (``GET /v1/status/peers``)."""
        return self._get_list(self._url('peers'), of=str)
