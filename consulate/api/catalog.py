"""The catalog (``/v1/catalog``): the datacenter's nodes and services, as the servers know them.

The catalog is the consistent, cluster-wide view; ``consul.agent`` is the
local agent's own view, which anti-entropy copies into the catalog. The reads
are blocking queries: pass ``index`` (from ``consul.catalog.last_response.index``)
and ``wait`` to wait for a change.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, cast

from consulate import exceptions
from consulate.api import shapes
from consulate.api.base import Endpoint
from consulate.api.caching import cache_options
from consulate.api.keyed import KeyedList

if TYPE_CHECKING:
    from consulate.types import (
        CatalogNode,
        CatalogNodeServiceList,
        CatalogService,
        CatalogServices,
        CatalogServiceTags,
        GatewayService,
        Node,
    )

__all__ = ['Catalog', 'node_meta_params', 'tag_list']


class Catalog(Endpoint):
    """Register, deregister and list nodes, services, Connect instances and gateway links."""

    PREFIX = 'catalog'
    INDEXED = True

    def datacenters(
        self,
        *,
        cached: bool = False,
        max_age: str | float | None = None,
        stale_if_error: str | float | None = None,
    ) -> list[str]:
        """Return every known datacenter, nearest first, always as a list (``GET /v1/catalog/datacenters``).

        :param cached: let the agent answer from its cache (``?cached``); see
            :mod:`consulate.api.caching` for ``max_age`` and ``stale_if_error``
        :raises consulate.exceptions.ValidationError: ``max_age`` or
            ``stale_if_error`` without ``cached``
        """
        params, headers = cache_options(cached, max_age, stale_if_error)
        return self._get_list(
            self._url('datacenters'), params, of=str, headers=headers, indexed=False
        )

    def register(
        self,
        node: str,
        address: str,
        datacenter: str | None = None,
        service: Mapping[str, Any] | None = None,
        check: Mapping[str, Any] | None = None,
        *,
        node_meta: Mapping[str, str] | None = None,
        tagged_addresses: Mapping[str, str] | None = None,
        checks: Iterable[Mapping[str, Any]] | None = None,
        node_id: str | None = None,
        skip_node_update: bool | None = None,
    ) -> bool:
        """Register or update a node, and optionally a service and checks (``PUT /v1/catalog/register``).

        This is low level: prefer the agent's endpoints, which run the checks
        and keep the catalog in sync. A check registered here is only a
        record whose ``Status`` (``'passing'``, ``'warning'``, ``'critical'``
        or ``'unknown'``) nobody updates.

        :param node: the node's name
        :param address: the node's address
        :param datacenter: the datacenter (default: the client's, else the agent's)
        :param service: a service, such as
            ``{'ID': 'redis1', 'Service': 'redis', 'Tags': ['master'], 'Port': 8000}``
        :param check: a check, such as ``{'CheckID': 'service:redis1', 'Name':
            'Redis health check', 'Status': 'passing', 'ServiceID': 'redis1'}``;
            with a ``ServiceID`` it is a check of that service, else of the node
        :param node_meta: string metadata of the node
        :param tagged_addresses: the node's other addresses, such as ``{'wan': '203.0.113.1'}``
        :param checks: several checks at once
        :param node_id: the node's UUID
        :param skip_node_update: leave an existing node's address and metadata as they are
        :raises consulate.exceptions.Forbidden: the token may not write this node or service
        """
        fields = {
            'Node': node,
            'Address': address,
            'Datacenter': datacenter or self._dc,
            'ID': node_id,
            'Service': None if service is None else dict(service),
            'Check': None if check is None else dict(check),
            'Checks': None if checks is None else [dict(one) for one in checks],
            'NodeMeta': None if node_meta is None else dict(node_meta),
            'TaggedAddresses': None if tagged_addresses is None else dict(tagged_addresses),
            'SkipNodeUpdate': skip_node_update,
        }
        data = {key: value for key, value in fields.items() if value is not None}
        return self._put_bool(self._url('register'), data=data, dc=datacenter)

    def deregister(
        self,
        node: str,
        datacenter: str | None = None,
        check_id: str | None = None,
        service_id: str | None = None,
    ) -> bool:
        """Remove a node, or one of its checks or services, from the catalog (``PUT /v1/catalog/deregister``).

        With only ``node`` the node and all its services and checks go; with
        ``check_id`` only that check; with ``service_id`` that service and its
        checks. Removing what does not exist is not an error.

        :raises consulate.exceptions.Forbidden: the token may not write this node or service
        """
        fields = {
            'Node': node,
            'Datacenter': datacenter or self._dc,
            'CheckID': check_id,
            'ServiceID': service_id,
        }
        data = {key: value for key, value in fields.items() if value is not None}
        return self._put_bool(self._url('deregister'), data=data, dc=datacenter)

    def node(
        self,
        node_id: str,
        *,
        filter: str | None = None,
        index: int | None = None,
        wait: str | float | None = None,
        consistency: str | None = None,
    ) -> CatalogNode:
        """Return a node and its services: ``{'Node': {...}, 'Services': {id: {...}}}`` (``GET /v1/catalog/node/:node``).

        :param node_id: the node's name
        :param filter: a filter expression on the services
        :raises consulate.exceptions.NotFound: there is no such node (Consul answers ``null``)
        """
        url = self._url('node', node_id)
        params = {'filter': filter}
        response = self._get(url, params, index=index, wait=wait, consistency=consistency)
        if response.json() is None:
            raise exceptions.NotFound(404, 'GET', f'/v1/catalog/node/{node_id}', 'no such node')
        return cast('CatalogNode', shapes.json_object(response, 'Node'))

    def nodes(
        self,
        *,
        node_meta: Mapping[str, str] | None = None,
        near: str | None = None,
        filter: str | None = None,
        index: int | None = None,
        wait: str | float | None = None,
        consistency: str | None = None,
    ) -> list[Node]:
        """Return every node of the datacenter, always as a list (``GET /v1/catalog/nodes``).

        :param node_meta: only the nodes with all these metadata values
        :param near: sort by round-trip time from this node (``'_agent'``: the client's agent)
        :param filter: a filter expression, such as ``'Meta.rack == "r1"'``
        """
        params = node_meta_params(node_meta) | {'near': near, 'filter': filter}
        url = self._url('nodes')
        return self._get_list(url, params, index=index, wait=wait, consistency=consistency)

    def services(
        self,
        *,
        node_meta: Mapping[str, str] | None = None,
        index: int | None = None,
        wait: str | float | None = None,
        consistency: str | None = None,
        cached: bool = False,
        max_age: str | float | None = None,
        stale_if_error: str | float | None = None,
    ) -> KeyedList[list[str]]:
        """Return the datacenter's services as consulate 0.6.0 did: ``[{name: tags}]`` (``GET /v1/catalog/services``).

        A list holding Consul's object, which maps each service name to the
        union of its instances' tags: ``[{'consul': [], 'web': ['v1']}]``. It
        is also read like that object: ``'web' in services``,
        ``services['web']``, ``services.items()``
        (:class:`~consulate.api.keyed.KeyedList`). :meth:`service_records`
        returns one dict per service instead.

        :param node_meta: only the services on nodes with all these metadata values
        :param cached: let the agent answer from its cache, as in :meth:`datacenters`
        :raises consulate.exceptions.ValidationError: ``max_age`` or
            ``stale_if_error`` without ``cached``
        """
        query = {'index': index, 'wait': wait, 'consistency': consistency}
        found = self._services(node_meta, cached, max_age, stale_if_error, **query)
        return KeyedList.of(cast('CatalogServices', found))

    def service_records(
        self,
        *,
        node_meta: Mapping[str, str] | None = None,
        index: int | None = None,
        wait: str | float | None = None,
        consistency: str | None = None,
        cached: bool = False,
        max_age: str | float | None = None,
        stale_if_error: str | float | None = None,
    ) -> list[CatalogServiceTags]:
        """Return every service name with its tags, one dict each (``GET /v1/catalog/services``).

        Sorted by name, the tags sorted:
        ``[{'Service': 'web', 'Tags': ['v1', 'v2']}, ...]``. The parameters
        are those of :meth:`services`.
        """
        query = {'index': index, 'wait': wait, 'consistency': consistency}
        found = self._services(node_meta, cached, max_age, stale_if_error, **query)
        return [{'Service': name, 'Tags': sorted(found[name] or [])} for name in sorted(found)]

    def _services(
        self,
        node_meta: Mapping[str, str] | None,
        cached: bool,
        max_age: str | float | None,
        stale_if_error: str | float | None,
        **query: Any,
    ) -> dict[str, Any]:
        """Consul's ``{name: tags}`` object, checked (``{}`` for null)."""
        extra, headers = cache_options(cached, max_age, stale_if_error)
        params = node_meta_params(node_meta) | extra
        response = self._get(self._url('services'), params, headers=headers, **query)
        found = shapes.json_object(response) if response.json() is not None else {}
        if not all(_tag_list_or_null(tags) for tags in found.values()):
            raise shapes.invalid(response, 'the tags of each service')
        return found

    def service(
        self,
        service_id: str,
        *,
        tag: str | Iterable[str] | None = None,
        node_meta: Mapping[str, str] | None = None,
        near: str | None = None,
        filter: str | None = None,
        index: int | None = None,
        wait: str | float | None = None,
        consistency: str | None = None,
        cached: bool = False,
        max_age: str | float | None = None,
        stale_if_error: str | float | None = None,
    ) -> list[CatalogService]:
        """Return the instances of a service, one record per node, always as a list (``GET /v1/catalog/service/:name``).

        :param service_id: the service's name
        :param tag: only the instances with this tag (or with all these tags)
        :param node_meta: only the instances on nodes with all these metadata values
        :param near: sort by round-trip time from this node (``'_agent'``: the client's agent)
        :param filter: a filter expression, such as ``'ServicePort == 80'``
        :param cached: let the agent answer from its cache, as in :meth:`datacenters`
        :raises consulate.exceptions.ValidationError: ``max_age`` or
            ``stale_if_error`` without ``cached``
        """
        extra, headers = cache_options(cached, max_age, stale_if_error)
        params = node_meta_params(node_meta) | extra
        params |= {'tag': tag_list(tag), 'near': near, 'filter': filter}
        url = self._url('service', service_id)
        return self._get_list(
            url, params, index=index, wait=wait, consistency=consistency, headers=headers
        )

    def connect(
        self,
        service: str,
        *,
        tag: str | Iterable[str] | None = None,
        node_meta: Mapping[str, str] | None = None,
        near: str | None = None,
        filter: str | None = None,
        index: int | None = None,
        wait: str | float | None = None,
        consistency: str | None = None,
    ) -> list[CatalogService]:
        """Return the Connect-capable instances of a service, always as a list (``GET /v1/catalog/connect/:service``).

        These are the service's sidecar proxies (``ServiceKind``
        ``'connect-proxy'``, whose ``ServiceProxy['DestinationServiceName']``
        is ``service``) and its Connect-native instances, one record per
        instance, shaped as :meth:`service` returns them.

        :param service: the name of the service the instances stand for
        :param tag: only the instances with this tag (or with all these tags),
            sent as ``?tag=``; Consul 1.8 ignores it on this route, where
            ``filter='"v1" in ServiceTags'`` selects by tag on every version
        :param node_meta: only the instances on nodes with all these metadata values
        :param near: sort by round-trip time from this node (``'_agent'``: the client's agent)
        :param filter: a filter expression, such as ``'ServicePort == 21000'``
        """
        params = node_meta_params(node_meta) | {
            'tag': tag_list(tag),
            'near': near,
            'filter': filter,
        }
        url = self._url('connect', service)
        return self._get_list(url, params, index=index, wait=wait, consistency=consistency)

    def node_services(
        self,
        node: str,
        *,
        filter: str | None = None,
        index: int | None = None,
        wait: str | float | None = None,
        consistency: str | None = None,
    ) -> CatalogNodeServiceList:
        """Return a node and its services as a list: ``{'Node': {...}, 'Services': [...]}``.

        ``GET /v1/catalog/node-services/:node``: like :meth:`node`, but
        ``Services`` is a list (an empty one for a node without services)
        rather than an object keyed by service ID, and ``filter`` applies to
        each service.

        :param node: the node's name
        :param filter: a filter expression on the services, such as ``'Service == "web"'``
        :raises consulate.exceptions.NotFound: there is no such node (Consul
            answers ``{"Node": null, "Services": null}``)
        """
        url = self._url('node-services', node)
        params = {'filter': filter}
        response = self._get(url, params, index=index, wait=wait, consistency=consistency)
        found = shapes.json_object(response) if response.json() is not None else {}
        if found.get('Node') is None:
            raise exceptions.NotFound(
                404, 'GET', f'/v1/catalog/node-services/{node}', 'no such node'
            )
        services = shapes.list_field(response, 'Services') if 'Services' in found else []
        return {'Node': found['Node'], 'Services': services}

    def gateway_services(
        self,
        gateway: str,
        *,
        index: int | None = None,
        wait: str | float | None = None,
        consistency: str | None = None,
    ) -> list[GatewayService]:
        """Return the services a gateway routes to, always as a list (``GET /v1/catalog/gateway-services/:gateway``).

        The links come from the gateway's ``ingress-gateway`` or
        ``terminating-gateway`` configuration entry: one record per service,
        with ``Gateway``, ``Service``, ``GatewayKind`` and, for an ingress
        gateway, ``Port``, ``Protocol`` and ``Hosts``. A gateway without such
        an entry, or an unknown name, gives an empty list.

        :param gateway: the gateway service's name
        """
        url = self._url('gateway-services', gateway)
        return self._get_list(url, index=index, wait=wait, consistency=consistency)


def node_meta_params(node_meta: Mapping[str, str] | None) -> dict[str, Any]:
    """The ``node-meta=key:value`` query parameters (repeated) of a metadata filter."""
    if not node_meta:
        return {}
    return {'node-meta': [f'{key}:{value}' for key, value in node_meta.items()]}


def tag_list(tag: str | Iterable[str] | None) -> list[str] | None:
    """The ``tag`` query parameter (repeated): one tag or several; None sends none."""
    if tag is None:
        return None
    return [tag] if isinstance(tag, str) else list(tag)


def _tag_list_or_null(tags: Any) -> bool:
    """Whether ``tags`` is what Consul sends as a service's tags: a list of strings, or null."""
    return tags is None or (isinstance(tags, list) and all(isinstance(t, str) for t in tags))
