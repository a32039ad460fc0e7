"""Connect, Consul's service mesh (``/v1/connect``): its certificate authority and intentions.

``consul.connect`` is a :class:`Connect`; ``consul.connect.ca`` is its
:class:`CA` (root certificates and the CA configuration) and
``consul.connect.intentions`` its :class:`Intentions` (which services may
talk to which)::

    consul.connect.ca.roots()['ActiveRootID']
    consul.connect.intentions.create('web', 'db', 'allow')
    consul.connect.intentions.check('web', 'db')          # True

Each of the three keeps its own :attr:`~consulate.api.base.Endpoint.last_response`
(``consul.connect.intentions.last_response.index`` after a blocking
``list``).
"""

from __future__ import annotations

import builtins
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, cast

from consulate import exceptions
from consulate.api import shapes
from consulate.api.base import Endpoint

if TYPE_CHECKING:
    from consulate.adapters import Response
    from consulate.types import CAConfig, CARootList, Intention

__all__ = ['ACTIONS', 'CA', 'Connect', 'Intentions']

#: What an intention does with a matching connection.
ACTIONS = ('allow', 'deny')

#: What a 1.8 agent says when asked for ``/connect/intentions/exact`` (it reads "exact" as an
#: ID); an L7 body fails to decode there first, as the ID route knows no ``Permissions``.
_EXACT_MISSING = ('UUID must be 36 characters', 'unknown field "Permissions"')


class CA(Endpoint):
    """The Connect certificate authority: its roots and its configuration."""

    PREFIX = 'connect/ca'

    def roots(
        self,
        *,
        index: int | None = None,
        wait: str | float | None = None,
        consistency: str | None = None,
    ) -> CARootList:
        """Return the trusted root certificates (``GET /v1/connect/ca/roots``).

        ``{'ActiveRootID', 'TrustDomain', 'Roots': [{'ID', 'RootCert', 'Active', ...}]}``.
        """
        url = self._url('roots')
        return cast(
            'CARootList', self._get_object(url, index=index, wait=wait, consistency=consistency)
        )

    def roots_pem(self) -> str:
        """Return the root certificates as one PEM bundle (``GET /v1/connect/ca/roots?pem=true``).

        Ready to be written to a CA file that applications trust.
        """
        response = self._get(self._url('roots'), {'pem': 'true'})
        pem = shapes.text(response)
        if pem.strip() and not pem.lstrip().startswith('-----BEGIN '):
            raise shapes.invalid(response, 'PEM certificates', 'text that is not PEM')
        return pem

    def configuration(self) -> CAConfig:
        """Return the CA provider and its settings (``GET /v1/connect/ca/configuration``)."""
        return cast('CAConfig', self._get_object(self._url('configuration')))

    def set_configuration(
        self,
        provider: str,
        config: Mapping[str, Any],
        *,
        force_without_cross_signing: bool = False,
    ) -> None:
        """Change the CA provider or its settings (``PUT /v1/connect/ca/configuration``).

        A new provider or a new root key starts a root rotation: the new root
        is cross-signed by the old one when the provider can do it.

        :param provider: ``'consul'``, ``'vault'``, ``'aws-pca'``...
        :param config: the provider's settings, as in ``configuration()['Config']``
        :param force_without_cross_signing: rotate even if the old provider
            cannot cross-sign the new root (connections may fail meanwhile)
        """
        body: dict[str, Any] = {'Provider': provider, 'Config': dict(config)}
        if force_without_cross_signing:
            body['ForceWithoutCrossSigning'] = True
        shapes.empty(self._put(self._url('configuration'), data=body))


class Intentions(Endpoint):
    """Intentions: the rules that allow or deny connections from one service to another.

    Services are named as they are registered; ``'*'`` matches any service.
    The ID-based methods (:meth:`create`, :meth:`get`, :meth:`update`,
    :meth:`delete`) work on every Consul with Connect and are deprecated
    since Consul 1.9, whose :meth:`get_exact`, :meth:`upsert` and
    :meth:`delete_exact` address an intention by its source and destination.
    """

    PREFIX = 'connect/intentions'

    def create(
        self,
        source: str,
        destination: str,
        action: str = 'allow',
        *,
        description: str | None = None,
        meta: Mapping[str, str] | None = None,
        source_type: str | None = None,
    ) -> str:
        """Create an intention and return its ID (``POST /v1/connect/intentions``).

        :param action: ``'allow'`` or ``'deny'``
        :param source_type: ``'consul'`` (the default), the only type Consul knows
        :raises consulate.exceptions.ServerError: an intention for the same
            source and destination exists (``duplicate intention found``)
        """
        body = _intention(source, destination, action, description, meta, source_type)
        return shapes.field(self._post(self._url(), data=body), 'ID')

    def get(self, intention_id: str) -> Intention:
        """Return one intention by ID (``GET /v1/connect/intentions/:id``).

        :raises consulate.exceptions.NotFound: there is no such intention
        """
        return cast('Intention', self._get_object(self._url(intention_id)))

    def list(
        self,
        *,
        filter: str | None = None,
        index: int | None = None,
        wait: str | float | None = None,
        consistency: str | None = None,
    ) -> list[Intention]:
        """Return every intention (``GET /v1/connect/intentions``).

        :param filter: a filter expression, such as ``'Action == "deny"'``
        """
        params = {'filter': filter}
        return self._get_list(self._url(), params, index=index, wait=wait, consistency=consistency)

    def update(
        self,
        intention_id: str,
        source: str,
        destination: str,
        action: str,
        *,
        description: str | None = None,
        meta: Mapping[str, str] | None = None,
        source_type: str | None = None,
    ) -> None:
        """Replace an intention by ID (``PUT /v1/connect/intentions/:id``).

        :raises consulate.exceptions.ServerError: there is no such intention
            (``Cannot modify non-existent intention``)
        """
        body = _intention(source, destination, action, description, meta, source_type)
        shapes.acknowledged(self._put(self._url(intention_id), data=body))

    def delete(self, intention_id: str) -> None:
        """Delete an intention by ID (``DELETE /v1/connect/intentions/:id``).

        :raises consulate.exceptions.ServerError: there is no such intention
            (``Cannot delete non-existent intention``)
        """
        shapes.acknowledged(self._delete(self._url(intention_id)))

    def check(self, source: str, destination: str, *, source_type: str | None = None) -> bool:
        """Return whether a connection from ``source`` to ``destination`` would be allowed.

        ``GET /v1/connect/intentions/check``: the answer of the most precise
        matching intention, else the default (allow without ACLs, else the
        ACL default policy).
        """
        params = {'source': source, 'destination': destination, 'source-type': source_type}
        return shapes.bool_field(self._get(self._url('check'), params), 'Allowed')

    def match(self, by: str, names: str | Iterable[str]) -> dict[str, builtins.list[Intention]]:
        """Return the intentions that match each name, most precise first.

        ``GET /v1/connect/intentions/match``. The dict has one list per name
        asked for, empty when nothing matches.

        :param by: ``'source'`` or ``'destination'``: which side ``names`` are on
        :raises consulate.exceptions.ValidationError: ``by`` is neither
        """
        if by not in ('source', 'destination'):
            raise exceptions.ValidationError(f'by must be "source" or "destination", not {by!r}')
        wanted = [names] if isinstance(names, str) else [str(name) for name in names]
        response = self._get(self._url('match'), {'by': by, 'name': wanted})
        found = shapes.json_object(response) if response.json() is not None else {}
        with self._shaping(response):
            return {name: _intention_list(found.get(name), response) for name in wanted}

    def get_exact(self, source: str, destination: str) -> Intention:
        """Return the intention from ``source`` to ``destination``: Consul 1.9+.

        ``GET /v1/connect/intentions/exact``.

        :raises consulate.exceptions.NotFound: there is no such intention
        :raises consulate.exceptions.UnsupportedEndpoint: the agent is older than Consul 1.9
        """
        return cast('Intention', shapes.json_object(self._exact('GET', source, destination)))

    def upsert(
        self,
        source: str,
        destination: str,
        action: str | None = None,
        *,
        permissions: Iterable[Mapping[str, Any]] | None = None,
        description: str | None = None,
        meta: Mapping[str, str] | None = None,
        source_type: str | None = None,
    ) -> None:
        """Create or replace the intention from ``source`` to ``destination``: Consul 1.9+.

        ``PUT /v1/connect/intentions/exact``. An intention has either an
        ``action`` (L4: every connection) or ``permissions`` (L7: rules over
        HTTP requests, for services whose protocol is HTTP-based).

        :param action: ``'allow'`` or ``'deny'``
        :param permissions: the L7 rules, tried in order, each a dict such as
            ``{'Action': 'allow', 'HTTP': {'PathPrefix': '/v1/', 'Methods': ['GET']}}``
        :raises consulate.exceptions.ValidationError: neither or both of
            ``action`` and ``permissions``
        :raises consulate.exceptions.UnsupportedEndpoint: the agent is older than Consul 1.9
        """
        if (action is None) == (permissions is None):
            raise exceptions.ValidationError(
                'an intention needs an action or permissions, not both'
            )
        if permissions is None:
            body = _intention(source, destination, str(action), description, meta, source_type)
        else:
            body = _intention(source, destination, 'allow', description, meta, source_type)
            del body['Action']
            body['Permissions'] = _permissions(permissions)
        shapes.acknowledged(self._exact('PUT', source, destination, body))

    def delete_exact(self, source: str, destination: str) -> None:
        """Delete the intention from ``source`` to ``destination``: Consul 1.9+.

        ``DELETE /v1/connect/intentions/exact``.

        :raises consulate.exceptions.UnsupportedEndpoint: the agent is older than Consul 1.9
        """
        shapes.acknowledged(self._exact('DELETE', source, destination))

    def _exact(self, method: str, source: str, destination: str, data: Any = None) -> Response:
        params = {'source': source, 'destination': destination}
        try:
            return self._request_since('Consul 1.9', method, self._url('exact'), params, data)
        except (exceptions.BadRequest, exceptions.ServerError) as error:
            if not any(text in error.message for text in _EXACT_MISSING):
                raise
            raise exceptions.UnsupportedEndpoint(
                error.status_code, method, error.path, 'this endpoint needs Consul 1.9'
            ) from error


class Connect(Endpoint):
    """Connect: ``ca`` (:class:`CA`) and ``intentions`` (:class:`Intentions`)."""

    PREFIX = 'connect'

    CHILDREN: ClassVar[Mapping[str, type[Endpoint]]] = {'ca': CA, 'intentions': Intentions}

    #: The certificate authority (:class:`CA`).
    ca: CA
    #: Intentions (:class:`Intentions`).
    intentions: Intentions


def _intention(
    source: str,
    destination: str,
    action: str,
    description: str | None,
    meta: Mapping[str, str] | None,
    source_type: str | None,
) -> dict[str, Any]:
    if action not in ACTIONS:
        raise exceptions.ValidationError(f'action must be "allow" or "deny", not {action!r}')
    if not source or not destination:
        raise exceptions.ValidationError('an intention needs a source and a destination')
    body: dict[str, Any] = {
        'SourceName': source,
        'DestinationName': destination,
        'SourceType': source_type or 'consul',
        'Action': action,
    }
    if description is not None:
        body['Description'] = description
    if meta is not None:
        body['Meta'] = dict(meta)
    return body


def _intention_list(found: Any, response: Response) -> builtins.list[Intention]:
    """The intentions matching one name, from a match answer: a list of objects (null: none)."""
    if found is None:
        return []
    if not isinstance(found, list) or not all(isinstance(item, dict) for item in found):
        raise shapes.invalid(response, 'a list of intentions per name')
    return found


def _permissions(permissions: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """L7 intention permissions as Consul takes them: a list of dicts, each with an action."""
    if isinstance(permissions, (str, bytes, Mapping)):
        raise exceptions.ValidationError('permissions must be a list of dicts')
    result = [dict(permission) for permission in permissions]
    for permission in result:
        if permission.get('Action') not in ACTIONS:
            raise exceptions.ValidationError(
                f'each permission needs an Action of "allow" or "deny": {permission!r}'
            )
    return result
