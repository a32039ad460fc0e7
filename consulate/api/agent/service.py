"""The agent's services (``/v1/agent/service``), reached as ``consul.agent.service``."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from consulate import exceptions
from consulate.api.agent.check import check_definition, validate_kinds
from consulate.api.base import Endpoint

__all__ = ['Service']


class Service(Endpoint):
    """The agent's services: register (with a check), deregister, maintenance.

    Reached as ``consul.agent.service``; the class is also ``Agent.Service``.
    """

    PREFIX = 'agent/service'
    ACCEPTS_DC = False

    def register(
        self,
        name: str,
        service_id: str | None = None,
        address: str | None = None,
        port: int | None = None,
        tags: Iterable[str] | None = None,
        check: str | None = None,
        interval: str | float | None = None,
        ttl: str | float | None = None,
        httpcheck: str | None = None,
        *,
        tcpcheck: str | None = None,
        grpccheck: str | None = None,
        check_timeout: str | float | None = None,
        deregister_critical_service_after: str | float | None = None,
        checks: Iterable[Mapping[str, Any]] | None = None,
        meta: Mapping[str, str] | None = None,
        enable_tag_override: bool | None = None,
    ) -> bool:
        """Add a service, and its check, to the local agent (``PUT /v1/agent/service/register``).

        Registering an existing service ID replaces the service. At most one
        of ``check``, ``httpcheck``, ``ttl``, ``tcpcheck`` or ``grpccheck``
        makes the service's check, whose ID is ``service:<service_id>``;
        every kind but ``ttl`` needs an ``interval``. Durations are seconds or
        Go duration strings (``'10s'``).

        :param name: the service's name
        :param service_id: the service's ID, unique on the agent (default: ``name``)
        :param address: the service's address (default: the node's)
        :param port: the service's port
        :param tags: a list of tags
        :param check: a script check's command line, split with :func:`shlex.split`
        :param interval: how often the agent runs the check
        :param ttl: a TTL check's TTL
        :param httpcheck: a URL polled every ``interval``
        :param tcpcheck: a ``host:port`` connected to every ``interval``
        :param grpccheck: a gRPC health endpoint, ``host:port[/service]``
        :param check_timeout: the check's timeout
        :param deregister_critical_service_after: deregister the service once
            its check has been critical this long
        :param checks: more checks, as :func:`~consulate.api.agent.check.check_definition` dicts
        :param meta: string metadata
        :param enable_tag_override: let tags changed in the catalog survive anti-entropy
        :returns: True
        :raises consulate.exceptions.ValidationError: (a ValueError) no name, a
            port that is not an int, tags that are not a list, several check
            kinds, or a missing interval; nothing is registered
        """
        data = _service_body(name, service_id, address, port, tags, meta)
        kinds = {'check': check, 'httpcheck': httpcheck, 'ttl': ttl}
        kinds |= {'tcpcheck': tcpcheck, 'grpccheck': grpccheck}
        given = [kind for kind, value in kinds.items() if value is not None]
        if given or interval is not None:
            validate_kinds(given, interval, 'check, httpcheck, ttl, tcpcheck or grpccheck')
            data['Check'] = check_definition(
                None,
                script=check,
                http=httpcheck,
                ttl=ttl,
                tcp=tcpcheck,
                grpc=grpccheck,
                interval=interval,
                timeout=check_timeout,
                deregister_critical_service_after=deregister_critical_service_after,
            )
        if checks is not None:
            data['Checks'] = [dict(one) for one in checks]
        if enable_tag_override is not None:
            data['EnableTagOverride'] = enable_tag_override
        return self._put_bool(self._url('register'), data=data)

    def deregister(self, service_id: str) -> bool:
        """Remove a service and its checks from the local agent (``PUT /v1/agent/service/deregister/:id``).

        An unknown service ID is not an error.
        """
        return self._put_bool(self._url('deregister', service_id))

    def maintenance(self, service_id: str, enable: bool = True, reason: str | None = None) -> bool:
        """Put a service in maintenance mode, or take it out (``PUT /v1/agent/service/maintenance/:id``).

        In maintenance the agent adds a critical check
        ``_service_maintenance:<service_id>``, so the service drops out of
        healthy results.

        :param reason: text stored as the maintenance check's ``Notes``
        :raises consulate.exceptions.NotFound: there is no such service
        """
        params = {'enable': 'true' if enable else 'false', 'reason': reason}
        return self._put_bool(self._url('maintenance', service_id), params)


def _service_body(
    name: str,
    service_id: str | None,
    address: str | None,
    port: int | None,
    tags: Iterable[str] | None,
    meta: Mapping[str, str] | None,
) -> dict[str, Any]:
    if not isinstance(name, str) or not name:
        raise exceptions.ValidationError('a service needs a name')
    if port is not None and (isinstance(port, bool) or not isinstance(port, int)):
        raise exceptions.ValidationError(f'port must be an int, not {port!r}')
    if tags is not None and (isinstance(tags, (str, bytes)) or not isinstance(tags, Iterable)):
        raise exceptions.ValidationError(f'tags must be a list of strings, not {tags!r}')
    fields: dict[str, Any] = {
        'Name': name,
        'ID': service_id,
        'Address': address,
        'Port': port,
        'Tags': None if tags is None else [str(tag) for tag in tags],
        'Meta': None if meta is None else dict(meta),
    }
    return {key: value for key, value in fields.items() if value is not None}
