"""The operator endpoints' answers (Raft, autopilot, keyring, areas, usage), named after Consul's Go ``api`` structs.

Each class is a :class:`~typing.TypedDict`: the JSON object Consul sends, as
the plain ``dict`` consulate returns. A field in the ``...Optional`` base of
a class may be missing; the comment on a field Consul 1.8.7 never sends
names where it comes from. The Enterprise-only answers are ``total=False``
throughout: no agent these shapes are checked against sends them.
"""

from __future__ import annotations

from typing import Any, TypedDict

__all__ = [
    'Area',
    'AreaJoinResponse',
    'AutopilotConfiguration',
    'AutopilotState',
    'FeatureGate',
    'FeatureGateUpdate',
    'KeyringResponse',
    'LicenseReply',
    'OperatorHealthReply',
    'RaftConfiguration',
    'RaftServer',
    'SerfMember',
    'ServerHealth',
    'Usage',
    'UtilizationBundle',
]


class _RaftServerOptional(TypedDict, total=False):
    LastIndex: int  # Go api.RaftServer (Consul 1.15+)


class RaftServer(_RaftServerOptional):
    """A server of the Raft configuration (Go ``api.RaftServer``)."""

    ID: str
    Node: str
    Address: str
    Leader: bool
    Voter: bool
    ProtocolVersion: str


class RaftConfiguration(TypedDict):
    """The Raft peers (Go ``api.RaftConfiguration``)."""

    Servers: list[RaftServer]
    Index: int


class AutopilotConfiguration(TypedDict):
    """Autopilot's settings (Go ``api.AutopilotConfiguration``); durations as Go strings."""

    CleanupDeadServers: bool
    LastContactThreshold: str
    MaxTrailingLogs: int
    ServerStabilizationTime: str
    RedundancyZoneTag: str
    DisableUpgradeMigration: bool
    UpgradeVersionTag: str
    MinQuorum: int
    CreateIndex: int
    ModifyIndex: int


class ServerHealth(TypedDict):
    """One server's health as autopilot sees it (Go ``api.ServerHealth``)."""

    ID: str
    Name: str
    Address: str
    SerfStatus: str
    Version: str
    Leader: bool
    LastContact: str
    LastTerm: int
    LastIndex: int
    Healthy: bool
    Voter: bool
    StableSince: str


class OperatorHealthReply(TypedDict):
    """The servers' health (Go ``api.OperatorHealthReply``)."""

    Healthy: bool
    FailureTolerance: int
    Servers: list[ServerHealth]


class AutopilotState(TypedDict, total=False):
    """Autopilot's full state (Go ``api.AutopilotState``, Consul 1.10+)."""

    Healthy: bool
    FailureTolerance: int
    OptimisticFailureTolerance: int
    Servers: dict[str, dict[str, Any]]
    Leader: str
    Voters: list[str]
    ReadReplicas: list[str] | None
    RedundancyZones: dict[str, dict[str, Any]] | None
    Upgrade: dict[str, Any] | None


class _KeyringResponseOptional(TypedDict, total=False):
    Segment: str
    Partition: str  # Consul Enterprise 1.11+ (Go api.KeyringResponse)
    PrimaryKeys: dict[str, int]  # Go api.KeyringResponse (Consul 1.13+)


class KeyringResponse(_KeyringResponseOptional):
    """The gossip keys of one pool (Go ``api.KeyringResponse``)."""

    WAN: bool
    Datacenter: str
    Keys: dict[str, int]
    NumNodes: int


class Area(TypedDict, total=False):
    """A network area (Go ``api.Area``): Consul Enterprise."""

    ID: str
    PeerDatacenter: str
    RetryJoin: list[str] | None
    UseTLS: bool


class AreaJoinResponse(TypedDict, total=False):
    """How joining one address to an area went (Go ``api.AreaJoinResponse``): Consul Enterprise."""

    Address: str
    Joined: bool
    Error: str


class SerfMember(TypedDict, total=False):
    """A member of a network area (Go ``api.SerfMember``): Consul Enterprise."""

    ID: str
    Name: str
    Addr: str
    Port: int
    Datacenter: str
    Role: str
    Build: str
    Protocol: int
    Status: str
    RTT: int


class Usage(TypedDict, total=False):
    """Service and node counts (Go ``api.Usage``, Consul 1.15+)."""

    Usage: dict[str, dict[str, Any]]
    Index: int
    LastContact: int
    KnownLeader: bool
    ConsistencyLevel: str
    NotModified: bool
    ResultsFilteredByACLs: bool


class LicenseReply(TypedDict, total=False):
    """The Enterprise license's details (Go ``api.LicenseReply``): Consul Enterprise."""

    Valid: bool
    License: dict[str, Any]
    Warnings: list[str] | None


class UtilizationBundle(TypedDict, total=False):
    """A license utilization bundle (``GET /v1/operator/utilization``): Consul Enterprise 1.22+."""

    Bundle: str
    Message: str


class FeatureGate(TypedDict, total=False):
    """A feature gate and its state (``/v1/operator/feature``): Consul 1.22+."""

    Name: str
    Stage: str
    MinVersion: str
    DefaultEnabled: bool
    DesiredEnabled: bool
    EffectiveEnabled: bool
    Eligible: bool
    Source: str
    Reason: str
    PolicyIndex: int
    StatusIndex: int


class FeatureGateUpdate(TypedDict, total=False):
    """Consul's answer to a feature gate change: whether it applied, and the gate now (Consul 1.22+)."""

    Applied: bool
    Feature: FeatureGate
