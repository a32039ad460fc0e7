"""Helpers the ACL sub-resources share: request bodies and links to policies and roles."""

from __future__ import annotations

import copy
import threading
from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

from consulate import exceptions
from consulate.api.base import Endpoint

__all__ = [
    'Link',
    'body',
    'links',
    'service_identities',
    'templated_policies',
    'with_token',
]

#: A link to a policy or role: its name, or a dict such as ``{'ID': ...}`` / ``{'Name': ...}``.
Link = str | Mapping[str, Any]

_E = TypeVar('_E', bound=Endpoint)


def body(**fields: Any) -> dict[str, Any]:
    """A JSON body of the fields that are not None."""
    return {key: value for key, value in fields.items() if value is not None}


def links(values: Iterable[Link] | None, kind: str) -> list[dict[str, Any]] | None:
    """Policy or role links: a name becomes ``{'Name': name}``, a dict is sent as it is.

    :raises consulate.exceptions.ValidationError: a value is neither a str nor a dict,
        or a single str was passed instead of a list
    """
    if values is None:
        return None
    if isinstance(values, (str, bytes)):
        raise exceptions.ValidationError(f'{kind} must be a list of names or dicts, not a string')
    result: list[dict[str, Any]] = []
    for value in values:
        if isinstance(value, str):
            result.append({'Name': value})
        elif isinstance(value, Mapping):
            result.append(dict(value))
        else:
            raise exceptions.ValidationError(f'a {kind} link is a name or a dict, not {value!r}')
    return result


def templated_policies(values: Iterable[Link] | None) -> list[dict[str, Any]] | None:
    """Templated policies (Consul 1.17+): a template name becomes ``{'TemplateName': name}``.

    Dicts pass as they are, for example ``{'TemplateName': 'builtin/service',
    'TemplateVariables': {'Name': 'web'}, 'Datacenters': ['dc1']}``.
    """
    if values is None:
        return None
    if isinstance(values, (str, bytes)):
        raise exceptions.ValidationError('templated_policies must be a list, not a string')
    return [{'TemplateName': value} if isinstance(value, str) else dict(value) for value in values]


def service_identities(values: Iterable[Link] | None) -> list[dict[str, Any]] | None:
    """Service identities: a service name becomes ``{'ServiceName': name}``, dicts pass as they are."""
    if values is None:
        return None
    if isinstance(values, (str, bytes)):
        raise exceptions.ValidationError('service_identities must be a list, not a string')
    return [{'ServiceName': value} if isinstance(value, str) else dict(value) for value in values]


def with_token(endpoint: _E, token: str | None) -> _E:
    """A copy of ``endpoint`` that sends ``token`` instead of its own (the same endpoint if None)."""
    if token is None:
        return endpoint
    clone = copy.copy(endpoint)
    clone._token = token
    clone._local = threading.local()
    return clone
