"""The local agent (``/v1/agent``): its checks and services, membership and maintenance.

Every endpoint here talks to the agent the client is connected to, never to
another datacenter: the client's ``datacenter`` is not sent. ``consul.agent``
is an :class:`Agent`; its health checks are managed through
``consul.agent.check`` (``Agent.Check``, :class:`~consulate.api.agent.check.Check`)
and its services through ``consul.agent.service`` (``Agent.Service``,
:class:`~consulate.api.agent.service.Service`)::

    consul.agent.service.register('web', port=80, tags=['a'], ttl='10s')
    consul.agent.check.ttl_pass('service:web', 'all good')
    consul.agent.service.deregister('web')
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from consulate import exceptions
from consulate.api.agent.check import CHECK_STATUSES, Check, check_definition
from consulate.api.agent.service import Service
from consulate.api.base import Endpoint, JSONList, JSONObject

if TYPE_CHECKING:
    from consulate.adapters import Request

__all__ = ['CHECK_STATUSES', 'TOKEN_TYPES', 'Agent', 'check_definition']

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


class Agent(Endpoint):
    """The Consul agent: its checks, services, gossip membership, maintenance and tokens.

    ``consul.agent.check`` and ``consul.agent.service`` are its
    ``Agent.Check`` (:class:`~consulate.api.agent.check.Check`) and
    ``Agent.Service`` (:class:`~consulate.api.agent.service.Service`)
    endpoints, sharing the client's adapter and token.
    """

    PREFIX = 'agent'
    ACCEPTS_DC = False

    #: The class of ``consul.agent.check``: :class:`consulate.api.agent.check.Check`.
    Check = Check
    #: The class of ``consul.agent.service``: :class:`consulate.api.agent.service.Service`.
    Service = Service

    def __init__(
        self,
        uri: str,
        adapter: Request,
        datacenter: str | None = None,
        token: str | None = None,
        **options: Any,
    ) -> None:
        """Create the endpoint and its ``check`` and ``service`` endpoints.

        :param uri: the API's base URI
        :param adapter: the request adapter
        :param datacenter: kept for the seed's signature; agent endpoints are local
        :param token: the ACL token
        """
        super().__init__(uri, adapter, datacenter, token, **options)
        #: The agent's checks (:class:`~consulate.api.agent.check.Check`).
        self.check = Agent.Check(uri, adapter, datacenter, token, **options)
        #: The agent's services (:class:`~consulate.api.agent.service.Service`).
        self.service = Agent.Service(uri, adapter, datacenter, token, **options)

    def checks(self, *, filter: str | None = None) -> JSONList:
        """Return the checks registered with the local agent, as a list (``GET /v1/agent/checks``).

        Consul answers with an object keyed by check ID; this returns its
        records, sorted by ID, each carrying its ``CheckID`` (and ``Node``,
        ``Name``, ``Status``, ``Output``, ``ServiceID``...), so nothing is lost:
        ``{c['CheckID']: c for c in consul.agent.checks()}`` rebuilds the object.

        :param filter: a filter expression, such as ``'Status == "critical"'``
        """
        found = self._get_json(self._url('checks'), {'filter': filter}) or {}
        return [found[key] for key in sorted(found)]

    def services(self, *, filter: str | None = None) -> JSONList:
        """Return the services registered with the local agent, as a list (``GET /v1/agent/services``).

        Consul answers with an object keyed by service ID; this returns its
        records, sorted by ID, each carrying its ``ID`` (and ``Service``,
        ``Tags``, ``Meta``, ``Port``, ``Address``...), so nothing is lost.

        :param filter: a filter expression, such as ``'Service == "web"'``
        """
        found = self._get_json(self._url('services'), {'filter': filter}) or {}
        return [found[key] for key in sorted(found)]

    def members(self, *, wan: bool = False, segment: str | None = None) -> JSONList:
        """Return the members of the gossip pool this agent sees, as a list (``GET /v1/agent/members``).

        Gossip is eventually consistent; ``consul.catalog.nodes()`` is the
        consistent view. Each member's ``Status`` is 1 alive, 3 left, 4 failed.

        :param wan: the WAN pool of the servers instead of the LAN pool
        :param segment: the network segment (Enterprise)
        """
        params = {'wan': '1' if wan else None, 'segment': segment}
        return self._get_list(self._url('members'), params)

    def self(self) -> JSONObject:
        """Return the agent's configuration and member record (``GET /v1/agent/self``)."""
        return dict(self._get_json(self._url('self')))

    def host(self) -> JSONObject:
        """Return the host's CPU, memory, disk and OS facts (``GET /v1/agent/host``).

        :raises consulate.exceptions.Forbidden: the token lacks ``operator:read``
        """
        return dict(self._get_json(self._url('host')))

    def metrics(self) -> JSONObject:
        """Return the agent's latest telemetry: ``Gauges``, ``Counters``, ``Samples`` (``GET /v1/agent/metrics``)."""
        return dict(self._get_json(self._url('metrics')))

    def join(self, address: str, wan: bool = False) -> bool:
        """Ask the agent to join the gossip pool of another agent (``PUT /v1/agent/join/:address``).

        :param address: the other agent's gossip address, ``host`` or ``host:port``
        :param wan: join the WAN pool (servers only)
        :raises consulate.exceptions.ServerError: the join failed (Consul's message says why)
        """
        return self._put_bool(self._url('join', address), {'wan': '1' if wan else None})

    def force_leave(self, node: str, *, prune: bool = False) -> bool:
        """Force a failed member into the left state (``PUT /v1/agent/force-leave/:node``).

        :param prune: also remove it from the member list at once
        :raises consulate.exceptions.ServerError: no member of that name
        """
        return self._put_bool(self._url('force-leave', node), {'prune': prune})

    def leave(self) -> bool:
        """Make the agent leave the cluster gracefully and shut down (``PUT /v1/agent/leave``)."""
        return self._put_bool(self._url('leave'))

    def reload(self) -> bool:
        """Make the agent reload its configuration files (``PUT /v1/agent/reload``)."""
        return self._put_bool(self._url('reload'))

    def maintenance(self, enable: bool = True, reason: str | None = None) -> bool:
        """Put the node in maintenance mode, or take it out (``PUT /v1/agent/maintenance``).

        In maintenance a critical check ``_node_maintenance`` is added, so
        every service of the node is left out of healthy results.
        """
        params = {'enable': 'true' if enable else 'false', 'reason': reason}
        return self._put_bool(self._url('maintenance'), params)

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
        return self._put_bool(self._url('token', name), data={'Token': value})
