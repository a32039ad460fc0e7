"""The shapes of Consul's answers: one :class:`~typing.TypedDict` per JSON object consulate returns.

Each is named after the struct of Consul's Go ``api`` package that holds the
same object (``AgentService``, ``ServiceEntry``, ``KVPair``, ``ACLToken``...),
so code and documentation map one to one. They exist for type checkers,
IDEs and readers only: at run time every answer is the plain ``dict`` or
``list`` decoded from Consul's JSON, with no conversion and no copy.

A class's fields that Consul may leave out are declared in a ``total=False``
base (``typing.NotRequired`` needs Python 3.11), so a type checker asks for
``.get()`` or an ``in`` test before reading them. Fields that Consul 1.8.7
never sends carry a comment naming their source: Consul's API docs or the
Go ``api`` struct, with the version that added them.

The modules, one per area: :mod:`~consulate.types.agent`,
:mod:`~consulate.types.catalog` (catalog and health),
:mod:`~consulate.types.kv` (KV, transactions, sessions, events),
:mod:`~consulate.types.coordinate`, :mod:`~consulate.types.acl`,
:mod:`~consulate.types.connect` (CA, intentions, config entries,
discovery chains), :mod:`~consulate.types.query`,
:mod:`~consulate.types.operator` and :mod:`~consulate.types.tenancy`
(namespaces, partitions, peerings). This package imports nothing else
from consulate.
"""

from __future__ import annotations

from consulate.types.acl import (
    ACLAuthMethod,
    ACLAuthMethodListEntry,
    ACLBindingRule,
    ACLEntry,
    ACLLink,
    ACLNodeIdentity,
    ACLPolicy,
    ACLPolicyListEntry,
    ACLReplicationStatus,
    ACLRole,
    ACLServiceIdentity,
    ACLTemplatedPolicy,
    ACLTemplatedPolicyResponse,
    ACLToken,
    ACLTokenListEntry,
)
from consulate.types.agent import (
    AgentAuthorize,
    AgentCheck,
    AgentCheckRegistration,
    AgentHost,
    AgentMember,
    AgentSelf,
    AgentService,
    AgentServiceChecksInfo,
    AgentServiceConnect,
    AgentServiceConnectProxyConfig,
    AgentVersion,
    AgentWeights,
    GaugeValue,
    HealthCheck,
    HealthCheckDefinition,
    MetricsInfo,
    PointValue,
    SampledValue,
    ServiceAddress,
    Upstream,
)
from consulate.types.catalog import (
    CatalogNode,
    CatalogNodeServiceList,
    CatalogService,
    CatalogServiceTags,
    GatewayService,
    Node,
    ServiceEntry,
)
from consulate.types.connect import (
    CAConfig,
    CARoot,
    CARootList,
    CompiledDiscoveryChain,
    ConfigEntry,
    Intention,
    LeafCert,
)
from consulate.types.coordinate import (
    Coord,
    CoordinateDatacenterMap,
    CoordinateEntry,
)
from consulate.types.kv import (
    JSONValue,
    KVPair,
    KVValue,
    ServiceCheck,
    SessionEntry,
    TxnCheckOp,
    TxnError,
    TxnKVOp,
    TxnKVPair,
    TxnNodeOp,
    TxnOp,
    TxnResult,
    TxnServiceOp,
    UserEvent,
)
from consulate.types.operator import (
    Area,
    AreaJoinResponse,
    AutopilotConfiguration,
    AutopilotState,
    FeatureGate,
    FeatureGateUpdate,
    KeyringResponse,
    LicenseReply,
    OperatorHealthReply,
    RaftConfiguration,
    RaftServer,
    SerfMember,
    ServerHealth,
    Usage,
    UtilizationBundle,
)
from consulate.types.query import (
    PreparedQueryDefinition,
    PreparedQueryExecuteResponse,
    QueryDNSOptions,
    ServiceQuery,
)
from consulate.types.tenancy import (
    ExportedService,
    ImportedService,
    Namespace,
    Partition,
    Peering,
)

#: ``consul.agent.services()[0]``: the local services keyed by service ID (Go's ``map[string]*AgentService``).
AgentServices = dict[str, AgentService]
#: ``consul.agent.checks()[0]``: the local checks keyed by check ID (Go's ``map[string]*AgentCheck``).
AgentChecks = dict[str, AgentCheck]
#: ``consul.catalog.services()[0]``: each service name and its tags (Go's ``map[string][]string``).
CatalogServices = dict[str, list[str]]

__all__ = [
    'ACLAuthMethod',
    'ACLAuthMethodListEntry',
    'ACLBindingRule',
    'ACLEntry',
    'ACLLink',
    'ACLNodeIdentity',
    'ACLPolicy',
    'ACLPolicyListEntry',
    'ACLReplicationStatus',
    'ACLRole',
    'ACLServiceIdentity',
    'ACLTemplatedPolicy',
    'ACLTemplatedPolicyResponse',
    'ACLToken',
    'ACLTokenListEntry',
    'AgentAuthorize',
    'AgentCheck',
    'AgentCheckRegistration',
    'AgentChecks',
    'AgentHost',
    'AgentMember',
    'AgentSelf',
    'AgentService',
    'AgentServiceChecksInfo',
    'AgentServiceConnect',
    'AgentServiceConnectProxyConfig',
    'AgentServices',
    'AgentVersion',
    'AgentWeights',
    'Area',
    'AreaJoinResponse',
    'AutopilotConfiguration',
    'AutopilotState',
    'CAConfig',
    'CARoot',
    'CARootList',
    'CatalogNode',
    'CatalogNodeServiceList',
    'CatalogService',
    'CatalogServiceTags',
    'CatalogServices',
    'CompiledDiscoveryChain',
    'ConfigEntry',
    'Coord',
    'CoordinateDatacenterMap',
    'CoordinateEntry',
    'ExportedService',
    'FeatureGate',
    'FeatureGateUpdate',
    'GatewayService',
    'GaugeValue',
    'HealthCheck',
    'HealthCheckDefinition',
    'JSONValue',
    'ImportedService',
    'Intention',
    'KVPair',
    'KVValue',
    'KeyringResponse',
    'LeafCert',
    'LicenseReply',
    'MetricsInfo',
    'Namespace',
    'Node',
    'OperatorHealthReply',
    'Partition',
    'Peering',
    'PointValue',
    'PreparedQueryDefinition',
    'PreparedQueryExecuteResponse',
    'QueryDNSOptions',
    'RaftConfiguration',
    'RaftServer',
    'SampledValue',
    'SerfMember',
    'ServerHealth',
    'ServiceAddress',
    'ServiceCheck',
    'ServiceEntry',
    'ServiceQuery',
    'SessionEntry',
    'TxnCheckOp',
    'TxnError',
    'TxnKVOp',
    'TxnKVPair',
    'TxnNodeOp',
    'TxnOp',
    'TxnResult',
    'TxnServiceOp',
    'Upstream',
    'Usage',
    'UserEvent',
    'UtilizationBundle',
]
