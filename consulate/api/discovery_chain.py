"""Discovery chains (``/v1/discovery-chain``): how Connect routes requests to a service.

The chain is compiled from the service's ``service-router``,
``service-splitter`` and ``service-resolver`` config entries
(:mod:`consulate.api.config`); reading it shows where a request for the
service would go, without sending one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from consulate import exceptions
from consulate.api import shapes
from consulate.api.base import Endpoint, check_consistency, duration, go_duration
from consulate.api.caching import cache_options

if TYPE_CHECKING:
    from consulate.types import CompiledDiscoveryChain

__all__ = ['DiscoveryChain']


class DiscoveryChain(Endpoint):
    """Read the compiled discovery chain of a service."""

    PREFIX = 'discovery-chain'

    def get(
        self,
        service: str,
        *,
        compile_dc: str | None = None,
        evaluate_in_datacenter: str | None = None,
        override_connect_timeout: str | float | None = None,
        override_protocol: str | None = None,
        override_mesh_gateway: str | None = None,
        namespace: str | None = None,
        index: int | None = None,
        wait: str | float | None = None,
        consistency: str | None = None,
        cached: bool = False,
        max_age: str | float | None = None,
        stale_if_error: str | float | None = None,
    ) -> CompiledDiscoveryChain:
        """Return the compiled chain of ``service`` (``GET`` or ``POST /v1/discovery-chain/:service``).

        The result is Consul's ``Chain``: ``ServiceName``, ``Protocol``,
        ``StartNode``, ``Nodes`` (routers, splitters and resolvers) and
        ``Targets``. Without overrides this is a ``GET``; with any
        ``override_*`` it is a ``POST`` that carries them. Both are blocking reads.

        :param compile_dc: compile the chain as this datacenter would (``?compile-dc=``)
        :param evaluate_in_datacenter: the same setting by the name of Consul's
            request field: Consul reads it only from ``?compile-dc=``, so that is
            where it is sent
        :param override_connect_timeout: the connect timeout to assume, seconds or a duration
        :param override_protocol: the protocol to assume (``'http'``, ``'grpc'``, ``'tcp'``...)
        :param override_mesh_gateway: the mesh gateway mode to assume
            (``'local'``, ``'remote'``, ``'none'``)
        :param namespace: the service's namespace (Consul Enterprise)
        :param cached: let the agent answer from its cache (``?cached``), which
            it keeps current (see :mod:`consulate.api.caching`)
        :raises consulate.exceptions.ValidationError: ``max_age`` or
            ``stale_if_error`` without ``cached``; ``compile_dc`` and
            ``evaluate_in_datacenter`` name different datacenters
        """
        if evaluate_in_datacenter is not None:
            if compile_dc is not None and compile_dc != evaluate_in_datacenter:
                raise exceptions.ValidationError(
                    f'compile_dc={compile_dc!r} and evaluate_in_datacenter='
                    f'{evaluate_in_datacenter!r} are one setting (?compile-dc=): give one'
                )
            compile_dc = evaluate_in_datacenter
        overrides: dict[str, Any] = {
            key: value
            for key, value in (
                ('OverrideConnectTimeout', duration(override_connect_timeout)),
                ('OverrideProtocol', override_protocol),
                (
                    'OverrideMeshGateway',
                    {'Mode': override_mesh_gateway} if override_mesh_gateway else None,
                ),
            )
            if value is not None
        }
        extra, headers = cache_options(cached, max_age, stale_if_error)
        params = {'compile-dc': compile_dc, 'ns': namespace} | extra
        kwargs = {'index': index, 'wait': wait, 'consistency': consistency, 'headers': headers}
        url = self._url(service)
        if not overrides:
            return cast(
                'CompiledDiscoveryChain',
                shapes.object_field(self._get(url, params, **kwargs), 'Chain'),
            )
        # a POST read: the blocking and consistency parameters go in the query by hand
        mode = check_consistency(consistency) or self._consistency
        query: dict[str, Any] = {**params, 'index': index or None}
        if wait is not None:
            query['wait'] = go_duration(wait)
        if mode and mode != 'default':
            query[mode] = True
        response = self._post(url, query, overrides, index=index, wait=wait, headers=headers)
        return cast('CompiledDiscoveryChain', shapes.object_field(response, 'Chain'))
