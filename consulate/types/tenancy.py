"""Namespaces, admin partitions, peerings and exported services, named after Consul's Go ``api`` structs.

These routes are Consul Enterprise's or newer than Consul 1.8.7: every
class is ``total=False`` but for its name, as the Go ``api`` structs and
Consul's API docs describe them.
"""

from __future__ import annotations

from typing import Any, TypedDict

__all__ = [
    'ExportedService',
    'ImportedService',
    'Namespace',
    'Partition',
    'Peering',
]


class _NamespaceOptional(TypedDict, total=False):
    Description: str
    ACLs: dict[str, Any] | None
    Meta: dict[str, str] | None
    Partition: str
    DeletedAt: str
    CreateIndex: int
    ModifyIndex: int


class Namespace(_NamespaceOptional):
    """A namespace (Go ``api.Namespace``): Consul Enterprise 1.7+."""

    Name: str


class _PartitionOptional(TypedDict, total=False):
    Description: str
    DeletedAt: str
    CreateIndex: int
    ModifyIndex: int


class Partition(_PartitionOptional):
    """An admin partition (Go ``api.Partition``): Consul Enterprise 1.11+."""

    Name: str


class _PeeringOptional(TypedDict, total=False):
    ID: str
    Partition: str
    DeletedAt: str
    Meta: dict[str, str] | None
    State: str
    PeerID: str
    PeerCAPems: list[str] | None
    PeerServerName: str
    PeerServerAddresses: list[str] | None
    StreamStatus: dict[str, Any] | None
    Remote: dict[str, Any] | None
    CreateIndex: int
    ModifyIndex: int


class Peering(_PeeringOptional):
    """A cluster peering (Go ``api.Peering``): Consul 1.14+."""

    Name: str


class ExportedService(TypedDict, total=False):
    """A service exported to peers or partitions (Go ``api.ResolvedExportedService``, Consul 1.17+)."""

    Service: str
    Partition: str
    Namespace: str
    Consumers: dict[str, Any]


class ImportedService(TypedDict, total=False):
    """A service imported from a peer or partition (Go ``api.ImportedService``, Consul 1.22+)."""

    Service: str
    Partition: str
    Namespace: str
    SourcePartition: str
    SourcePeer: str
