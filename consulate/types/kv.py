"""KV entries, transactions, sessions and events, named after Consul's Go ``api`` structs.

Each class is a :class:`~typing.TypedDict`: the JSON object Consul sends, as
the plain ``dict`` consulate returns, with the values consulate decodes
noted on each class. A field in the ``...Optional`` base of a class may be
missing; the comment on a field Consul 1.8.7 never sends names where it
comes from.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypedDict

from consulate.types.agent import AgentService, HealthCheck
from consulate.types.catalog import Node

__all__ = [
    'JSONValue',
    'KVPair',
    'KVValue',
    'ServiceCheck',
    'SessionEntry',
    'TxnError',
    'TxnCheckOp',
    'TxnKVOp',
    'TxnKVPair',
    'TxnNodeOp',
    'TxnOp',
    'TxnResult',
    'TxnServiceOp',
    'UserEvent',
]

if TYPE_CHECKING:
    from typing import TypeAlias

    JSONValue: TypeAlias = (
        bool | int | float | str | list['JSONValue'] | dict[str, 'JSONValue'] | None
    )
else:  # the same, not recursive: run-time checkers and Sphinx need no forward reference
    JSONValue = bool | int | float | str | list | dict | None
"""Any value JSON decodes to (recursive for type checkers)."""

#: A KV value as consulate reads it: UTF-8 text as ``str``, other bytes as
#: ``bytes``, empty as ``None``; with ``Consul(decode_json=True)`` stored JSON
#: decodes to any :data:`JSONValue`. Code that knows what it stored narrows it
#: with ``isinstance``.
KVValue = str | bytes | JSONValue


class _KVPairOptional(TypedDict, total=False):
    Session: str
    Namespace: str  # Consul Enterprise (Go api.KVPair)
    Partition: str  # Consul Enterprise 1.11+ (Go api.KVPair)


class KVPair(_KVPairOptional):
    """A KV entry (Go ``api.KVPair``), as :meth:`consul.kv.get_record()
    <consulate.api.kv.KV.get_record>` returns it.

    ``Value`` is decoded as the client decodes KV values (a :data:`KVValue`;
    the exact ``bytes`` with ``raw=True``). ``Session`` is there while a
    session holds the key.
    """

    Key: str
    Flags: int
    Value: KVValue
    LockIndex: int
    CreateIndex: int
    ModifyIndex: int


class _TxnKVPairOptional(TypedDict, total=False):
    Session: str
    Namespace: str  # Consul Enterprise (Go api.KVPair)
    Partition: str  # Consul Enterprise 1.11+ (Go api.KVPair)


class TxnKVPair(_TxnKVPairOptional):
    """A KV entry in a transaction's results: ``Value`` is the exact stored ``bytes`` (or ``None``)."""

    Key: str
    Flags: int
    Value: bytes | None
    LockIndex: int
    CreateIndex: int
    ModifyIndex: int


class TxnResult(TypedDict, total=False):
    """One result of a transaction (Go ``api.TxnResult``): exactly one of its fields is there."""

    KV: TxnKVPair
    Node: Node
    Service: AgentService
    Check: HealthCheck


class _TxnKVOpOptional(TypedDict, total=False):
    Value: str  # base64, as Consul takes it
    Flags: int
    Index: int
    Session: str
    Namespace: str  # Consul Enterprise (Go api.KVTxnOp)
    Partition: str  # Consul Enterprise 1.11+ (Go api.KVTxnOp)


class TxnKVOp(_TxnKVOpOptional):
    """A KV operation of a transaction (Go ``api.KVTxnOp``): ``Verb`` is ``set``, ``cas``, ``get``..."""

    Verb: str
    Key: str


class TxnNodeOp(TypedDict):
    """A catalog node operation of a transaction (Go ``api.NodeTxnOp``)."""

    Verb: str
    Node: dict[str, Any]


class TxnServiceOp(TypedDict):
    """A catalog service operation of a transaction (Go ``api.ServiceTxnOp``)."""

    Verb: str
    Node: str
    Service: dict[str, Any]


class TxnCheckOp(TypedDict):
    """A health check operation of a transaction (Go ``api.CheckTxnOp``)."""

    Verb: str
    Check: dict[str, Any]


class TxnOp(TypedDict, total=False):
    """One operation of a transaction (Go ``api.TxnOp``): exactly one of its fields is there.

    What the functions of :mod:`consulate.api.txn.operations` build.
    """

    KV: TxnKVOp
    Node: TxnNodeOp
    Service: TxnServiceOp
    Check: TxnCheckOp


class TxnError(TypedDict):
    """Why a transaction was rolled back, for one operation (Go ``api.TxnError``)."""

    OpIndex: int
    What: str


class ServiceCheck(TypedDict, total=False):
    """A service check a session is tied to (Go ``api.ServiceCheck``, Consul 1.7+)."""

    ID: str
    Namespace: str


class _SessionEntryOptional(TypedDict, total=False):
    Checks: list[str] | None  # Go api.SessionEntry (deprecated; 1.8.7 sends NodeChecks)
    Namespace: str  # Consul Enterprise (Go api.SessionEntry)
    Partition: str  # Consul Enterprise 1.11+ (Go api.SessionEntry)


class SessionEntry(_SessionEntryOptional):
    """A session (Go ``api.SessionEntry``); ``LockDelay`` is in nanoseconds."""

    ID: str
    Name: str
    Node: str
    LockDelay: int
    Behavior: str
    TTL: str
    NodeChecks: list[str] | None
    ServiceChecks: list[ServiceCheck] | None
    CreateIndex: int
    ModifyIndex: int


class UserEvent(TypedDict):
    """A user event (Go ``api.UserEvent``); consulate decodes ``Payload`` to ``bytes``."""

    ID: str
    Name: str
    Payload: bytes | None
    NodeFilter: str
    ServiceFilter: str
    TagFilter: str
    Version: int
    LTime: int
