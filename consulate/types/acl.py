"""ACL tokens, policies, roles, auth methods and binding rules, named after Consul's Go ``api`` structs.

Each class is a :class:`~typing.TypedDict`: the JSON object Consul sends, as
the plain ``dict`` consulate returns. A field in the ``...Optional`` base of
a class may be missing; the comment on a field Consul 1.8.7 never sends
names where it comes from.
"""

from __future__ import annotations

from typing import Any, TypedDict

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
]


class ACLLink(TypedDict):
    """A link to a policy or a role by ID and name (Go ``api.ACLLink``)."""

    ID: str
    Name: str


class _ACLServiceIdentityOptional(TypedDict, total=False):
    Datacenters: list[str] | None


class ACLServiceIdentity(_ACLServiceIdentityOptional):
    """A service identity of a token or role (Go ``api.ACLServiceIdentity``)."""

    ServiceName: str


class ACLNodeIdentity(TypedDict):
    """A node identity of a token or role (Go ``api.ACLNodeIdentity``, Consul 1.8.1+)."""

    NodeName: str
    Datacenter: str


class ACLTemplatedPolicy(TypedDict, total=False):
    """A templated policy of a token or role (Go ``api.ACLTemplatedPolicy``, Consul 1.17+)."""

    TemplateName: str
    TemplateVariables: dict[str, Any] | None
    Datacenters: list[str] | None


class _ACLTokenBase(TypedDict, total=False):
    ID: str  # sent by Consul 1.8.7 in the answer to a bootstrap (the legacy API's name of SecretID)
    Policies: list[ACLLink] | None
    Roles: list[ACLLink] | None
    ServiceIdentities: list[ACLServiceIdentity] | None
    NodeIdentities: list[ACLNodeIdentity] | None
    TemplatedPolicies: list[ACLTemplatedPolicy] | None  # Go api.ACLToken (Consul 1.17+)
    AuthMethod: str
    AuthMethodNamespace: str  # Consul Enterprise (Go api.ACLToken)
    ExpirationTTL: int  # Go api.ACLToken: nanoseconds; Consul 1.8.7 does not send it back
    ExpirationTime: str
    Legacy: bool  # Go api.ACLToken: legacy tokens only (pre-1.4 ACLs)
    Rules: str  # Go api.ACLToken: legacy tokens only (pre-1.4 ACLs)
    Namespace: str  # Consul Enterprise (Go api.ACLToken)
    Partition: str  # Consul Enterprise 1.11+ (Go api.ACLToken)


class ACLToken(_ACLTokenBase):
    """An ACL token (Go ``api.ACLToken``).

    ``SecretID`` is the token itself; ``AccessorID`` names it in the API.
    """

    AccessorID: str
    SecretID: str
    Description: str
    Local: bool
    CreateTime: str
    Hash: str
    CreateIndex: int
    ModifyIndex: int


class _ACLTokenListEntryOptional(_ACLTokenBase, total=False):
    SecretID: str  # Go api.ACLTokenListEntry (filled by Consul 1.9+; 1.8.7 leaves it out)


class ACLTokenListEntry(_ACLTokenListEntryOptional):
    """A token as :meth:`~consulate.api.acl.tokens.Tokens.list_tokens` lists it (Go ``api.ACLTokenListEntry``)."""

    AccessorID: str
    Description: str
    Local: bool
    CreateTime: str
    Hash: str
    CreateIndex: int
    ModifyIndex: int


class _ACLPolicyOptional(TypedDict, total=False):
    Datacenters: list[str] | None
    Namespace: str  # Consul Enterprise (Go api.ACLPolicy)
    Partition: str  # Consul Enterprise 1.11+ (Go api.ACLPolicy)


class ACLPolicy(_ACLPolicyOptional):
    """An ACL policy (Go ``api.ACLPolicy``)."""

    ID: str
    Name: str
    Description: str
    Rules: str  # Go api.ACLTokenListEntry: legacy tokens only
    Hash: str
    CreateIndex: int
    ModifyIndex: int


class ACLPolicyListEntry(_ACLPolicyOptional):
    """A policy as :meth:`~consulate.api.acl.policies.Policies.list_policies` lists it, without rules (Go ``api.ACLPolicyListEntry``)."""

    ID: str
    Name: str
    Description: str
    Hash: str
    CreateIndex: int
    ModifyIndex: int


class _ACLRoleOptional(TypedDict, total=False):
    Policies: list[ACLLink] | None
    ServiceIdentities: list[ACLServiceIdentity] | None
    NodeIdentities: list[ACLNodeIdentity] | None
    TemplatedPolicies: list[ACLTemplatedPolicy] | None  # Go api.ACLRole (Consul 1.17+)
    Namespace: str  # Consul Enterprise (Go api.ACLRole)
    Partition: str  # Consul Enterprise 1.11+ (Go api.ACLRole)


class ACLRole(_ACLRoleOptional):
    """An ACL role (Go ``api.ACLRole``, Consul 1.5+)."""

    ID: str
    Name: str
    Description: str
    Hash: str
    CreateIndex: int
    ModifyIndex: int


class _ACLAuthMethodOptional(TypedDict, total=False):
    DisplayName: str
    Description: str
    MaxTokenTTL: str
    TokenLocality: str  # Go api.ACLAuthMethod (omitempty: only when set)
    NamespaceRules: list[dict[str, Any]] | None  # Consul Enterprise (Go api.ACLAuthMethod)
    Namespace: str  # Consul Enterprise (Go api.ACLAuthMethod)
    Partition: str  # Consul Enterprise 1.11+ (Go api.ACLAuthMethod)


class ACLAuthMethod(_ACLAuthMethodOptional):
    """An auth method (Go ``api.ACLAuthMethod``, Consul 1.5+)."""

    Name: str
    Type: str
    Config: dict[str, Any] | None
    CreateIndex: int
    ModifyIndex: int


class ACLAuthMethodListEntry(_ACLAuthMethodOptional):
    """An auth method as it is listed, without its config (Go ``api.ACLAuthMethodListEntry``)."""

    Name: str
    Type: str
    CreateIndex: int
    ModifyIndex: int


class _ACLBindingRuleOptional(TypedDict, total=False):
    BindVars: dict[str, Any] | None  # Go api.ACLBindingRule (Consul 1.20+)
    Namespace: str  # Consul Enterprise (Go api.ACLBindingRule)
    Partition: str  # Consul Enterprise 1.11+ (Go api.ACLBindingRule)


class ACLBindingRule(_ACLBindingRuleOptional):
    """A binding rule of an auth method (Go ``api.ACLBindingRule``, Consul 1.5+)."""

    ID: str
    Description: str
    AuthMethod: str
    Selector: str
    BindType: str
    BindName: str
    CreateIndex: int
    ModifyIndex: int


class _ACLReplicationStatusOptional(TypedDict, total=False):
    LastErrorMessage: str  # Go api.ACLReplicationStatus (Consul 1.10+)


class ACLReplicationStatus(_ACLReplicationStatusOptional):
    """The state of ACL replication in this datacenter (Go ``api.ACLReplicationStatus``)."""

    Enabled: bool
    Running: bool
    SourceDatacenter: str
    ReplicationType: str
    ReplicatedIndex: int
    ReplicatedRoleIndex: int
    ReplicatedTokenIndex: int
    LastSuccess: str
    LastError: str


class ACLEntry(TypedDict):
    """A legacy ACL token (Go ``api.ACLEntry``, the ACL system before Consul 1.4)."""

    ID: str
    Name: str
    Type: str
    Rules: str
    CreateIndex: int
    ModifyIndex: int


class ACLTemplatedPolicyResponse(TypedDict, total=False):
    """A templated policy (Go ``api.ACLTemplatedPolicyResponse``, Consul 1.17+)."""

    TemplateName: str
    Schema: str
    Template: str
    Description: str
