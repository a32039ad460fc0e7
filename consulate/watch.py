"""Follow changes with blocking queries: ``consul.watch``.

.. not-run: watches for ever

Each method of :class:`Watch` returns a :class:`Watcher`, an iterator that
yields the current value first and then each change, decoded like the
matching read method::

    for config in consul.watch.key('app/config'):
        apply(config)                       # the current value, then every change

    with consul.watch.service('web', passing=True, timeout=5) as nodes:
        while running:
            try:
                update_backends(nodes.next())
            except TimeoutError:
                pass                        # no change in 5 s: do other work

The watcher follows Consul's blocking-query rules: the first read does not
block, later reads send the last ``X-Consul-Index`` with ``wait``; an index
that goes backwards resets the watch, an index of 0 is never sent, and an
unchanged index or value is not yielded. Transport errors, 5xx and 429 are
retried with a back-off bounded by ``max_backoff``, so a watch carries on
after the agent restarts; other errors (403, 400...) are raised from ``next()``.

Nothing runs between two calls of ``next()``: each value is read when the
consumer asks for it, so a slow consumer gets the latest value, never an
older one after a newer; :mod:`consulate.cache` runs the same loop in a thread.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

from consulate import exceptions
from consulate.api.base import check_consistency
from consulate.watcher import DEFAULT_WAIT, UNCHANGED, Reader, Watcher

if TYPE_CHECKING:
    from consulate.adapters import Response
    from consulate.client import Consul
    from consulate.types import (
        CatalogServiceTags,
        HealthCheck,
        KVValue,
        Node,
        ServiceEntry,
        UserEvent,
    )

__all__ = ['DEFAULT_WAIT', 'UNCHANGED', 'Watch', 'Watcher']

T = TypeVar('T')


class Watch:
    """The watches of ``consul watch``, as iterators (``consul.watch``).

    Every method takes these keyword-only options, passed to :class:`Watcher`:
    ``wait`` (seconds or a duration string per blocking query, default 60),
    ``timeout`` (the default of :meth:`Watcher.next`), ``max_backoff``,
    ``rate``, and ``consistency`` (``'default'``, ``'stale'`` or
    ``'consistent'``; the client's mode when left out).
    """

    def __init__(self, consul: Consul) -> None:
        self._consul = consul

    def __repr__(self) -> str:
        return f'<Watch {self._consul.base_uri}>'

    def key(
        self, key: str, *, default: KVValue = None, raw: bool = False, **options: Any
    ) -> Watcher[KVValue]:
        """Watch one KV key; yields its value as ``consul.kv.get(key, default, raw)`` returns it.

        ``GET /v1/kv/:key``. A write that stores the same value again is not
        reported; a deleted key yields ``default``.
        """
        kv, mode = self._consul.kv, self._mode(options)

        def read(index: int | None, wait: float | None) -> tuple[Any, Response | None]:
            value = kv.get(key, default, raw, index=index, wait=wait, consistency=mode)
            return value, kv.last_response

        return self._watcher(read, name=f'key {key!r}', **options)

    def prefix(self, prefix: str, **options: Any) -> Watcher[dict[str, KVValue]]:
        """Watch the keys under a prefix; yields ``{key: value}`` as ``consul.kv.find(prefix)``.

        ``GET /v1/kv/:prefix?recurse``. An empty prefix watches the whole store.
        """
        kv, mode = self._consul.kv, self._mode(options)

        def read(index: int | None, wait: float | None) -> tuple[Any, Response | None]:
            value = kv.find(prefix, index=index, wait=wait, consistency=mode)
            return value, kv.last_response

        return self._watcher(read, name=f'prefix {prefix!r}', **options)

    def services(self, **options: Any) -> Watcher[list[CatalogServiceTags]]:
        """Watch the catalog's services, as ``consul.catalog.service_records()`` returns them.

        ``GET /v1/catalog/services``.
        """
        catalog, mode = self._consul.catalog, self._mode(options)

        def read(index: int | None, wait: float | None) -> tuple[Any, Response | None]:
            value = catalog.service_records(index=index, wait=wait, consistency=mode)
            return value, catalog.last_response

        return self._watcher(read, name='services', **options)

    def nodes(self, **options: Any) -> Watcher[list[Node]]:
        """Watch the catalog's nodes, as ``consul.catalog.nodes()`` returns them.

        ``GET /v1/catalog/nodes``.
        """
        catalog, mode = self._consul.catalog, self._mode(options)

        def read(index: int | None, wait: float | None) -> tuple[Any, Response | None]:
            value = catalog.nodes(index=index, wait=wait, consistency=mode)
            return value, catalog.last_response

        return self._watcher(read, name='nodes', **options)

    def service(
        self,
        name: str,
        tag: str | None = None,
        passing: bool = False,
        *,
        near: str | None = None,
        datacenter: str | None = None,
        **options: Any,
    ) -> Watcher[list[ServiceEntry]]:
        """Watch a service's instances with their health, as ``consul.health.service()``.

        ``GET /v1/health/service/:name``; with ``passing`` only the instances
        whose checks all pass, with ``near`` sorted by round-trip time from
        that node (``'_agent'``: the client's agent), from ``datacenter``
        (default: the client's).
        """
        health, mode = self._consul.health, self._mode(options)
        query: dict[str, Any] = {'tag': tag, 'passing': passing, 'near': near}
        query |= {'datacenter': datacenter, 'consistency': mode}

        def read(index: int | None, wait: float | None) -> tuple[Any, Response | None]:
            value = health.service(name, index=index, wait=wait, **query)
            return value, health.last_response

        return self._watcher(read, name=f'service {name!r}', **options)

    def checks(
        self, service: str | None = None, state: str | None = None, **options: Any
    ) -> Watcher[list[HealthCheck]]:
        """Watch health checks: a service's (``consul.health.checks``) or those in a state.

        ``GET /v1/health/checks/:service``, or ``GET /v1/health/state/:state``
        (``state`` defaults to ``'any'``: every check).

        :raises consulate.exceptions.ValidationError: both ``service`` and ``state``
        """
        if service is not None and state is not None:
            raise exceptions.ValidationError('watch checks of a service or in a state, not both')
        health, mode = self._consul.health, self._mode(options)

        def read(index: int | None, wait: float | None) -> tuple[Any, Response | None]:
            query: dict[str, Any] = {'index': index, 'wait': wait, 'consistency': mode}
            if service is not None:
                value = health.checks(service, **query)
            else:
                value = health.state(state or 'any', **query)
            return value, health.last_response

        return self._watcher(
            read,
            name=f'checks {service or state or "any"!r}',
            **options,
        )

    def event(self, name: str | None = None, **options: Any) -> Watcher[list[UserEvent]]:
        """Watch user events: yields the events the agent knows, then each batch of new ones.

        ``GET /v1/event/list``, as ``consul.event.list(name)`` returns it. The
        first value is the agent's whole list (possibly empty); each later
        value is the list of events fired since, oldest first. Events are
        gossiped: the list is this agent's view.
        """
        event = self._consul.event
        options.pop('consistency', None)  # the event list is agent-local
        state: dict[str, Any] = {'read': False, 'last': None}

        def read(index: int | None, wait: float | None) -> tuple[Any, Response | None]:
            events = list(event.list(name, index=index, wait=wait))
            response = event.last_response
            if not state['read']:
                value: Any = events  # the first value: the whole list
                state['read'] = True
            else:
                value = _after(events, state['last']) or UNCHANGED
            if events:
                state['last'] = events[-1].get('ID')
            return value, response

        return self._watcher(
            read,
            ordered=False,
            name=f'event {name or "*"!r}',
            **options,
        )

    def _mode(self, options: dict[str, Any]) -> str | None:
        return check_consistency(options.pop('consistency', None))

    def _watcher(self, read: Reader[T], **options: Any) -> Watcher[T]:
        """A watcher of ``read`` whose long polls the client's ``close()`` ends too."""
        return Watcher(read, poll=self._consul.adapter.long_poll(), **options)


def _after(events: list[UserEvent], last_id: str | None) -> list[UserEvent]:
    """The events that follow the one with ``last_id`` (all of them if it is gone)."""
    for position, event in enumerate(events):
        if event.get('ID') == last_id:
            return events[position + 1 :]
    return events
