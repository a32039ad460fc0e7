"""Prepared queries (``/v1/query``), named after Consul's Go ``api`` structs."""

from __future__ import annotations

from typing import Any, TypedDict

from consulate.types.catalog import ServiceEntry

__all__ = [
    'PreparedQueryDefinition',
    'PreparedQueryExecuteResponse',
    'QueryDNSOptions',
    'ServiceQuery',
]


class QueryDNSOptions(TypedDict):
    """A prepared query's DNS settings (Go ``api.QueryDNSOptions``)."""

    TTL: str


class _ServiceQueryOptional(TypedDict, total=False):
    Namespace: str  # Consul Enterprise (Go api.ServiceQuery)
    Partition: str  # Consul Enterprise 1.11+ (Go api.ServiceQuery)
    Peer: str  # Go api.ServiceQuery (Consul 1.14+)
    SamenessGroup: str  # Go api.ServiceQuery (Consul 1.16+)


class ServiceQuery(_ServiceQueryOptional):
    """What a prepared query looks up (Go ``api.ServiceQuery``)."""

    Service: str
    Failover: dict[str, Any]
    IgnoreCheckIDs: list[str] | None
    OnlyPassing: bool
    Near: str
    Tags: list[str] | None
    NodeMeta: dict[str, str] | None
    ServiceMeta: dict[str, str] | None
    Connect: bool


class PreparedQueryDefinition(TypedDict):
    """A prepared query (Go ``api.PreparedQueryDefinition``); what :meth:`~consulate.api.query.Query.explain` resolves a name to."""

    ID: str
    Name: str
    Session: str
    Token: str
    Service: ServiceQuery
    DNS: QueryDNSOptions
    Template: dict[str, Any]
    CreateIndex: int
    ModifyIndex: int


class _PreparedQueryExecuteResponseOptional(TypedDict, total=False):
    Namespace: str  # Consul Enterprise (Go api.PreparedQueryExecuteResponse)
    Partition: str  # Consul Enterprise 1.11+ (Go api.PreparedQueryExecuteResponse)
    PeerName: str  # Go api.PreparedQueryExecuteResponse (Consul 1.14+)
    NotModified: bool  # Consul's structs.QueryMeta (Consul 1.9+)
    Backend: int  # Consul's structs.QueryMeta (Consul 1.10+)
    ResultsFilteredByACLs: bool  # Consul's structs.QueryMeta (Consul 1.11+)


class PreparedQueryExecuteResponse(_PreparedQueryExecuteResponseOptional):
    """The answer to a prepared query (Go ``api.PreparedQueryExecuteResponse``)."""

    Service: str
    Nodes: list[ServiceEntry] | None
    DNS: QueryDNSOptions
    Datacenter: str
    Failovers: int
    Index: int  # the query's metadata (Go api.QueryMeta), sent in the body by Consul
    LastContact: int
    KnownLeader: bool
    ConsistencyLevel: str
