"""ACL tokens of Consul 1.4+ (``/v1/acl/token``), bootstrap, login and logout.

A token has an ``AccessorID`` (its public ID, used to manage it) and a
``SecretID`` (what clients send as their token). Its rights come from the
policies, roles, service identities and node identities linked to it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, cast

from consulate.api import shapes
from consulate.api.acl._common import Link, body, links, service_identities, with_token
from consulate.api.acl._common import templated_policies as templated_policies_body
from consulate.api.base import Endpoint, duration

if TYPE_CHECKING:
    from consulate.types import ACLToken, ACLTokenListEntry

__all__ = ['Tokens']


class Tokens(Endpoint):
    """Create, read, update, clone, delete and list ACL tokens; bootstrap, login, logout."""

    PREFIX = 'acl'

    def bootstrap(self, *, secret_id: str | None = None) -> ACLToken:
        """Bootstrap the ACL system and return the first management token (``PUT /v1/acl/bootstrap``).

        It works once per cluster (until an ACL reset); afterwards Consul
        refuses it with 403 ``ACL bootstrap no longer allowed``.

        :param secret_id: the SecretID (a UUID) the token gets instead of a
            generated one, sent as ``BootstrapSecret``. Consul versions before
            the field existed (1.8 among them) ignore it and generate one:
            use the ``SecretID`` of the returned token.
        :raises consulate.exceptions.Forbidden: the ACL system is already bootstrapped
        """
        data = body(BootstrapSecret=secret_id) or None
        response = self._put(self._url('bootstrap'), data=data)
        return cast('ACLToken', shapes.json_object(response, 'AccessorID', 'SecretID'))

    def create_token(
        self,
        *,
        description: str | None = None,
        policies: Iterable[Link] | None = None,
        roles: Iterable[Link] | None = None,
        service_identities: Iterable[Link] | None = None,
        node_identities: Iterable[Mapping[str, Any]] | None = None,
        templated_policies: Iterable[Link] | None = None,
        local: bool = False,
        expiration_ttl: str | float | None = None,
        expiration_time: str | None = None,
        accessor_id: str | None = None,
        secret_id: str | None = None,
    ) -> ACLToken:
        """Create a token and return it, with its ``AccessorID`` and ``SecretID`` (``PUT /v1/acl/token``).

        :param policies: policy names, or dicts such as ``{'ID': policy_id}``
        :param roles: role names, or dicts such as ``{'ID': role_id}``
        :param service_identities: service names, or dicts such as
            ``{'ServiceName': 'web', 'Datacenters': ['dc1']}``
        :param node_identities: dicts such as ``{'NodeName': 'n1', 'Datacenter': 'dc1'}``
        :param templated_policies: template names, or dicts such as
            ``{'TemplateName': 'builtin/service', 'TemplateVariables': {'Name': 'web'}}``
            (Consul 1.17+; older agents refuse the field with BadRequest)
        :param local: valid only in this datacenter (not replicated)
        :param expiration_ttl: the token expires after this long (seconds or a duration string)
        :param expiration_time: the token expires at this RFC 3339 time
        :param accessor_id: the AccessorID to use instead of a generated one
        :param secret_id: the SecretID to use instead of a generated one
        :raises consulate.exceptions.Forbidden: the client's token may not write ACLs
        :raises consulate.exceptions.ServerError: Consul refused a link
            (``No such ACL policy with name ...``)
        """
        data = _token_body(
            description,
            policies,
            roles,
            service_identities,
            node_identities,
            local,
            TemplatedPolicies=templated_policies_body(templated_policies),
            AccessorID=accessor_id,
            SecretID=secret_id,
            ExpirationTTL=duration(expiration_ttl),
            ExpirationTime=expiration_time,
        )
        return cast(
            'ACLToken',
            shapes.json_object(self._put(self._url('token'), data=data), 'AccessorID', 'SecretID'),
        )

    def read_token(
        self,
        accessor_id: str,
        *,
        expanded: bool = False,
        index: int | None = None,
        wait: str | float | None = None,
        consistency: str | None = None,
    ) -> ACLToken:
        """Return the token with this AccessorID (``GET /v1/acl/token/:accessor_id``); a blocking read.

        :param expanded: also return what its links resolve to (``?expanded``,
            Consul 1.12+): ``ExpandedPolicies``, ``ExpandedRoles``,
            ``NamespaceDefaultPolicyIDs``, ``AgentACLDefaultPolicy``... Older
            agents ignore it and return the plain token.
        :raises consulate.exceptions.Forbidden: the token does not exist (Consul
            answers 403 ``ACL not found``), or the client's token may not read ACLs
        """
        url = self._url('token', accessor_id)
        params = {'expanded': expanded}
        return cast(
            'ACLToken',
            self._get_object(url, params, index=index, wait=wait, consistency=consistency),
        )

    def read_self_token(
        self,
        *,
        index: int | None = None,
        wait: str | float | None = None,
        consistency: str | None = None,
    ) -> ACLToken:
        """Return the token the client sends (``GET /v1/acl/token/self``); a blocking read.

        :raises consulate.exceptions.Forbidden: the client has no token or an unknown one
        """
        url = self._url('token', 'self')
        return cast(
            'ACLToken', self._get_object(url, index=index, wait=wait, consistency=consistency)
        )

    def update_token(
        self,
        accessor_id: str,
        *,
        description: str | None = None,
        policies: Iterable[Link] | None = None,
        roles: Iterable[Link] | None = None,
        service_identities: Iterable[Link] | None = None,
        node_identities: Iterable[Mapping[str, Any]] | None = None,
        local: bool = False,
        secret_id: str | None = None,
        templated_policies: Iterable[Link] | None = None,
    ) -> ACLToken:
        """Replace a token's description and links, and return it (``PUT /v1/acl/token/:accessor_id``).

        This is a replacement, not a patch: links left out are removed from
        the token. Its secret, locality and expiration cannot change.

        :param templated_policies: as for :meth:`create_token` (Consul 1.17+)

        :raises consulate.exceptions.Forbidden: the client's token may not write ACLs
        """
        data = _token_body(
            description,
            policies,
            roles,
            service_identities,
            node_identities,
            local,
            TemplatedPolicies=templated_policies_body(templated_policies),
            AccessorID=accessor_id,
            SecretID=secret_id,
        )
        response = self._put(self._url('token', accessor_id), data=data)
        return cast('ACLToken', shapes.json_object(response, 'AccessorID', 'SecretID'))

    def clone_token(self, accessor_id: str, description: str | None = None) -> ACLToken:
        """Copy a token's links into a new token and return it (``PUT /v1/acl/token/:accessor_id/clone``).

        :raises consulate.exceptions.Forbidden: the client's token may not write
            ACLs, or there is no such token (403 ``ACL not found``)
        """
        url = self._url('token', accessor_id, 'clone')
        response = self._put(url, data=body(Description=description))
        return cast('ACLToken', shapes.json_object(response, 'AccessorID', 'SecretID'))

    def delete_token(self, accessor_id: str) -> bool:
        """Delete a token (``DELETE /v1/acl/token/:accessor_id``); an unknown one is not an error.

        :raises consulate.exceptions.Forbidden: the client's token may not write ACLs
        """
        return shapes.json_bool(self._delete(self._url('token', accessor_id)))

    def list_tokens(
        self,
        *,
        policy: str | None = None,
        role: str | None = None,
        auth_method: str | None = None,
        service_name: str | None = None,
        index: int | None = None,
        wait: str | float | None = None,
        consistency: str | None = None,
    ) -> list[ACLTokenListEntry]:
        """Return every token (without secrets), always a list (``GET /v1/acl/tokens``); a blocking read.

        :param policy: only the tokens linked to this policy ID
        :param role: only the tokens linked to this role ID
        :param auth_method: only the tokens made by logging in with this auth method
        :param service_name: only the tokens with a service identity for this
            service (``?servicename=``, newer Consul; 1.8 ignores it and
            returns every token)
        """
        params = {
            'policy': policy,
            'role': role,
            'authmethod': auth_method,
            'servicename': service_name,
        }
        url = self._url('tokens')
        return self._get_list(url, params, index=index, wait=wait, consistency=consistency)

    def login(
        self, auth_method: str, bearer_token: str, meta: Mapping[str, str] | None = None
    ) -> ACLToken:
        """Trade an auth method's credential for a new token, and return it (``POST /v1/acl/login``).

        Use the returned ``SecretID`` as the token of a new client, and
        :meth:`logout` when done.

        :param auth_method: the auth method's name
        :param bearer_token: the credential the auth method checks (a JWT, a
            Kubernetes service account token...)
        :param meta: metadata stored on the new token
        :raises consulate.exceptions.Forbidden: an unknown auth method or a
            credential the auth method refuses
        """
        data = body(AuthMethod=auth_method, BearerToken=bearer_token, Meta=meta)
        return cast(
            'ACLToken',
            shapes.json_object(self._post(self._url('login'), data=data), 'AccessorID', 'SecretID'),
        )

    def logout(self, token: str | None = None) -> bool:
        """Destroy a token made by :meth:`login` (``POST /v1/acl/logout``).

        :param token: the SecretID to log out; by default the client's own token
        :raises consulate.exceptions.Forbidden: the token was not made by a
            login, or it does not exist
        """
        endpoint = with_token(self, token)
        return shapes.json_bool(endpoint._post(endpoint._url('logout')))


def _token_body(
    description: str | None,
    policies: Iterable[Link] | None,
    roles: Iterable[Link] | None,
    identities: Iterable[Link] | None,
    node_identities: Iterable[Mapping[str, Any]] | None,
    local: bool,
    **extra: Any,
) -> dict[str, Any]:
    return body(
        Description=description,
        Policies=links(policies, 'policies'),
        Roles=links(roles, 'roles'),
        ServiceIdentities=service_identities(identities),
        NodeIdentities=None if node_identities is None else [dict(n) for n in node_identities],
        Local=local or None,
        **extra,
    )
