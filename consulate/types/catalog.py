"""The catalog's and the health endpoints' answers, named after Consul's Go ``api`` structs.

Each class is a :class:`~typing.TypedDict`: the JSON object Consul sends, as
the plain ``dict`` consulate returns. A field in the ``...Optional`` base of
a class may be missing; the comment on a field Consul 1.8.7 never sends
names where it comes from.
"""

from __future__ import annotations

from typing import TypedDict

from consulate.types.agent import (
    AgentService,
    AgentServiceConnect,
    AgentServiceConnectProxyConfig,
    AgentWeights,
    HealthCheck,
    ServiceAddress,
)

__all__ = [
    'CatalogNode',
    'CatalogNodeServiceList',
    'CatalogService',
    'CatalogServiceTags',
    'CompoundServiceName',
    'GatewayService',
    'Node',
    'ServiceEntry',
]


class _NodeOptional(TypedDict, total=False):
    Partition: str  # Consul Enterprise 1.11+ (Go api.Node)
    PeerName: str  # Go api.Node (Consul 1.14+)
    Locality: dict[str, str]  # Go api.Node (Consul 1.16+)


class Node(_NodeOptional):
    """A node of the catalog (Go ``api.Node``): the items of :meth:`consul.catalog.nodes()
    <consulate.api.catalog.Catalog.nodes>`."""

    ID: str
    Node: str
    Address: str
    Datacenter: str
    TaggedAddresses: dict[str, str] | None
    Meta: dict[str, str] | None
    CreateIndex: int
    ModifyIndex: int


class _CatalogServiceOptional(TypedDict, total=False):
    ServiceTaggedAddresses: dict[str, ServiceAddress]
    ServiceLocality: dict[str, str]  # Go api.CatalogService (Consul 1.16+)
    Namespace: str  # Consul Enterprise (Go api.CatalogService)
    Partition: str  # Consul Enterprise 1.11+ (Go api.CatalogService)
    PeerName: str  # Go api.CatalogService (Consul 1.14+)
    Checks: list[HealthCheck]  # Go api.CatalogService (Consul 1.7+, never filled by 1.8.7)


class CatalogService(_CatalogServiceOptional):
    """One instance of a service, with its node (Go ``api.CatalogService``).

    The items of :meth:`consul.catalog.service()
    <consulate.api.catalog.Catalog.service>`.
    """

    ID: str
    Node: str
    Address: str
    Datacenter: str
    TaggedAddresses: dict[str, str] | None
    NodeMeta: dict[str, str] | None
    ServiceID: str
    ServiceName: str
    ServiceAddress: str
    ServiceTags: list[str] | None
    ServiceMeta: dict[str, str] | None
    ServicePort: int
    ServiceWeights: AgentWeights
    ServiceEnableTagOverride: bool
    ServiceKind: str
    ServiceProxy: AgentServiceConnectProxyConfig
    ServiceConnect: AgentServiceConnect
    CreateIndex: int
    ModifyIndex: int


class CatalogServiceTags(TypedDict):
    """One service name and the union of its instances' tags (``GET /v1/catalog/services``).

    Consul answers with one object ``{name: [tags]}`` (a ``map[string][]string``
    in Go); a record of :meth:`consul.catalog.service_records()` holds one name.
    """

    Service: str
    Tags: list[str]


class CatalogNode(TypedDict):
    """A node and its services, keyed by service ID (Go ``api.CatalogNode``)."""

    Node: Node
    Services: dict[str, AgentService] | None


class CatalogNodeServiceList(TypedDict):
    """A node and its services as a list (Go ``api.CatalogNodeServiceList``, Consul 1.7+)."""

    Node: Node
    Services: list[AgentService] | None


class _GatewayServiceOptional(TypedDict, total=False):
    Hosts: list[str] | None  # Go api.GatewayService (omitempty: some gateways only)
    CAFile: str  # Go api.GatewayService (omitempty: some gateways only)
    CertFile: str  # Go api.GatewayService (omitempty: some gateways only)
    KeyFile: str  # Go api.GatewayService (omitempty: some gateways only)
    SNI: str  # Go api.GatewayService (omitempty: some gateways only)
    FromWildcard: bool  # Go api.GatewayService (omitempty: some gateways only)
    ServiceKind: str  # Go api.GatewayService (Consul 1.10+)
    AutoHostRewrite: bool  # Go api.GatewayService (Consul 1.10+)
    CreateIndex: int  # sent by Consul 1.8.7; not in Go api.GatewayService
    ModifyIndex: int  # sent by Consul 1.8.7; not in Go api.GatewayService


class _CompoundServiceNameOptional(TypedDict, total=False):
    Namespace: str
    Partition: str  # Consul Enterprise 1.11+ (Go api.CompoundServiceName)


class CompoundServiceName(_CompoundServiceNameOptional):
    """A service named with its namespace (Go ``api.CompoundServiceName``)."""

    Name: str


class GatewayService(_GatewayServiceOptional):
    """A service that a gateway serves (Go ``api.GatewayService``, Consul 1.8+)."""

    Gateway: CompoundServiceName
    Service: CompoundServiceName
    GatewayKind: str
    Port: int
    Protocol: str


class ServiceEntry(TypedDict):
    """One instance of a service with its node and checks (Go ``api.ServiceEntry``).

    The items of :meth:`consul.health.service()
    <consulate.api.health.Health.service>`.
    """

    Node: Node
    Service: AgentService
    Checks: list[HealthCheck]
