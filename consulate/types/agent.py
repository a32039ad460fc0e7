"""The local agent's answers (``/v1/agent/...``), named after Consul's Go ``api`` structs.

Each class is a :class:`~typing.TypedDict`: the JSON object Consul sends,
as the plain ``dict`` consulate returns (nothing is converted). A field
in the ``...Optional`` base of a class may be missing from an answer; the
comment on a field that Consul 1.8.7 never sends names where it comes from.
"""

from __future__ import annotations

from typing import Any, TypedDict

from consulate.types.coordinate import Coord

__all__ = [
    'AgentAuthorize',
    'AgentCheckRegistration',
    'AgentCheck',
    'AgentHost',
    'AgentMember',
    'AgentSelf',
    'AgentService',
    'AgentServiceChecksInfo',
    'AgentServiceConnect',
    'AgentServiceConnectProxyConfig',
    'AgentVersion',
    'AgentWeights',
    'GaugeValue',
    'HealthCheck',
    'HealthCheckDefinition',
    'MetricsInfo',
    'PointValue',
    'SampledValue',
    'ServiceAddress',
    'Upstream',
]


class AgentWeights(TypedDict):
    """A service's DNS weights (Go ``api.AgentWeights``)."""

    Passing: int
    Warning: int


class ServiceAddress(TypedDict):
    """One tagged address of a service (Go ``api.ServiceAddress``)."""

    Address: str
    Port: int


class _UpstreamOptional(TypedDict, total=False):
    DestinationType: str
    DestinationNamespace: str  # Consul Enterprise (Go api.Upstream)
    DestinationPartition: str  # Go api.Upstream (Consul 1.11+)
    DestinationPeer: str  # Go api.Upstream (Consul 1.14+)
    Datacenter: str
    LocalBindAddress: str  # Go api.Upstream (omitempty: only when set)
    LocalBindPort: int
    LocalBindSocketPath: str  # Go api.Upstream (Consul 1.10+)
    LocalBindSocketMode: str  # Go api.Upstream (Consul 1.10+)
    Config: dict[str, Any] | None
    MeshGateway: dict[str, Any]
    CentrallyConfigured: bool  # Go api.Upstream (Consul 1.10+)


class Upstream(_UpstreamOptional):
    """One upstream of a Connect proxy (Go ``api.Upstream``)."""

    DestinationName: str


class AgentServiceConnectProxyConfig(TypedDict, total=False):
    """A Connect proxy's configuration in a service (Go ``api.AgentServiceConnectProxyConfig``)."""

    DestinationServiceName: str
    DestinationServiceID: str
    LocalServiceAddress: str  # Go api.AgentServiceConnectProxyConfig (omitempty)
    LocalServicePort: int
    LocalServiceSocketPath: str  # Go api.AgentServiceConnectProxyConfig (Consul 1.10+)
    Mode: str  # Go api.AgentServiceConnectProxyConfig (Consul 1.10+)
    TransparentProxy: dict[str, Any]  # Go api.AgentServiceConnectProxyConfig (Consul 1.10+)
    Config: dict[str, Any] | None  # Go api.AgentServiceConnectProxyConfig (omitempty)
    Upstreams: list[Upstream] | None
    MeshGateway: dict[str, Any]
    Expose: dict[str, Any]
    AccessLogs: dict[str, Any]  # Go api.AgentServiceConnectProxyConfig (Consul 1.15+)


class AgentServiceConnect(TypedDict, total=False):
    """A service's Connect settings (Go ``api.AgentServiceConnect``)."""

    Native: bool  # Go api.AgentServiceConnect (omitempty: Connect-native services)
    SidecarService: dict[str, Any] | None  # Go api.AgentServiceConnect (registrations only)
    PeerMeta: dict[str, Any]  # Go api.AgentServiceConnect (Consul 1.14+)


class _AgentServiceOptional(TypedDict, total=False):
    Kind: str
    TaggedAddresses: dict[str, ServiceAddress]
    CreateIndex: int
    ModifyIndex: int
    ContentHash: str
    Proxy: AgentServiceConnectProxyConfig
    Connect: AgentServiceConnect
    SocketPath: str  # Go api.AgentService (Consul 1.10+)
    PeerName: str  # Go api.AgentService (Consul 1.14+)
    Namespace: str  # Consul Enterprise (Go api.AgentService)
    Partition: str  # Consul Enterprise 1.11+ (Go api.AgentService)
    Datacenter: str  # Go api.AgentService (Consul 1.9+)
    Locality: dict[str, str]  # Go api.AgentService (Consul 1.16+)
    LocallyRegisteredAsSidecar: bool  # Go api.AgentService (Consul 1.14+)


class AgentService(_AgentServiceOptional):
    """A service registered with an agent (Go ``api.AgentService``).

    What :meth:`consul.agent.service.info <consulate.api.agent.service.Service.info>`
    returns; the values of ``consul.agent.services()[0]``.
    """

    ID: str
    Service: str
    Tags: list[str] | None
    Meta: dict[str, str] | None
    Port: int
    Address: str
    Weights: AgentWeights
    EnableTagOverride: bool


class HealthCheckDefinition(TypedDict, total=False):
    """How a check runs, as Consul reports it (Go ``api.HealthCheckDefinition``); durations as ``'10s'``.

    Consul 1.8.7 fills it only for checks registered through the catalog with
    a ``Definition``; the agent's own checks come back with ``{}``.
    """

    HTTP: str
    Header: dict[str, list[str]] | None
    Method: str
    Body: str
    TLSServerName: str  # Go api.HealthCheckDefinition (not sent by Consul 1.8.7)
    TLSSkipVerify: bool
    TCP: str
    UDP: str  # Go api.HealthCheckDefinition (Consul 1.12+)
    GRPC: str  # Go api.HealthCheckDefinition (Consul 1.12+)
    GRPCUseTLS: bool  # Go api.HealthCheckDefinition (Consul 1.12+)
    OSService: str  # Go api.HealthCheckDefinition (Consul 1.14+)
    H2PING: str  # Go api.HealthCheckDefinition (Consul 1.10+)
    H2PingUseTLS: bool  # Go api.HealthCheckDefinition (Consul 1.10+)
    Interval: str
    Timeout: str
    DeregisterCriticalServiceAfter: str


class _HealthCheckOptional(TypedDict, total=False):
    Interval: str  # Go api.HealthCheck (Consul 1.12+)
    Timeout: str  # Go api.HealthCheck (Consul 1.12+)
    ExposedPort: int  # Go api.HealthCheck (Consul 1.12+)
    Namespace: str  # Consul Enterprise (Go api.HealthCheck)
    Partition: str  # Consul Enterprise 1.11+ (Go api.HealthCheck)
    PeerName: str  # Go api.HealthCheck (Consul 1.14+)


class HealthCheck(_HealthCheckOptional):
    """One health check and its status (Go ``api.HealthCheck``).

    The items of the health endpoints' answers and the ``Checks`` of a
    :class:`~consulate.types.catalog.ServiceEntry`.
    """

    Node: str
    CheckID: str
    Name: str
    Status: str
    Notes: str
    Output: str
    ServiceID: str
    ServiceName: str
    ServiceTags: list[str] | None
    Type: str
    Definition: HealthCheckDefinition
    CreateIndex: int
    ModifyIndex: int


class AgentCheck(HealthCheck):
    """A check registered with the local agent (Go ``api.AgentCheck``): a :class:`HealthCheck`.

    The values of ``consul.agent.checks()[0]``.
    """


class AgentServiceChecksInfo(TypedDict):
    """A local service with its aggregated health (Go ``api.AgentServiceChecksInfo``)."""

    AggregatedStatus: str
    Service: AgentService
    Checks: list[HealthCheck]


class AgentMember(TypedDict):
    """A member of the agent's gossip pool (Go ``api.AgentMember``)."""

    Name: str
    Addr: str
    Port: int
    Tags: dict[str, str]
    Status: int
    ProtocolMin: int
    ProtocolMax: int
    ProtocolCur: int
    DelegateMin: int
    DelegateMax: int
    DelegateCur: int


class _AgentSelfOptional(TypedDict, total=False):
    xDS: dict[str, Any]  # Consul docs, /agent/self (Consul 1.11+)


class AgentSelf(_AgentSelfOptional):
    """The agent's configuration and state (``GET /v1/agent/self``; a ``map`` in Go's ``Agent.Self``).

    Each section is a free-form object that changes between Consul versions.
    """

    Config: dict[str, Any]
    DebugConfig: dict[str, Any]
    Coord: Coord | None
    Member: AgentMember
    Stats: dict[str, dict[str, str]]
    Meta: dict[str, str] | None


class AgentVersion(TypedDict, total=False):
    """The agent's version (``GET /v1/agent/version``, Consul 1.15+; Go ``api.AgentVersion``)."""

    SHA: str
    BuildDate: str
    HumanVersion: str
    FIPS: str


class AgentAuthorize(TypedDict):
    """A Connect authorization decision (Go ``api.AgentAuthorize``)."""

    Authorized: bool
    Reason: str


class GaugeValue(TypedDict):
    """A gauge of the agent's metrics (Go ``api.GaugeValue``)."""

    Name: str
    Value: float
    Labels: dict[str, str]


class PointValue(TypedDict):
    """A series of points of the agent's metrics (Go ``api.PointValue``)."""

    Name: str
    Points: list[float]


class SampledValue(TypedDict):
    """A counter or a sample of the agent's metrics (Go ``api.SampledValue``)."""

    Name: str
    Count: int
    Sum: float
    Min: float
    Max: float
    Mean: float
    Stddev: float
    Rate: float  # sent by Consul 1.8.7 (go-metrics' AggregateSample); not in Go api.SampledValue
    Labels: dict[str, str]


class MetricsInfo(TypedDict):
    """The agent's metrics (Go ``api.MetricsInfo``)."""

    Timestamp: str
    Gauges: list[GaugeValue]
    Points: list[PointValue]
    Counters: list[SampledValue]
    Samples: list[SampledValue]


class AgentHost(TypedDict):
    """The host the agent runs on (``GET /v1/agent/host``; a ``map`` in Go's ``Agent.Host``)."""

    Memory: dict[str, Any]
    CPU: list[dict[str, Any]] | None
    Host: dict[str, Any]
    Disk: dict[str, Any]
    CollectionTime: int
    Errors: list[str] | None


class AgentCheckRegistration(TypedDict, total=False):
    """A check definition, as the agent takes it (Go ``api.AgentCheckRegistration``).

    What :func:`~consulate.api.agent.check.check_definition` builds and what
    ``check=``/``checks=`` of :meth:`consul.agent.service.register()
    <consulate.api.agent.service.Service.register>` take. Give one of
    ``Args``, ``HTTP``, ``TCP``, ``GRPC`` or ``TTL`` (and an ``Interval``
    for all but ``TTL``); durations are Go duration strings (``'10s'``).
    """

    ID: str
    CheckID: str
    Name: str
    Notes: str
    ServiceID: str
    Args: list[str]
    ScriptArgs: list[str]
    DockerContainerID: str
    Shell: str
    Interval: str
    Timeout: str
    TTL: str
    HTTP: str
    Header: dict[str, list[str]]
    Method: str
    Body: str
    TCP: str
    Status: str
    TLSServerName: str
    TLSSkipVerify: bool
    GRPC: str
    GRPCUseTLS: bool
    AliasNode: str
    AliasService: str
    SuccessBeforePassing: int
    FailuresBeforeCritical: int
    DeregisterCriticalServiceAfter: str
