"""The agent's services (``/v1/agent/service``), reached as ``consul.agent.service``."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import quote

from consulate import exceptions
from consulate.api import shapes
from consulate.api.agent.check import Check, check_definition, validate_kinds
from consulate.api.agent.registration import Registration
from consulate.api.base import Endpoint

if TYPE_CHECKING:
    from consulate.adapters import Response
    from consulate.types import AgentCheckRegistration, AgentService, AgentServiceChecksInfo

__all__ = ['HEALTH_STATUSES', 'Service']

#: The aggregated status of the agent health endpoints, by the HTTP status Consul answers with.
HEALTH_STATUSES = {200: 'passing', 429: 'warning', 503: 'critical'}


class Service(Endpoint):
    """The agent's services: register (with a check), deregister, maintenance, read and health.

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
        check: str
        | AgentCheckRegistration
        | Mapping[str, Any]
        | Iterable[tuple[str, Any]]
        | None = None,
        interval: str | float | None = None,
        ttl: str | float | None = None,
        httpcheck: str | None = None,
        *,
        tcpcheck: str | None = None,
        grpccheck: str | None = None,
        check_timeout: str | float | None = None,
        deregister_critical_service_after: str | float | None = None,
        checks: Iterable[AgentCheckRegistration | Mapping[str, Any]] | None = None,
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
        :param check: a script check's command line, split with :func:`shlex.split`;
            or a whole check definition: a dict, or a (deprecated)
            :class:`consulate.models.agent.Check`
        :param interval: how often the agent runs the check
        :param ttl: a TTL check's TTL
        :param httpcheck: a URL polled every ``interval``
        :param tcpcheck: a ``host:port`` connected to every ``interval``
        :param grpccheck: a gRPC health endpoint, ``host:port[/service]``
        :param check_timeout: the check's timeout
        :param deregister_critical_service_after: deregister the service once
            its check has been critical this long
        :param checks: more checks, as :func:`~consulate.api.agent.check.check_definition`
            dicts (or :class:`consulate.models.agent.Check` models)
        :param meta: string metadata
        :param enable_tag_override: let tags changed in the catalog survive anti-entropy
        :returns: True
        :raises consulate.exceptions.ValidationError: (a ValueError) no name, a
            port that is not an int, tags that are not a list, several check
            kinds, or a missing interval; nothing is registered
        """
        data = _service_body(name, service_id, address, port, tags, meta)
        if check is not None and not isinstance(check, str):
            data['Check'] = dict(check)  # a definition: a dict or a model's (key, value) pairs
            check = None
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
        return self._put_ok(self._url('register'), data=data)

    def registered(
        self,
        name: str,
        *,
        port: int | None = None,
        service_id: str | None = None,
        tags: Iterable[str] | None = None,
        ttl: str | float = '10s',
        deregister_after: str | float | None = '1m',
        **register_options: Any,
    ) -> Registration:
        """Register a service for the length of a ``with`` block, its TTL check kept passing.

        ::

            with consul.agent.service.registered('web', port=8080) as web:
                ...                  # serve; web.warn(note), web.fail(note), web.pass_(note)

        Entering the block registers the service (``PUT
        /v1/agent/service/register``) with a TTL check ``service:<id>`` and
        reports it passing; a daemon thread then reports the chosen status
        every ``ttl``/3 (``PUT /v1/agent/check/update/:id``) and registers
        the service again when the agent has forgotten it (it restarted
        without its data). Leaving the block, however it is left, stops the
        thread and deregisters the service. If the process dies, the check
        turns critical after ``ttl`` and Consul removes the service
        ``deregister_after`` later (None: never).

        :param name: the service's name
        :param port: the service's port
        :param service_id: the service's ID (default: ``name``)
        :param tags: the service's tags
        :param ttl: the check's TTL, seconds or a duration string
        :param deregister_after: how long the check may stay critical before
            Consul deregisters the service (Consul's minimum is one minute)
        :param register_options: more arguments of :meth:`register`
            (``address``, ``meta``, ``checks``...)
        :returns: a :class:`~consulate.api.agent.registration.Registration`,
            registered when entered
        :raises consulate.exceptions.ValidationError: a bad definition or TTL
        """
        return Registration(
            self,
            self._child(Check),
            name,
            port=port,
            service_id=service_id,
            tags=tags,
            ttl=ttl,
            deregister_after=deregister_after,
            register_options=register_options,
        )

    def deregister(self, service_id: str) -> bool:
        """Remove a service and its checks from the local agent (``PUT /v1/agent/service/deregister/:id``).

        An unknown service ID is not an error.
        """
        return self._put_ok(self._url('deregister', service_id))

    def maintenance(self, service_id: str, enable: bool = True, reason: str | None = None) -> bool:
        """Put a service in maintenance mode, or take it out (``PUT /v1/agent/service/maintenance/:id``).

        In maintenance the agent adds a critical check
        ``_service_maintenance:<service_id>``, so the service drops out of
        healthy results.

        :param reason: text stored as the maintenance check's ``Notes``
        :raises consulate.exceptions.NotFound: there is no such service
        """
        params = {'enable': 'true' if enable else 'false', 'reason': reason}
        return self._put_ok(self._url('maintenance', service_id), params)

    def info(
        self, service_id: str, *, hash: str | None = None, wait: str | float | None = None
    ) -> AgentService:
        """Return one service of the local agent, as registered (``GET /v1/agent/service/:id``).

        A blocking read by content hash rather than by index: the answer's
        hash is ``consul.agent.service.last_response.content_hash`` (and the
        record's ``ContentHash``); pass it as ``hash``, with a ``wait``, to wait
        until the service changes or ``wait`` passes (then the same record
        comes back). Hashes are opaque: a different one means a change.

        :param hash: the ``content_hash`` of an earlier answer
        :param wait: the longest wait, in seconds or as a Go duration (``'30s'``)
        :raises consulate.exceptions.NotFound: the agent has no such service
        """
        return cast(
            'AgentService', self._get_object(self._url(service_id), {'hash': hash}, wait=wait)
        )

    def health(self, service_id: str) -> tuple[str, AgentServiceChecksInfo]:
        """Return the aggregated health of one service of the local agent.

        ``GET /v1/agent/health/service/id/:id``: the local agent's view, with
        no call to the servers. Consul answers 200, 429 or 503 for a passing,
        warning or critical service; all three are returned, not raised, as
        ``(status, record)``: ``('warning', {'AggregatedStatus': 'warning',
        'Service': {...}, 'Checks': [...]})``. The status is the worst of the
        service's checks (and of node and service maintenance). A client
        built with ``retries`` retries a 429 read before it gets here.

        :raises consulate.exceptions.NotFound: the agent has no such service
            (Consul's reason: ``ServiceId <id> not found``)
        """
        status, response = self._health('id', service_id)
        return status, cast(
            'AgentServiceChecksInfo', shapes.json_object(response, 'AggregatedStatus')
        )

    def health_by_name(self, name: str) -> tuple[str, list[AgentServiceChecksInfo]]:
        """Return the aggregated health of every local instance of a service.

        ``GET /v1/agent/health/service/name/:name``: ``(status, records)``,
        one record per instance registered with this agent, shaped as in
        :meth:`health`; ``status`` is the worst of them. As with
        :meth:`health`, a warning (429) or critical (503) answer is returned,
        not raised.

        :param name: the service's name
        :raises consulate.exceptions.NotFound: no service of that name is registered here
        """
        status, response = self._health('name', name)
        return status, shapes.json_list(response)

    def _health(self, by: str, value: str) -> tuple[str, Response]:
        """GET an agent health endpoint; its 429 and 503 answers are statuses, not errors."""
        url = f'{self._api_uri}/agent/health/service/{by}/{quote(value, safe="")}'
        try:
            response = self._get(url)
        except exceptions.APIError as error:
            response = self._health_answer(error)
        return HEALTH_STATUSES[response.status_code], response

    def _health_answer(self, error: exceptions.APIError) -> Response:
        """The answer behind ``error`` if it is a warning or critical status, else raise.

        A 404 raises NotFound with Consul's reason (``X-Consul-Reason``)
        rather than the body, which reads as a critical status.
        """
        answer = self.last_response
        if answer is None:
            raise error
        reason = answer.headers.get('X-Consul-Reason')
        if error.status_code == 404 and reason:
            raise exceptions.NotFound(404, 'GET', answer.path, reason) from error
        is_json = 'json' in answer.headers.get('Content-Type', '')
        if error.status_code not in HEALTH_STATUSES or not is_json:
            raise error
        return answer


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
