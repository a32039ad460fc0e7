"""Exported services (``/v1/exported-services``): what this cluster shares with peers, Consul 1.17.3+."""

from __future__ import annotations

from typing import TYPE_CHECKING

from consulate.api import shapes
from consulate.api.base import Endpoint

if TYPE_CHECKING:
    from consulate.types import ExportedService

__all__ = ['ExportedServices']

#: The Consul version (and edition) that has these routes, named by UnsupportedEndpoint.
SINCE = 'Consul 1.17.3'


class ExportedServices(Endpoint):
    """List the services exported to peers and other partitions.

    Which services are exported is set with an ``exported-services`` config
    entry (:meth:`consulate.api.config.Config.apply`); this shows the result.
    It needs a ``mesh:read`` or ``operator:read`` token when ACLs are on.
    """

    PREFIX = 'exported-services'
    ACCEPTS_DC = False

    def list(
        self,
        *,
        partition: str | None = None,
        index: int | None = None,
        wait: str | float | None = None,
        consistency: str | None = None,
    ) -> list[ExportedService]:
        """Return each exported service and its consumers (``GET /v1/exported-services``).

        Each entry is ``{'Service', 'Namespace', 'Partition', 'Consumers':
        {'Peers': [...], 'Partitions': [...]}}`` (namespace and partition
        with Consul Enterprise).

        :raises consulate.exceptions.UnsupportedEndpoint: the agent is older than Consul 1.17.3
        """
        kwargs = {'index': index, 'wait': wait, 'consistency': consistency}
        params = {'partition': partition}
        response = self._request_since(SINCE, 'GET', self._url(), params, **kwargs)
        return shapes.json_list(response)
