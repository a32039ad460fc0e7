"""Connect's answers (CA, intentions, config entries, discovery chains), named after Consul's Go ``api`` structs.

Each class is a :class:`~typing.TypedDict`: the JSON object Consul sends, as
the plain ``dict`` consulate returns. A field in the ``...Optional`` base of
a class may be missing; the comment on a field Consul 1.8.7 never sends
names where it comes from.
"""

from __future__ import annotations

from typing import Any, TypedDict

__all__ = [
    'CAConfig',
    'CARoot',
    'CARootList',
    'CompiledDiscoveryChain',
    'ConfigEntry',
    'Intention',
    'LeafCert',
]


class CARoot(TypedDict):
    """One Connect CA root certificate (Go ``api.CARoot``)."""

    ID: str
    Name: str
    SerialNumber: int
    SigningKeyID: str
    ExternalTrustDomain: str
    NotBefore: str
    NotAfter: str
    RootCert: str
    IntermediateCerts: list[str] | None
    Active: bool
    PrivateKeyType: str
    PrivateKeyBits: int
    CreateIndex: int
    ModifyIndex: int


class CARootList(TypedDict):
    """The Connect CA roots and the trust domain (Go ``api.CARootList``)."""

    ActiveRootID: str
    TrustDomain: str
    Roots: list[CARoot] | None


class CAConfig(TypedDict):
    """The Connect CA provider's configuration (Go ``api.CAConfig``)."""

    Provider: str
    Config: dict[str, Any]
    State: dict[str, str] | None
    ForceWithoutCrossSigning: bool
    CreateIndex: int
    ModifyIndex: int


class _LeafCertOptional(TypedDict, total=False):
    Agent: str  # Go api.LeafCert (Consul 1.11+)
    AgentURI: str  # Go api.LeafCert (Consul 1.11+)
    Kind: str  # Go api.LeafCert (Consul 1.11+)
    Namespace: str  # Consul Enterprise (Go api.LeafCert)
    Partition: str  # Consul Enterprise 1.11+ (Go api.LeafCert)


class LeafCert(_LeafCertOptional):
    """A service's Connect leaf certificate (Go ``api.LeafCert``)."""

    SerialNumber: str
    CertPEM: str
    PrivateKeyPEM: str
    Service: str
    ServiceURI: str
    ValidAfter: str
    ValidBefore: str
    CreateIndex: int
    ModifyIndex: int


class _IntentionOptional(TypedDict, total=False):
    SourcePeer: str  # Go api.Intention (Consul 1.14+)
    SourcePartition: str  # Consul Enterprise 1.11+ (Go api.Intention)
    DestinationPartition: str  # Consul Enterprise 1.11+ (Go api.Intention)
    SourceSamenessGroup: str  # Go api.Intention (Consul 1.16+)
    Permissions: list[dict[str, Any]] | None  # Go api.Intention (Consul 1.9+)
    JWT: dict[str, Any] | None  # Go api.Intention (Consul 1.16+)
    LegacyID: str  # Go api.Intention (Consul 1.9+)
    LegacyMeta: dict[str, str] | None  # Go api.Intention (Consul 1.9+)
    LegacyCreateTime: str  # Go api.Intention (Consul 1.9+)
    LegacyUpdateTime: str  # Go api.Intention (Consul 1.9+)
    DefaultAddr: str  # sent by Consul 1.8.7 (unused, removed in 1.9); Go api.Intention
    DefaultPort: int  # sent by Consul 1.8.7 (unused, removed in 1.9); Go api.Intention


class Intention(_IntentionOptional):
    """A Connect intention: may ``Source`` call ``Destination`` (Go ``api.Intention``)."""

    ID: str
    SourceNS: str
    SourceName: str
    DestinationNS: str
    DestinationName: str
    SourceType: str
    Action: str
    Description: str
    Meta: dict[str, str] | None
    Precedence: int
    Hash: str | None
    CreatedAt: str
    UpdatedAt: str
    CreateIndex: int
    ModifyIndex: int


class _ConfigEntryOptional(TypedDict, total=False):
    Namespace: str  # Consul Enterprise (Go api.ConfigEntry)
    Partition: str  # Consul Enterprise 1.11+ (Go api.ConfigEntry)
    Meta: dict[str, str] | None  # Go api.ConfigEntry (Consul 1.9+)


class ConfigEntry(_ConfigEntryOptional):
    """A configuration entry of any kind (Go's ``api.ConfigEntry`` interface).

    ``Kind`` and ``Name`` are always there; the rest of the fields depend on
    the kind (``service-defaults``, ``proxy-defaults``, ``service-router``,
    ...) and are not listed: a config entry is the document its author
    wrote, in Consul's ``CamelCase``.
    """

    Kind: str
    Name: str
    CreateIndex: int
    ModifyIndex: int


class _CompiledDiscoveryChainOptional(TypedDict, total=False):
    Partition: str  # Consul Enterprise 1.11+ (Go api.CompiledDiscoveryChain)
    CustomizationHash: str  # Go api.CompiledDiscoveryChain (omitempty: overridden chains)
    Default: bool  # Go api.CompiledDiscoveryChain (Consul 1.10+)
    ServiceMeta: dict[str, str] | None  # Go api.CompiledDiscoveryChain (Consul 1.10+)
    AutoVirtualIPs: list[str] | None  # Go api.CompiledDiscoveryChain (Consul 1.13+)
    ManualVirtualIPs: list[str] | None  # Go api.CompiledDiscoveryChain (Consul 1.13+)


class CompiledDiscoveryChain(_CompiledDiscoveryChainOptional):
    """A service's compiled discovery chain (Go ``api.CompiledDiscoveryChain``)."""

    ServiceName: str
    Namespace: str
    Datacenter: str
    Protocol: str
    StartNode: str
    Nodes: dict[str, dict[str, Any]] | None
    Targets: dict[str, dict[str, Any]] | None
