"""Prepared queries (``/v1/query``): stored service lookups with failover, run by ID or name.

A prepared query names a service and how to pick its instances (tags,
passing checks only, nearest first, datacenters to fail over to). It is
executed through this API or through DNS as ``<name>.query.consul``. A query
whose ``Template`` is ``{'Type': 'name_prefix_match'}`` answers every name
that starts with its own name, and may interpolate parts of it
(:meth:`Query.explain` shows the rendered result).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, cast

from consulate import exceptions
from consulate.api import shapes
from consulate.api.base import Endpoint, duration
from consulate.api.caching import cache_options

if TYPE_CHECKING:
    from consulate.types import (
        PreparedQueryDefinition,
        PreparedQueryExecuteResponse,
    )

__all__ = ['Query', 'query_definition']


class Query(Endpoint):
    """Create, read, update, delete, execute and explain prepared queries."""

    PREFIX = 'query'

    def create(
        self,
        service: str | None = None,
        name: str | None = None,
        *,
        definition: Mapping[str, Any] | None = None,
        **options: Any,
    ) -> str:
        """Create a prepared query and return its ID (``POST /v1/query``).

        :param service: the service the query looks up
        :param name: the name the query answers to (by API and by DNS); a
            query without a name can only be executed by its ID, and Consul
            accepts one only with a ``session``
        :param definition: more of Consul's query definition (``Session``,
            ``Template``, ``Service.IgnoreCheckIDs``...), merged under what
            the other arguments set
        :param options: the keyword arguments of :func:`query_definition`
            (``tags``, ``only_passing``, ``near``, ``nearest_n``,
            ``datacenters``, ``dns_ttl``...)
        :raises consulate.exceptions.ValidationError: no service was given
        """
        body = query_definition(service, name, definition=definition, **options)
        return shapes.field(self._post(self._url(), data=body), 'ID')

    def update(
        self,
        query_id: str,
        service: str | None = None,
        name: str | None = None,
        *,
        definition: Mapping[str, Any] | None = None,
        **options: Any,
    ) -> None:
        """Replace a prepared query's whole definition (``PUT /v1/query/:id``).

        Takes the arguments of :meth:`create`; whatever is left out is reset
        to Consul's default, as the definition is replaced, not merged. To
        change one field, :meth:`get` the query, change it and pass it as
        ``definition``.

        :raises consulate.exceptions.ServerError: there is no such query (Consul
            answers 500 ``Cannot modify non-existent prepared query``)
        """
        body = query_definition(service, name, definition=definition, **options)
        body['ID'] = query_id
        shapes.empty(self._put(self._url(query_id), data=body))

    def get(
        self,
        query_id: str,
        *,
        index: int | None = None,
        wait: str | float | None = None,
        consistency: str | None = None,
    ) -> PreparedQueryDefinition:
        """Return one prepared query's definition (``GET /v1/query/:id``).

        :raises consulate.exceptions.NotFound: there is no such query
        """
        response = self._get(self._url(query_id), index=index, wait=wait, consistency=consistency)
        found = shapes.json_list(response)
        if len(found) != 1:
            raise shapes.invalid(response, 'a list of the one query asked for')
        return cast('PreparedQueryDefinition', dict(found[0]))

    def list(
        self,
        *,
        index: int | None = None,
        wait: str | float | None = None,
        consistency: str | None = None,
    ) -> list[PreparedQueryDefinition]:
        """Return every prepared query the token may read (``GET /v1/query``)."""
        return self._get_list(self._url(), index=index, wait=wait, consistency=consistency)

    def delete(self, query_id: str) -> None:
        """Delete a prepared query (``DELETE /v1/query/:id``).

        :raises consulate.exceptions.ServerError: there is no such query (Consul
            answers 500 ``Cannot modify non-existent prepared query``)
        """
        shapes.empty(self._delete(self._url(query_id)))

    def execute(
        self,
        query: str,
        *,
        near: str | None = None,
        limit: int | None = None,
        connect: bool = False,
        datacenter: str | None = None,
        consistency: str | None = None,
        cached: bool = False,
        max_age: str | float | None = None,
        stale_if_error: str | float | None = None,
    ) -> PreparedQueryExecuteResponse:
        """Run a prepared query by ID or name (``GET /v1/query/:id_or_name/execute``).

        Returns ``{'Service', 'Nodes': [{'Node', 'Service', 'Checks'}, ...],
        'DNS', 'Datacenter', 'Failovers'}``; ``Failovers`` counts the
        datacenters tried before one answered.

        :param near: sort the nodes by round-trip time from this node
            (``'_agent'``: the agent the client talks to), overriding the query's own
        :param limit: return at most this many nodes
        :param connect: return Connect-capable instances (proxies, native services)
        :param datacenter: the datacenter to run the query in
        :param cached: let the agent answer from its cache (``?cached``); an
            answer may then be up to 3 days old unless ``max_age`` bounds it
            (see :mod:`consulate.api.caching`)
        :raises consulate.exceptions.NotFound: there is no query by that ID or name
        :raises consulate.exceptions.ValidationError: ``max_age`` or
            ``stale_if_error`` without ``cached``
        """
        if limit is not None and (isinstance(limit, bool) or limit < 1):
            raise exceptions.ValidationError(f'limit must be a positive integer, not {limit!r}')
        extra, headers = cache_options(cached, max_age, stale_if_error)
        params = {'near': near, 'limit': limit, 'connect': 'true' if connect else None} | extra
        url = self._url(query, 'execute')
        return cast(
            'PreparedQueryExecuteResponse',
            self._get_object(url, params, dc=datacenter, consistency=consistency, headers=headers),
        )

    def explain(self, query: str, *, datacenter: str | None = None) -> PreparedQueryDefinition:
        """Return the query that running ``query`` would use, templates rendered.

        ``GET /v1/query/:id_or_name/explain``: the definition of the query
        that matched the ID or name, with a template's interpolations filled in.

        :raises consulate.exceptions.NotFound: no query matches that ID or name
        """
        return cast(
            'PreparedQueryDefinition',
            shapes.object_field(self._get(self._url(query, 'explain'), dc=datacenter), 'Query'),
        )


def query_definition(
    service: str | None = None,
    name: str | None = None,
    *,
    definition: Mapping[str, Any] | None = None,
    tags: Iterable[str] | None = None,
    only_passing: bool | None = None,
    near: str | None = None,
    nearest_n: int | None = None,
    datacenters: Iterable[str] | None = None,
    node_meta: Mapping[str, str] | None = None,
    service_meta: Mapping[str, str] | None = None,
    session: str | None = None,
    query_token: str | None = None,
    dns_ttl: str | float | None = None,
    template: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Build the JSON body of a prepared query.

    :param tags: tags every instance must have; ``'!tag'`` excludes a tag
    :param only_passing: leave out instances with a warning check too, not
        only critical ones
    :param near: sort by round-trip time from this node (``'_agent'``:
        the agent that runs the query)
    :param nearest_n: on no healthy instance, fail over to the N nearest datacenters
    :param datacenters: on no healthy instance, fail over to these datacenters, in order
    :param node_meta: node metadata every node must have
    :param service_meta: service metadata every instance must have
    :param session: delete the query when this session is invalidated
    :param query_token: the ACL token the query runs with (default: the caller's)
    :param dns_ttl: the TTL of DNS answers, seconds or a duration string
    :param template: ``{'Type': 'name_prefix_match', 'Regexp': ..., 'RemoveEmptyTags': ...}``
    :raises consulate.exceptions.ValidationError: no service, in the arguments or ``definition``
    """
    if isinstance(tags, str):
        raise exceptions.ValidationError('tags must be a list of strings, not a string')
    body: dict[str, Any] = dict(definition or {})
    svc: dict[str, Any] = dict(body.get('Service') or {})
    failover: dict[str, Any] = dict(svc.get('Failover') or {})
    fields: list[tuple[dict[str, Any], str, Any]] = [
        (body, 'Name', name),
        (body, 'Session', session),
        (body, 'Token', query_token),
        (body, 'Template', dict(template) if template is not None else None),
        (svc, 'Service', service),
        (svc, 'Tags', list(tags) if tags is not None else None),
        (svc, 'OnlyPassing', only_passing),
        (svc, 'Near', near),
        (svc, 'NodeMeta', dict(node_meta) if node_meta is not None else None),
        (svc, 'ServiceMeta', dict(service_meta) if service_meta is not None else None),
        (failover, 'NearestN', nearest_n),
        (failover, 'Datacenters', list(datacenters) if datacenters is not None else None),
    ]
    for target, key, value in fields:
        if value is not None:
            target[key] = value
    if not svc.get('Service'):
        raise exceptions.ValidationError('a prepared query needs a service to look up')
    if failover:
        svc['Failover'] = failover
    body['Service'] = svc
    if dns_ttl is not None:
        body['DNS'] = {**(body.get('DNS') or {}), 'TTL': duration(dns_ttl)}
    return body
