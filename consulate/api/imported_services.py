"""Imported services (``/v1/imported-services``): what this cluster sees from peers and other partitions."""

from __future__ import annotations

from typing import TYPE_CHECKING

from consulate.api import shapes
from consulate.api.base import Endpoint

if TYPE_CHECKING:
    from consulate.types import ImportedService

__all__ = ['ImportedServices']

#: The Consul version that has this route, named by UnsupportedEndpoint.
SINCE = 'a Consul version with imported-services (only in its newest source so far)'


class ImportedServices(Endpoint):
    """List the services this partition imports from cluster peers and other partitions.

    It is the other side of :class:`~consulate.api.exported_services.ExportedServices`:
    a service another cluster exports shows up here once the peering carries it.
    """

    PREFIX = 'imported-services'
    ACCEPTS_DC = False

    def list(
        self,
        *,
        partition: str | None = None,
        index: int | None = None,
        wait: str | float | None = None,
        consistency: str | None = None,
    ) -> list[ImportedService]:
        """Return each imported service and where it comes from (``GET /v1/imported-services``).

        Each entry is ``{'Service', 'SourcePeer', 'SourcePartition',
        'Namespace', 'Partition'}`` (the fields that apply). Consul's OSS
        build answers a list and Enterprise ``{'Partition', 'ImportedServices'}``;
        both come back as the list.

        :raises consulate.exceptions.UnsupportedEndpoint: the agent has no such route
        """
        kwargs = {'index': index, 'wait': wait, 'consistency': consistency}
        params = {'partition': partition}
        response = self._request_since(SINCE, 'GET', self._url(), params, **kwargs)
        found = response.json()
        with self._shaping(response):
            if isinstance(found, dict):
                found = found['ImportedServices']
        if found is None:
            return []
        if not isinstance(found, list) or not all(isinstance(item, dict) for item in found):
            raise shapes.invalid(response, 'a list of imported services')
        return found
