"""The legacy ACL API of Consul before 1.4 (``/v1/acl/create``, ``info``, ``list``...).

Consul 1.4 replaced these tokens with the token/policy/role system
(:mod:`consulate.api.acl.tokens`, :mod:`consulate.api.acl.policies`).
The legacy routes still work in Consul 1.4 to 1.10 (1.8 is measured here)
and are **removed in Consul 1.11**: there these methods raise
:class:`~consulate.exceptions.UnsupportedEndpoint` (a
:class:`~consulate.exceptions.NotFound`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from consulate import exceptions
from consulate.api import shapes
from consulate.api.acl._common import body
from consulate.api.base import Endpoint

if TYPE_CHECKING:
    from consulate.adapters import Response
    from consulate.types import ACLEntry

__all__ = ['ACL_TYPES', 'LegacyACL']

#: The legacy token types.
ACL_TYPES = ('client', 'management')

#: Who has the legacy routes, for the UnsupportedEndpoint raised by newer agents.
_SINCE = 'Consul 1.10 or older: the legacy ACL API was removed in Consul 1.11 (use the token and policy methods)'


def _check_type(acl_type: str) -> str:
    if acl_type not in ACL_TYPES:
        raise exceptions.ValidationError(
            f'acl_type must be "client" or "management", not {acl_type!r}'
        )
    return acl_type


class LegacyACL(Endpoint):
    """consulate 0.6.0's six ACL methods, on the legacy endpoints (Consul < 1.11)."""

    PREFIX = 'acl'

    def create(self, name: str, acl_type: str = 'client', rules: str | None = None) -> str:
        """Create a legacy token and return its ID, the secret (``PUT /v1/acl/create``).

        :param name: a name for human operators (opaque to Consul)
        :param acl_type: ``'client'`` (limited by ``rules``) or ``'management'``
            (may do anything, including managing ACLs)
        :param rules: the HCL rules of a client token
        :raises consulate.exceptions.ValidationError: an unknown ``acl_type``
        :raises consulate.exceptions.Forbidden: the client's token may not manage ACLs
        """
        data = body(Name=name, Type=_check_type(acl_type), Rules=rules)
        return shapes.field(self._legacy('PUT', self._url('create'), data=data), 'ID')

    def info(
        self,
        acl_id: str,
        *,
        index: int | None = None,
        wait: str | float | None = None,
        consistency: str | None = None,
    ) -> ACLEntry:
        """Return the legacy token ``acl_id`` (``GET /v1/acl/info/:id``).

        The dict has ``ID``, ``Name``, ``Type``, ``Rules``, ``CreateIndex``
        and ``ModifyIndex``. This is a blocking read.

        :raises consulate.exceptions.NotFound: there is no such token
        :raises consulate.exceptions.Forbidden: the client's token may not read ACLs
        """
        url = self._url('info', acl_id)
        response = self._legacy('GET', url, index=index, wait=wait, consistency=consistency)
        found = shapes.json_list(response)
        if not found:
            raise exceptions.NotFound(404, 'GET', '/v1/acl/info/<redacted>', 'no such ACL')
        return cast('ACLEntry', dict(found[0]))

    def list(
        self,
        *,
        index: int | None = None,
        wait: str | float | None = None,
        consistency: str | None = None,
    ) -> list[ACLEntry]:
        """Return every token as legacy records, always a list (``GET /v1/acl/list``).

        This is a blocking read.

        :raises consulate.exceptions.Forbidden: the client's token may not read ACLs
        """
        url = self._url('list')
        return shapes.json_list(
            self._legacy('GET', url, index=index, wait=wait, consistency=consistency)
        )

    def update(
        self, acl_id: str, name: str, acl_type: str = 'client', rules: str | None = None
    ) -> bool:
        """Update the legacy token ``acl_id``, or create it with that ID (``PUT /v1/acl/update``).

        The name, type and rules are replaced as a whole.

        :raises consulate.exceptions.ValidationError: an unknown ``acl_type``
        :raises consulate.exceptions.Forbidden: the client's token may not manage ACLs
        """
        data = body(ID=acl_id, Name=name, Type=_check_type(acl_type), Rules=rules)
        return shapes.field(self._legacy('PUT', self._url('update'), data=data), 'ID') == acl_id

    def clone(self, acl_id: str) -> str:
        """Copy the legacy token ``acl_id`` and return the new token's ID (``PUT /v1/acl/clone/:id``).

        One request, as in consulate 0.6. Consul answers an ID that does not
        exist with the same 403 as a token without the right to manage ACLs,
        so both raise Forbidden.

        :raises consulate.exceptions.Forbidden: the client's token may not manage
            ACLs, or there is no such token
        """
        try:
            response = self._legacy('PUT', self._url('clone', acl_id))
        except exceptions.Forbidden as error:
            raise exceptions.Forbidden(
                error.status_code,
                error.method,
                error.path,
                f'{error.message} (Consul answers this for an unknown ACL ID too)',
            ) from error
        return shapes.field(response, 'ID')

    def destroy(self, acl_id: str) -> bool:
        """Delete the legacy token ``acl_id`` (``PUT /v1/acl/destroy/:id``).

        One request, as in consulate 0.6: destroying a token that is already
        gone returns True, as Consul answers ``true`` for it.

        :returns: True when Consul answers ``true``
        :raises consulate.exceptions.Forbidden: the client's token may not manage ACLs
        """
        return shapes.json_bool(self._legacy('PUT', self._url('destroy', acl_id)))

    def translate_rules(self, rules: str) -> str:
        """Translate legacy HCL rules into the policy syntax of Consul 1.4+ (``POST /v1/acl/rules/translate``)."""
        url = self._url('rules', 'translate')
        return shapes.text(self._legacy('POST', url, data=rules, raw_body=True))

    def translate_token_rules(self, accessor_id: str) -> str:
        """Translate a legacy token's rules into the policy syntax (``GET /v1/acl/rules/translate/:accessor_id``).

        :param accessor_id: the token's AccessorID (not its secret ID)
        """
        return shapes.text(self._legacy('GET', self._url('rules', 'translate', accessor_id)))

    def _legacy(self, method: str, url: str, data: Any = None, **kwargs: Any) -> Response:
        """Send a request to a legacy route; UnsupportedEndpoint where the agent has none."""
        return self._request_since(_SINCE, method, url, data=data, **kwargs)
