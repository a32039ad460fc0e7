"""The local agent (``/v1/agent``): its checks and services, membership and maintenance.

Every endpoint here talks to the agent the client is connected to, never to
another datacenter: the client's ``datacenter`` is not sent. ``consul.agent``
is an :class:`Agent`; its health checks are managed through
``consul.agent.check`` (``Agent.Check``, :class:`~consulate.api.agent.check.Check`),
its services through ``consul.agent.service`` (``Agent.Service``,
:class:`~consulate.api.agent.service.Service`) and its Connect certificates
through ``consul.agent.connect`` (``Agent.Connect``,
:class:`~consulate.api.agent.connect.AgentConnect`)::

    consul.agent.service.register('web', port=80, tags=['a'], ttl='10s')
    consul.agent.check.ttl_pass('service:web', 'all good')
    consul.agent.service.deregister('web')
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Generator, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, cast
from urllib.parse import urlsplit

from consulate import exceptions
from consulate.api import shapes
from consulate.api.agent.check import CHECK_STATUSES, Check, check_definition
from consulate.api.agent.connect import AgentConnect
from consulate.api.agent.service import Service
from consulate.api.base import Endpoint, JSONObject
from consulate.api.keyed import KeyedList

if TYPE_CHECKING:
    from consulate.types import (
        AgentCheck,
        AgentChecks,
        AgentHost,
        AgentMember,
        AgentSelf,
        AgentService,
        AgentServices,
        AgentVersion,
        MetricsInfo,
    )

__all__ = ['CHECK_STATUSES', 'TOKEN_TYPES', 'Agent', 'check_definition']

# Agent.Check and Agent.Service name these classes inside Agent's body.
_Check = Check
_Service = Service

#: The agent token names :meth:`Agent.token` accepts (Consul 1.4+ first, then the legacy names).
TOKEN_TYPES = (
    'default',
    'agent',
    'agent_master',
    'agent_recovery',
    'replication',
    'config_file_service_registration',
    'dns',
    'acl_token',
    'acl_agent_token',
    'acl_agent_master_token',
    'acl_replication_token',
)

#: Who has ``/v1/agent/version``, named by UnsupportedEndpoint on older agents.
VERSION_SINCE = 'Consul 1.16'
#: Who has ``/v1/agent/metrics/stream``, named by UnsupportedEndpoint on older agents.
METRICS_STREAM_SINCE = 'Consul 1.10'


class Agent(Endpoint):
    """The Consul agent: its checks, services, gossip membership, maintenance, tokens and logs.

    ``consul.agent.check``, ``consul.agent.service`` and
    ``consul.agent.connect`` are its ``Agent.Check``
    (:class:`~consulate.api.agent.check.Check`), ``Agent.Service``
    (:class:`~consulate.api.agent.service.Service`) and ``Agent.Connect``
    (:class:`~consulate.api.agent.connect.AgentConnect`) endpoints, sharing the
    client's adapter and token.
    """

    PREFIX = 'agent'
    ACCEPTS_DC = False

    #: The class of ``consul.agent.check``: :class:`consulate.api.agent.check.Check`.
    Check = Check
    #: The class of ``consul.agent.service``: :class:`consulate.api.agent.service.Service`.
    Service = Service
    #: The class of ``consul.agent.connect``: :class:`consulate.api.agent.connect.AgentConnect`.
    Connect = AgentConnect

    CHILDREN: ClassVar[Mapping[str, type[Endpoint]]] = {
        'check': _Check,
        'service': _Service,
        'connect': AgentConnect,
    }

    #: The agent's checks (:class:`~consulate.api.agent.check.Check`).
    check: _Check
    #: The agent's services (:class:`~consulate.api.agent.service.Service`).
    service: _Service
    #: Its Connect endpoints (:class:`~consulate.api.agent.connect.AgentConnect`).
    connect: AgentConnect

    def checks(self, *, filter: str | None = None) -> KeyedList[AgentCheck]:
        """Return the agent's checks as consulate 0.6.0 did: ``[{check_id: record}]`` (``GET /v1/agent/checks``).

        A list holding Consul's object keyed by check ID (``[{}]`` when there
        is none), which is also read like that object: ``'disk' in checks``,
        ``checks['disk']``, ``checks.items()``
        (:class:`~consulate.api.keyed.KeyedList`).
        :meth:`check_records` returns the records as a flat list.

        :param filter: a filter expression, such as ``'Status == "critical"'``
        """
        return KeyedList.of(cast('AgentChecks', self._keyed(self._url('checks'), filter)))

    def check_records(self, *, filter: str | None = None) -> list[AgentCheck]:
        """Return the agent's check records, sorted by ID (``GET /v1/agent/checks``).

        Each carries its ``CheckID`` (and ``Node``, ``Name``, ``Status``,
        ``Output``, ``ServiceID``...):
        ``{c['CheckID']: c for c in consul.agent.check_records()}`` is
        Consul's object again.

        :param filter: a filter expression, such as ``'Status == "critical"'``
        """
        records = shapes.keyed_objects(self._get(self._url('checks'), {'filter': filter}))
        return cast('list[AgentCheck]', records)

    def services(self, *, filter: str | None = None) -> KeyedList[AgentService]:
        """Return the agent's services as consulate 0.6.0 did: ``[{service_id: record}]`` (``GET /v1/agent/services``).

        A list holding Consul's object keyed by service ID (``[{}]`` when
        there is none), which is also read like that object, as the code after
        0.6.0 returned it: ``'web-1' in consul.agent.services()``,
        ``services['web-1']``, ``services.items()``
        (:class:`~consulate.api.keyed.KeyedList`).
        :meth:`service_records` returns the records as a flat list.

        :param filter: a filter expression, such as ``'Service == "web"'``
        """
        return KeyedList.of(cast('AgentServices', self._keyed(self._url('services'), filter)))

    def service_records(self, *, filter: str | None = None) -> list[AgentService]:
        """Return the agent's service records, sorted by ID (``GET /v1/agent/services``).

        Each carries its ``ID`` (and ``Service``, ``Tags``, ``Meta``,
        ``Port``, ``Address``...), so nothing of Consul's object is lost.

        :param filter: a filter expression, such as ``'Service == "web"'``
        """
        records = shapes.keyed_objects(self._get(self._url('services'), {'filter': filter}))
        return cast('list[AgentService]', records)

    def _keyed(self, url: str, filter: str | None) -> JSONObject:
        """Consul's object of objects at ``url``, checked (``{}`` for null)."""
        response = self._get(url, {'filter': filter})
        shapes.keyed_objects(response)  # checks every value is an object
        found: JSONObject = response.json() or {}
        return found

    def members(self, *, wan: bool = False, segment: str | None = None) -> list[AgentMember]:
        """Return the members of the gossip pool this agent sees, as a list (``GET /v1/agent/members``).

        Gossip is eventually consistent; ``consul.catalog.nodes()`` is the
        consistent view. Each member's ``Status`` is 1 alive, 3 left, 4 failed.

        :param wan: the WAN pool of the servers instead of the LAN pool
        :param segment: the network segment (Enterprise)
        """
        params = {'wan': '1' if wan else None, 'segment': segment}
        return self._get_list(self._url('members'), params)

    def self(self) -> AgentSelf:
        """Return the agent's configuration and member record (``GET /v1/agent/self``)."""
        return cast('AgentSelf', self._get_object(self._url('self')))

    def host(self) -> AgentHost:
        """Return the host's CPU, memory, disk and OS facts (``GET /v1/agent/host``).

        :raises consulate.exceptions.Forbidden: the token lacks ``operator:read``
        """
        return cast('AgentHost', self._get_object(self._url('host')))

    def version(self) -> AgentVersion:
        """Return the agent's build: ``HumanVersion``, ``SHA``, ``BuildDate``, ``FIPS`` (``GET /v1/agent/version``).

        Consul 1.16+; on any version, ``self()['Config']['Version']`` is the
        version number.

        :raises consulate.exceptions.UnsupportedEndpoint: the agent is older than Consul 1.16
        """
        return cast(
            'AgentVersion',
            shapes.json_object(self._request_since(VERSION_SINCE, 'GET', self._url('version'))),
        )

    def metrics(self) -> MetricsInfo:
        """Return the agent's latest telemetry: ``Gauges``, ``Counters``, ``Samples`` (``GET /v1/agent/metrics``)."""
        return cast('MetricsInfo', self._get_object(self._url('metrics')))

    def metrics_stream(self, *, timeout: float = 30.0) -> Generator[MetricsInfo, None, None]:
        """Stream the agent's telemetry, one summary each interval (``GET /v1/agent/metrics/stream``).

        Consul 1.10+. A generator of dicts shaped as :meth:`metrics` returns
        them; the agent sends one every telemetry interval (10 seconds). The
        request is sent when the first summary is asked for; ``close()`` the
        generator to end the stream and close its connection.

        :param timeout: the longest wait, in seconds, for the next summary;
            when it passes, iterating raises :class:`~consulate.exceptions.RequestTimeout`
        :raises consulate.exceptions.UnsupportedEndpoint: the agent is older than Consul 1.10
        """
        url = self._url('metrics', 'stream')
        with contextlib.closing(self._stream(url, None, timeout, METRICS_STREAM_SINCE)) as lines:
            for line in lines:
                yield cast('MetricsInfo', _json_line(line, url))

    def monitor(
        self, loglevel: str = 'info', *, log_json: bool = False, timeout: float = 30.0
    ) -> Generator[str, None, None]:
        """Stream the agent's log, one line at a time (``GET /v1/agent/monitor``).

        .. not-run: streams the agent's log until the reader stops

        A generator of the lines (``str``, without the newline) the agent logs
        at ``loglevel`` or above, whatever level it logs at itself, from the
        moment the request arrives; the request is sent when the first line
        is asked for::

            lines = consul.agent.monitor('debug', timeout=60)
            try:
                for line in lines:
                    handle(line)
            finally:
                lines.close()  # ends the stream and closes its connection

        The stream never ends on its own: stop it with ``close()`` (or let
        the generator be garbage collected). It never hangs either: when no
        line comes for ``timeout`` seconds, iterating raises
        :class:`~consulate.exceptions.RequestTimeout`; a broken connection
        raises :class:`~consulate.exceptions.RequestError`.

        :param loglevel: ``'trace'``, ``'debug'``, ``'info'``, ``'warn'`` or ``'error'``
        :param log_json: each line a JSON object (``json.loads`` it) instead of text
        :param timeout: the longest wait, in seconds, for the next line
        :raises consulate.exceptions.BadRequest: an unknown ``loglevel``
        :raises consulate.exceptions.Forbidden: the token lacks ``agent:read``
        """
        params = {'loglevel': loglevel, 'logjson': log_json}
        with contextlib.closing(self._stream(self._url('monitor'), params, timeout)) as lines:
            for line in lines:
                yield line.decode('utf-8', 'replace')

    def join(self, address: str, wan: bool = False) -> bool:
        """Ask the agent to join the gossip pool of another agent (``PUT /v1/agent/join/:address``).

        :param address: the other agent's gossip address, ``host`` or ``host:port``
        :param wan: join the WAN pool (servers only)
        :raises consulate.exceptions.ServerError: the join failed (Consul's message says why)
        """
        return self._put_ok(self._url('join', address), {'wan': '1' if wan else None})

    def force_leave(self, node: str, *, prune: bool = False) -> bool:
        """Force a failed member into the left state (``PUT /v1/agent/force-leave/:node``).

        :param prune: also remove it from the member list at once
        :raises consulate.exceptions.ServerError: no member of that name
        """
        return self._put_ok(self._url('force-leave', node), {'prune': prune})

    def leave(self) -> bool:
        """Make the agent leave the cluster gracefully and shut down (``PUT /v1/agent/leave``)."""
        return self._put_ok(self._url('leave'))

    def reload(self) -> bool:
        """Make the agent reload its configuration files (``PUT /v1/agent/reload``)."""
        return self._put_ok(self._url('reload'))

    def maintenance(self, enable: bool = True, reason: str | None = None) -> bool:
        """Put the node in maintenance mode, or take it out (``PUT /v1/agent/maintenance``).

        In maintenance a critical check ``_node_maintenance`` is added, so
        every service of the node is left out of healthy results.
        """
        params = {'enable': 'true' if enable else 'false', 'reason': reason}
        return self._put_ok(self._url('maintenance'), params)

    def token(self, name: str, value: str) -> bool:
        """Set one of the agent's ACL tokens, until it restarts (``PUT /v1/agent/token/:name``).

        :param name: one of :data:`TOKEN_TYPES`, such as ``'default'`` or
            ``'agent'`` (Consul before 1.11 calls the recovery token
            ``'agent_master'``, later ones ``'agent_recovery'``)
        :param value: the token's SecretID (``''`` clears it)
        :raises consulate.exceptions.ValidationError: an unknown token name
        :raises consulate.exceptions.ACLDisabled: the agent runs without ACLs
        """
        if name not in TOKEN_TYPES:
            raise exceptions.ValidationError(
                f'unknown agent token {name!r}: use one of {", ".join(TOKEN_TYPES)}'
            )
        return self._put_ok(self._url('token', name), data={'Token': value})

    def _stream(
        self, url: str, params: Mapping[str, Any] | None, timeout: float, since: str | None = None
    ) -> Generator[bytes, None, None]:
        """GET a streaming endpoint and yield the non-blank lines of its body, without newlines.

        Closing the generator closes the connection.

        :param timeout: the read timeout: the longest wait for the next bytes
        :param since: who has the route, for the UnsupportedEndpoint an older agent gets
        """
        configured = self._adapter.timeout
        connect = configured[0] if isinstance(configured, tuple) else configured
        options: dict[str, Any] = {'stream': True, 'timeout': (connect, timeout)}
        if since is None:
            response = self._get(url, params, **options)
        else:
            response = self._request_since(since, 'GET', url, params, **options)
        pending = b''
        chunks = response.iter_content()
        try:
            for chunk in chunks:
                *lines, pending = (pending + chunk).split(b'\n')
                yield from (line for line in lines if line.strip())
            if pending.strip():
                yield pending
        finally:
            chunks.close()  # gives the connection back, or closes it mid-stream


def _json_line(line: bytes, url: str) -> JSONObject:
    """One line of a JSON stream, decoded: an object.

    :raises consulate.exceptions.InvalidResponse: the line is not a JSON object
    """
    try:
        value = json.loads(line)
    except ValueError as error:
        raise exceptions.InvalidResponse(
            f'GET {urlsplit(url).path}: a streamed line of {len(line)} bytes is not JSON ({error})'
        ) from error
    if not isinstance(value, dict):
        raise exceptions.InvalidResponse(
            f'GET {urlsplit(url).path}: expected a JSON object per line, got {shapes.describe(value)}'
        )
    return value
