"""Health (``/v1/health``): checks and healthy instances, as the catalog records them.

The health endpoints are kept apart from the catalog because health checking
is optional; unlike the catalog they filter on check status. Every read is a
blocking query: pass ``index`` (from ``consul.health.last_response.index``)
and ``wait`` to wait for a change, which is how a client follows a
service's healthy instances.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from consulate import exceptions
from consulate.api import shapes
from consulate.api.base import Endpoint
from consulate.api.caching import cache_options
from consulate.api.catalog import node_meta_params, tag_list

if TYPE_CHECKING:
    from consulate.types import HealthCheck, ServiceEntry

__all__ = ['STATES', 'Health', 'instance_address', 'is_passing', 'pick_instance']

#: The states :meth:`Health.state` accepts (``'any'`` is every check).
STATES = ('any', 'unknown', 'passing', 'warning', 'critical')


class Health(Endpoint):
    """Query checks by service, node and state, and the instances of a service with their checks.

    Besides a service's own instances (:meth:`service`), the instances that
    stand for it in the service mesh: its Connect proxies and Connect-native
    instances (:meth:`connect`) and the ingress gateways that route to it
    (:meth:`ingress`).
    """

    PREFIX = 'health'
    INDEXED = True

    def checks(
        self,
        service_id: str,
        *,
        node_meta: Mapping[str, str] | None = None,
        near: str | None = None,
        filter: str | None = None,
        index: int | None = None,
        wait: str | float | None = None,
        consistency: str | None = None,
    ) -> list[HealthCheck]:
        """Return the checks of every instance of a service, always as a list (``GET /v1/health/checks/:service``).

        :param service_id: the service's name
        :param node_meta: only the checks on nodes with all these metadata values
        :param near: sort by round-trip time from this node (``'_agent'``: the client's agent)
        :param filter: a filter expression, such as ``'Status == "critical"'``
        """
        params = node_meta_params(node_meta) | {'near': near, 'filter': filter}
        url = self._url('checks', service_id)
        return self._get_list(url, params, index=index, wait=wait, consistency=consistency)

    def node(
        self,
        node_id: str,
        *,
        filter: str | None = None,
        index: int | None = None,
        wait: str | float | None = None,
        consistency: str | None = None,
    ) -> list[HealthCheck]:
        """Return the checks of a node and of its services, always as a list (``GET /v1/health/node/:node``).

        :param node_id: the node's name
        :param filter: a filter expression, such as ``'ServiceName == "web"'``
        """
        url = self._url('node', node_id)
        params = {'filter': filter}
        return self._get_list(url, params, index=index, wait=wait, consistency=consistency)

    def service(
        self,
        service_id: str,
        tag: str | Iterable[str] | None = None,
        passing: bool | None = None,
        *,
        node_meta: Mapping[str, str] | None = None,
        near: str | None = None,
        filter: str | None = None,
        index: int | None = None,
        wait: str | float | None = None,
        consistency: str | None = None,
        datacenter: str | None = None,
        cached: bool = False,
        max_age: str | float | None = None,
        stale_if_error: str | float | None = None,
    ) -> list[ServiceEntry]:
        """Return the instances of a service with their node and checks, always as a list (``GET /v1/health/service/:service``).

        Each entry is ``{'Node': {...}, 'Service': {...}, 'Checks': [...]}``.

        :param service_id: the service's name
        :param tag: only the instances with this tag (or with all these tags)
        :param passing: only the instances whose checks all pass
        :param node_meta: only the instances on nodes with all these metadata values
        :param near: sort by round-trip time from this node (``'_agent'``: the client's agent)
        :param filter: a filter expression, such as ``'Service.Port == 80'``
        :param datacenter: the datacenter to ask (default: the client's)
        :param cached: let the agent answer from its cache (``?cached``); see
            :mod:`consulate.api.caching` for ``max_age`` and ``stale_if_error``
        :raises consulate.exceptions.ValidationError: ``max_age`` or
            ``stale_if_error`` without ``cached``
        """
        params = _instance_params(tag, passing, node_meta, near, filter)
        extra, headers = cache_options(cached, max_age, stale_if_error)
        url = self._url('service', service_id)
        return self._get_list(
            url,
            params | extra,
            index=index,
            wait=wait,
            consistency=consistency,
            dc=datacenter,
            headers=headers,
        )

    def pick(
        self, name: str, *, tag: str | Iterable[str] | None = None, near: str | None = None
    ) -> tuple[str, int]:
        """Return ``(address, port)`` of one passing instance of a service.

        ``GET /v1/health/service/:service?passing``. Without ``near`` the
        instance is chosen at random, each passing instance equally likely,
        so that callers spread their load; with ``near`` it is the nearest
        passing instance (Consul sorts them by round-trip time). The address
        is the service's own, or its node's when the service has none.

        :param name: the service's name
        :param tag: only the instances with this tag (or with all these tags)
        :param near: pick the instance nearest to this node (``'_agent'``: the client's agent)
        :raises consulate.exceptions.NotFound: no instance of ``name`` passes its checks
        """
        entries = self.service(name, tag=tag, passing=True, near=near)
        response = self.last_response
        assert response is not None
        try:
            with self._shaping(response):
                return pick_instance(name, entries, nearest=near is not None)
        except exceptions.InvalidResponse as error:  # an entry without an address
            raise shapes.invalid(response, 'instances with an address') from error

    def connect(
        self,
        service: str,
        *,
        tag: str | Iterable[str] | None = None,
        passing: bool = False,
        node_meta: Mapping[str, str] | None = None,
        near: str | None = None,
        filter: str | None = None,
        index: int | None = None,
        wait: str | float | None = None,
        consistency: str | None = None,
        cached: bool = False,
        max_age: str | float | None = None,
        stale_if_error: str | float | None = None,
    ) -> list[ServiceEntry]:
        """Return the Connect-capable instances of a service with their node and checks, always as a list.

        ``GET /v1/health/connect/:service``: the service's sidecar proxies and
        Connect-native instances, each entry ``{'Node': {...}, 'Service':
        {...}, 'Checks': [...]}`` as :meth:`service` returns them. This is
        what a proxy reads to find the upstream instances it may connect to.

        :param service: the name of the service the instances stand for
        :param tag: only the instances with this tag (or with all these tags),
            sent as ``?tag=``; Consul 1.8 ignores it on this route, where
            ``filter='"v1" in Service.Tags'`` selects by tag on every version
        :param passing: only the instances whose checks all pass
        :param node_meta: only the instances on nodes with all these metadata values
        :param near: sort by round-trip time from this node (``'_agent'``: the client's agent)
        :param filter: a filter expression, such as ``'Service.Port == 21000'``
        :param cached: let the agent answer from its cache, as in :meth:`service`
        :raises consulate.exceptions.ValidationError: ``max_age`` or
            ``stale_if_error`` without ``cached``
        """
        params = _instance_params(tag, passing, node_meta, near, filter)
        extra, headers = cache_options(cached, max_age, stale_if_error)
        url = self._url('connect', service)
        return self._get_list(
            url, params | extra, index=index, wait=wait, consistency=consistency, headers=headers
        )

    def ingress(
        self,
        service: str,
        *,
        passing: bool = False,
        node_meta: Mapping[str, str] | None = None,
        near: str | None = None,
        filter: str | None = None,
        index: int | None = None,
        wait: str | float | None = None,
        consistency: str | None = None,
    ) -> list[ServiceEntry]:
        """Return the ingress gateways that route to a service, with their node and checks, always as a list.

        ``GET /v1/health/ingress/:service``: the instances of every
        ``ingress-gateway`` service whose configuration entry lists
        ``service``, each entry ``{'Node': {...}, 'Service': {...}, 'Checks':
        [...]}`` as :meth:`service` returns them.

        There is no ``tag`` option: Consul 1.8 applies it to ``service``'s
        own instances instead of the gateways; select by tag with ``filter``
        (``'"v1" in Service.Tags'``).

        :param service: the name of the service the gateways route to
        :param passing: only the gateway instances whose checks all pass
        :param node_meta: only the gateways on nodes with all these metadata values
        :param near: sort by round-trip time from this node (``'_agent'``: the client's agent)
        :param filter: a filter expression, such as ``'Service.Port == 8080'``
        """
        params = _instance_params(None, passing, node_meta, near, filter)
        url = self._url('ingress', service)
        return self._get_list(url, params, index=index, wait=wait, consistency=consistency)

    def state(
        self,
        state: str,
        *,
        node_meta: Mapping[str, str] | None = None,
        near: str | None = None,
        filter: str | None = None,
        index: int | None = None,
        wait: str | float | None = None,
        consistency: str | None = None,
    ) -> list[HealthCheck]:
        """Return every check in a state, always as a list (``GET /v1/health/state/:state``).

        :param state: ``'any'``, ``'unknown'``, ``'passing'``, ``'warning'`` or ``'critical'``
        :param node_meta: only the checks on nodes with all these metadata values
        :param near: sort by round-trip time from this node (``'_agent'``: the client's agent)
        :param filter: a filter expression, such as ``'ServiceName == "web"'``
        :raises consulate.exceptions.ValidationError: (a ValueError) an unknown
            state; nothing is sent
        """
        if state not in STATES:
            raise exceptions.ValidationError(
                f'state must be one of {", ".join(STATES)}, not {state!r}'
            )
        params = node_meta_params(node_meta) | {'near': near, 'filter': filter}
        url = self._url('state', state)
        return self._get_list(url, params, index=index, wait=wait, consistency=consistency)


def _instance_params(
    tag: str | Iterable[str] | None,
    passing: bool | None,
    node_meta: Mapping[str, str] | None,
    near: str | None,
    filter: str | None,
) -> dict[str, Any]:
    """The query parameters of the reads of a service's instances."""
    return node_meta_params(node_meta) | {
        'tag': tag_list(tag),
        'passing': bool(passing),
        'near': near,
        'filter': filter,
    }


def is_passing(entry: Mapping[str, Any]) -> bool:
    """Whether every check of a :meth:`Health.service` entry passes."""
    return all(check.get('Status') == 'passing' for check in entry.get('Checks') or ())


def instance_address(entry: Mapping[str, Any]) -> tuple[str, int]:
    """``(address, port)`` of a :meth:`Health.service` entry; the node's address when the service has none.

    :raises consulate.exceptions.InvalidResponse: the entry has no address at all
    """
    service = entry.get('Service') or {}
    address = service.get('Address') or (entry.get('Node') or {}).get('Address')
    if not address:
        raise exceptions.InvalidResponse(
            f'an instance without an address: {shapes.describe(dict(entry))}'
        )
    return str(address), int(service.get('Port') or 0)


def pick_instance(
    name: str, entries: Iterable[Mapping[str, Any]], *, nearest: bool = False
) -> tuple[str, int]:
    """``(address, port)`` of a passing entry: the first with ``nearest``, else one at random.

    :raises consulate.exceptions.NotFound: no entry passes, naming the service
    """
    passing = [entry for entry in entries if is_passing(entry)]
    if not passing:
        raise exceptions.NotFound(
            404, 'GET', f'/v1/health/service/{name}', f'no passing instance of service {name!r}'
        )
    chosen = passing[0] if nearest else random.choice(passing)
    return instance_address(chosen)
