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


class _CARootOptional(TypedDict, total=False):
    SerialNumber: int
    SigningKeyID: str
    ExternalTrustDomain: str
    NotBefore: str
    NotAfter: str
    IntermediateCerts: list[str] | None
    PrivateKeyType: str
    PrivateKeyBits: int
    RotatedOutAt: str
    CreateIndex: int
    ModifyIndex: int


class CARoot(_CARootOptional):
    """One Connect CA root certificate (Go ``api.CARoot``)."""

    ID: str
    Name: str
    RootCert: str
    Active: bool


class CARootList(TypedDict):
    """The Connect CA roots and the trust domain (Go ``api.CARootList``)."""

    ActiveRootID: str
    TrustDomain: str
    Roots: list[CARoot] | None


class _CAConfigOptional(TypedDict, total=False):
    State: dict[str, str] | None  # Go api.CAConfig (Consul 1.9+)
    ForceWithoutCrossSigning: bool


class CAConfig(_CAConfigOptional):
    """The Connect CA provider's configuration (Go ``api.CAConfig``)."""

    Provider: str
    Config: dict[str, Any]
    CreateIndex: int
    ModifyIndex: int


class _LeafCertOptional(TypedDict, total=False):
    Agent: str  # Go api.LeafCert (Consul 1.11+)
    AgentURI: str  # Go api.LeafCert (Consul 1.11+)
    Kind: str  # Go api.LeafCert (Consul 1.11+)
    Namespace: str  # Consul Enterprise (Go api.LeafCert)
    Partition: str  # Consul Enterprise 1.11+ (Go api.LeafCert)
    CreateIndex: int
    ModifyIndex: int


class LeafCert(_LeafCertOptional):
    """A service's Connect leaf certificate (Go ``api.LeafCert``)."""

    SerialNumber: str
    CertPEM: str
    PrivateKeyPEM: str
    Service: str
    ServiceURI: str
    ValidAfter: str
    ValidBefore: str


class _IntentionOptional(TypedDict, total=False):
    ID: str
    Description: str
    SourcePeer: str  # Go api.Intention (Consul 1.14+)
    SourcePartition: str  # Consul Enterprise 1.11+ (Go api.Intention)
    DestinationPartition: str  # Consul Enterprise 1.11+ (Go api.Intention)
    SourceSamenessGroup: str  # Go api.Intention (Consul 1.16+)
    Action: str
    Permissions: list[dict[str, Any]] | None  # Go api.Intention (Consul 1.9+)
    JWT: dict[str, Any] | None  # Go api.Intention (Consul 1.16+)
    Meta: dict[str, str] | None
    LegacyID: str  # Go api.Intention (Consul 1.9+)
    LegacyMeta: dict[str, str] | None  # Go api.Intention (Consul 1.9+)
    LegacyCreateTime: str  # Go api.Intention (Consul 1.9+)
    LegacyUpdateTime: str  # Go api.Intention (Consul 1.9+)
    CreatedAt: str
    UpdatedAt: str
    Hash: str | None
    CreateIndex: int
    ModifyIndex: int


class Intention(_IntentionOptional):
    """A Connect intention: may ``Source`` call ``Destination`` (Go ``api.Intention``)."""

    SourceNS: str
    SourceName: str
    DestinationNS: str
    DestinationName: str
    SourceType: str
    Precedence: int


class _ConfigEntryOptional(TypedDict, total=False):
    Namespace: str  # Consul Enterprise (Go api.ConfigEntry)
    Partition: str  # Consul Enterprise 1.11+ (Go api.ConfigEntry)
    Meta: dict[str, str] | None  # Go api.ConfigEntry (Consul 1.9+)
    CreateIndex: int
    ModifyIndex: int


class ConfigEntry(_ConfigEntryOptional):
    """A configuration entry of any kind (Go's ``api.ConfigEntry`` interface).

    ``Kind`` and ``Name`` are always there; the rest of the fields depend on
    the kind (``service-defaults``, ``proxy-defaults``, ``service-router``,
    ...) and are not listed: a config entry is the document its author
    wrote, in Consul's ``CamelCase``.
    """

    Kind: str
    Name: str


class CompiledDiscoveryChain(TypedDict, total=False):
    """A service's compiled discovery chain (Go ``api.CompiledDiscoveryChain``)."""

    ServiceName: str
    Namespace: str
    Partition: str  # Consul Enterprise 1.11+ (Go api.CompiledDiscoveryChain)
    Datacenter: str
    CustomizationHash: str
    Default: bool  # Go api.CompiledDiscoveryChain (Consul 1.10+)
    Protocol: str
    ServiceMeta: dict[str, str] | None  # Go api.CompiledDiscoveryChain (Consul 1.10+)
    StartNode: str
    Nodes: dict[str, dict[str, Any]] | None
    Targets: dict[str, dict[str, Any]] | None
    AutoVirtualIPs: list[str] | None  # Go api.CompiledDiscoveryChain (Consul 1.13+)
    ManualVirtualIPs: list[str] | None  # Go api.CompiledDiscoveryChain (Consul 1.13+)
