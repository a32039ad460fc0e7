"""Namespaces (``/v1/namespace``, ``/v1/namespaces``): Consul Enterprise 1.7+.

On Consul OSS every method raises :class:`~consulate.exceptions.UnsupportedEndpoint`.
To work *inside* a namespace, give the client (or a call) a ``namespace``
instead: ``consulate.Consul(namespace='team-a')``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, cast

from consulate.api import shapes
from consulate.api.base import Endpoint

if TYPE_CHECKING:
    from consulate.types import Namespace

__all__ = ['Namespaces', 'namespace_definition']

#: The Consul version (and edition) that has these routes, named by UnsupportedEndpoint.
SINCE = 'Consul Enterprise 1.7'


class Namespaces(Endpoint):
    """Create, read, update, delete and list namespaces.

    Namespaces are replicated from the primary datacenter, so the client's
    ``datacenter`` is not sent. ``partition`` (Consul Enterprise 1.11+) is
    sent only when given.
    """

    PREFIX = 'namespace'
    ACCEPTS_DC = False

    def create(self, name: str, *, partition: str | None = None, **fields: Any) -> Namespace:
        """Create a namespace and return it (``PUT /v1/namespace``).

        :param fields: the keyword arguments of :func:`namespace_definition`
            (``description``, ``policy_defaults``, ``role_defaults``, ``meta``)
        """
        body = namespace_definition(name, **fields)
        response = self._request_since(SINCE, 'PUT', self._url(), {'partition': partition}, body)
        return cast('Namespace', shapes.json_object(response, 'Name'))

    def get(
        self,
        name: str,
        *,
        partition: str | None = None,
        index: int | None = None,
        wait: str | float | None = None,
        consistency: str | None = None,
    ) -> Namespace:
        """Return one namespace (``GET /v1/namespace/:name``).

        :raises consulate.exceptions.NotFound: there is no such namespace
        """
        kwargs = {'index': index, 'wait': wait, 'consistency': consistency}
        params = {'partition': partition}
        return cast(
            'Namespace',
            shapes.json_object(
                self._request_since(SINCE, 'GET', self._url(name), params, **kwargs)
            ),
        )

    def update(self, name: str, *, partition: str | None = None, **fields: Any) -> Namespace:
        """Replace a namespace's description, ACL defaults and meta (``PUT /v1/namespace/:name``).

        Takes the arguments of :meth:`create`; what is left out is reset.
        """
        body = namespace_definition(name, **fields)
        params = {'partition': partition}
        response = self._request_since(SINCE, 'PUT', self._url(name), params, body)
        return cast('Namespace', shapes.json_object(response, 'Name'))

    def delete(self, name: str, *, partition: str | None = None) -> None:
        """Delete a namespace and everything in it (``DELETE /v1/namespace/:name``).

        Consul marks it deleted (``DeletedAt``) and removes its content in the background.
        """
        shapes.acknowledged(
            self._request_since(SINCE, 'DELETE', self._url(name), {'partition': partition})
        )

    def list(
        self,
        *,
        partition: str | None = None,
        index: int | None = None,
        wait: str | float | None = None,
        consistency: str | None = None,
    ) -> list[Namespace]:
        """Return every namespace the token may see (``GET /v1/namespaces``)."""
        kwargs = {'index': index, 'wait': wait, 'consistency': consistency}
        url = f'{self._api_uri}/namespaces'
        response = self._request_since(SINCE, 'GET', url, {'partition': partition}, **kwargs)
        return shapes.json_list(response)


def namespace_definition(
    name: str,
    *,
    description: str | None = None,
    policy_defaults: Iterable[Mapping[str, str]] | None = None,
    role_defaults: Iterable[Mapping[str, str]] | None = None,
    meta: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Build the JSON body of a namespace.

    :param policy_defaults: policies (``{'ID': ...}`` or ``{'Name': ...}``)
        linked to every token created in the namespace
    :param role_defaults: roles linked to every token created in the namespace
    :param meta: string metadata
    """
    body: dict[str, Any] = {'Name': name}
    if description is not None:
        body['Description'] = description
    acls: dict[str, Any] = {}
    if policy_defaults is not None:
        acls['PolicyDefaults'] = [dict(item) for item in policy_defaults]
    if role_defaults is not None:
        acls['RoleDefaults'] = [dict(item) for item in role_defaults]
    if acls:
        body['ACLs'] = acls
    if meta is not None:
        body['Meta'] = dict(meta)
    return body
