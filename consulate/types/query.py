"""Prepared queries (``/v1/query``), named after Consul's Go ``api`` structs."""

from __future__ import annotations

from typing import Any, TypedDict

from consulate.types.catalog import ServiceEntry

__all__ = [
    'PreparedQueryDefinition',
    'PreparedQueryExecuteResponse',
    'PreparedQueryExplainResponse',
    'QueryDNSOptions',
    'ServiceQuery',
]


class QueryDNSOptions(TypedDict, total=False):
    """A prepared query's DNS settings (Go ``api.QueryDNSOptions``)."""

    TTL: str


class _ServiceQueryOptional(TypedDict, total=False):
    Namespace: str  # Consul Enterprise (Go api.ServiceQuery)
    Partition: str  # Consul Enterprise 1.11+ (Go api.ServiceQuery)
    Peer: str  # Go api.ServiceQuery (Consul 1.14+)
    SamenessGroup: str  # Go api.ServiceQuery (Consul 1.16+)
    Failover: dict[str, Any]
    IgnoreCheckIDs: list[str] | None
    OnlyPassing: bool
    Near: str
    Tags: list[str] | None
    NodeMeta: dict[str, str] | None
    ServiceMeta: dict[str, str] | None
    Connect: bool


class ServiceQuery(_ServiceQueryOptional):
    """What a prepared query looks up (Go ``api.ServiceQuery``)."""

    Service: str


class _PreparedQueryDefinitionOptional(TypedDict, total=False):
    Session: str
    Token: str
    Template: dict[str, Any]
    DNS: QueryDNSOptions
    CreateIndex: int
    ModifyIndex: int


class PreparedQueryDefinition(_PreparedQueryDefinitionOptional):
    """A prepared query (Go ``api.PreparedQueryDefinition``)."""

    ID: str
    Name: str
    Service: ServiceQuery


class _PreparedQueryExecuteResponseOptional(TypedDict, total=False):
    Namespace: str  # Consul Enterprise (Go api.PreparedQueryExecuteResponse)
    Partition: str  # Consul Enterprise 1.11+ (Go api.PreparedQueryExecuteResponse)
    PeerName: str  # Go api.PreparedQueryExecuteResponse (Consul 1.14+)
    DNS: QueryDNSOptions
    Index: int
    LastContact: int
    KnownLeader: bool
    ConsistencyLevel: str
    NotModified: bool
    Backend: int
    ResultsFilteredByACLs: bool
    QueryMeta: dict[str, Any]


class PreparedQueryExecuteResponse(_PreparedQueryExecuteResponseOptional):
    """The answer to a prepared query (Go ``api.PreparedQueryExecuteResponse``)."""

    Service: str
    Nodes: list[ServiceEntry] | None
    Datacenter: str
    Failovers: int


class PreparedQueryExplainResponse(TypedDict):
    """The query a name or template resolves to (Consul's ``PreparedQueryExplainResponse``)."""

    Query: PreparedQueryDefinition
