"""ACL policy, role and token definitions, as models.

.. deprecated:: 1.0 use the keyword arguments of the ``consul.acl`` methods
"""

from __future__ import annotations

import uuid
from typing import Any, ClassVar

from consulate.models.base import Model

__all__ = ['ACL', 'ACLPolicy', 'ACLRole', 'ACLToken']


def _uuid(key: str) -> dict[str, Any]:
    return {'key': key, 'type': uuid.UUID, 'cast_from': str, 'cast_to': str}


def _links(value: list[Any], _model: Any) -> bool:
    return all(isinstance(link, dict) and ('ID' in link or 'Name' in link) for link in value)


def _identities(value: list[Any], _model: Any) -> bool:
    return all(isinstance(identity, dict) and 'ServiceName' in identity for identity in value)


class ACLPolicy(Model):
    """An ACL policy (Consul 1.4+)."""

    __attributes__: ClassVar[dict[str, dict[str, Any]]] = {
        'datacenters': {'key': 'Datacenters', 'type': list},
        'description': {'key': 'Description', 'type': str},
        'id': _uuid('ID'),
        'name': {'key': 'Name', 'type': str},
        'rules': {'key': 'Rules', 'type': str},
    }


class ACLRole(Model):
    """An ACL role (Consul 1.5+): links to policies and service identities."""

    __attributes__: ClassVar[dict[str, dict[str, Any]]] = {
        'description': {'key': 'Description', 'type': str},
        'name': {'key': 'Name', 'type': str, 'required': True},
        'policies': {'key': 'Policies', 'type': list, 'validator': _links},
        'service_identities': {
            'key': 'ServiceIdentities',
            'type': list,
            'validator': _identities,
        },
    }


class ACLToken(Model):
    """An ACL token (Consul 1.4+)."""

    __attributes__: ClassVar[dict[str, dict[str, Any]]] = {
        'accessor_id': _uuid('AccessorID'),
        'description': {'key': 'Description', 'type': str},
        'expiration_time': {'key': 'ExpirationTime', 'type': str},
        'expiration_ttl': {'key': 'ExpirationTTL', 'type': str},
        'local': {'key': 'Local', 'type': bool},
        'policies': {'key': 'Policies', 'type': list, 'validator': _links},
        'roles': {'key': 'Roles', 'type': list, 'validator': _links},
        'secret_id': _uuid('SecretID'),
        'service_identities': {
            'key': 'ServiceIdentities',
            'type': list,
            'validator': _identities,
        },
    }


class ACL(Model):
    """A legacy ACL token (before Consul 1.4)."""

    __attributes__: ClassVar[dict[str, dict[str, Any]]] = {
        'id': {'key': 'ID', 'type': str},
        'name': {'key': 'Name', 'type': str},
        'type': {'key': 'Type', 'type': str, 'enum': {'client', 'management'}, 'required': True},
        'rules': {'key': 'Rules', 'type': str},
    }
