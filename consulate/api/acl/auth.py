"""ACL auth methods (``/v1/acl/auth-method``) and binding rules (``/v1/acl/binding-rule``).

An auth method lets an outside identity (a Kubernetes service account, a
JWT...) be traded for a Consul token with
:meth:`~consulate.api.acl.tokens.Tokens.login`; its binding rules decide
which roles or service identities that token gets.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, cast

from consulate.api import shapes
from consulate.api.acl._common import body
from consulate.api.base import Endpoint, duration

if TYPE_CHECKING:
    from consulate.types import ACLAuthMethod, ACLAuthMethodListEntry, ACLBindingRule

__all__ = ['AuthMethods', 'BindingRules']


class AuthMethods(Endpoint):
    """Create, read, update, delete and list ACL auth methods."""

    PREFIX = 'acl'

    def create_auth_method(
        self,
        name: str,
        method_type: str,
        config: Mapping[str, Any],
        *,
        description: str | None = None,
        display_name: str | None = None,
        max_token_ttl: str | float | None = None,
        token_locality: str | None = None,
    ) -> ACLAuthMethod:
        """Create an auth method and return it (``PUT /v1/acl/auth-method``).

        :param method_type: ``'kubernetes'`` or ``'jwt'`` (Consul 1.8), ``'oidc'`` (Enterprise)
        :param config: the type's settings, for example ``{'JWTValidationPubKeys': [pem]}``
        :param max_token_ttl: the longest life of the tokens it makes (seconds or a duration)
        :param token_locality: ``'local'`` or ``'global'`` tokens
        :raises consulate.exceptions.Forbidden: the client's token may not write ACLs
        :raises consulate.exceptions.ServerError: Consul refused the type or the config
        """
        data = _method_body(
            name, method_type, config, description, display_name, max_token_ttl, token_locality
        )
        return cast(
            'ACLAuthMethod',
            shapes.json_object(self._put(self._url('auth-method'), data=data), 'Name', 'Type'),
        )

    def read_auth_method(
        self,
        name: str,
        *,
        index: int | None = None,
        wait: str | float | None = None,
        consistency: str | None = None,
    ) -> ACLAuthMethod:
        """Return the auth method with this name (``GET /v1/acl/auth-method/:name``); a blocking read.

        :raises consulate.exceptions.NotFound: there is no such auth method
        """
        url = self._url('auth-method', name)
        return cast(
            'ACLAuthMethod', self._get_object(url, index=index, wait=wait, consistency=consistency)
        )

    def update_auth_method(
        self,
        name: str,
        method_type: str,
        config: Mapping[str, Any],
        *,
        description: str | None = None,
        display_name: str | None = None,
        max_token_ttl: str | float | None = None,
        token_locality: str | None = None,
    ) -> ACLAuthMethod:
        """Replace an auth method's settings and return it (``PUT /v1/acl/auth-method/:name``).

        :raises consulate.exceptions.Forbidden: the client's token may not write ACLs
        """
        data = _method_body(
            name, method_type, config, description, display_name, max_token_ttl, token_locality
        )
        response = self._put(self._url('auth-method', name), data=data)
        return cast('ACLAuthMethod', shapes.json_object(response, 'Name', 'Type'))

    def delete_auth_method(self, name: str) -> bool:
        """Delete an auth method, its binding rules and its tokens (``DELETE /v1/acl/auth-method/:name``).

        Deleting an unknown auth method is not an error.
        """
        return shapes.json_bool(self._delete(self._url('auth-method', name)))

    def list_auth_methods(
        self,
        *,
        index: int | None = None,
        wait: str | float | None = None,
        consistency: str | None = None,
    ) -> list[ACLAuthMethodListEntry]:
        """Return every auth method (without config), always a list (``GET /v1/acl/auth-methods``); a blocking read."""
        url = self._url('auth-methods')
        return self._get_list(url, index=index, wait=wait, consistency=consistency)


class BindingRules(Endpoint):
    """Create, read, update, delete and list the binding rules of auth methods."""

    PREFIX = 'acl'

    def create_binding_rule(
        self,
        auth_method: str,
        bind_type: str,
        bind_name: str,
        *,
        selector: str | None = None,
        description: str | None = None,
    ) -> ACLBindingRule:
        """Create a binding rule and return it, with its ``ID`` (``PUT /v1/acl/binding-rule``).

        :param bind_type: ``'service'`` (a service identity) or ``'role'`` (an existing role)
        :param bind_name: the service or role name; may use the identity's
            fields, such as ``'${value.name}'``
        :param selector: a filter expression on the identity's fields; the
            rule applies to the identities it matches (default: all)
        :raises consulate.exceptions.Forbidden: the client's token may not write ACLs
        """
        data = _rule_body(auth_method, bind_type, bind_name, selector, description)
        return cast(
            'ACLBindingRule',
            shapes.json_object(self._put(self._url('binding-rule'), data=data), 'ID', 'AuthMethod'),
        )

    def read_binding_rule(
        self,
        rule_id: str,
        *,
        index: int | None = None,
        wait: str | float | None = None,
        consistency: str | None = None,
    ) -> ACLBindingRule:
        """Return the binding rule with this ID (``GET /v1/acl/binding-rule/:id``); a blocking read.

        :raises consulate.exceptions.NotFound: there is no such rule
        """
        url = self._url('binding-rule', rule_id)
        return cast(
            'ACLBindingRule', self._get_object(url, index=index, wait=wait, consistency=consistency)
        )

    def update_binding_rule(
        self,
        rule_id: str,
        auth_method: str,
        bind_type: str,
        bind_name: str,
        *,
        selector: str | None = None,
        description: str | None = None,
    ) -> ACLBindingRule:
        """Replace a binding rule and return it (``PUT /v1/acl/binding-rule/:id``).

        :raises consulate.exceptions.Forbidden: the client's token may not write ACLs
        """
        data = _rule_body(auth_method, bind_type, bind_name, selector, description)
        url = self._url('binding-rule', rule_id)
        return cast(
            'ACLBindingRule',
            shapes.json_object(self._put(url, data=data | {'ID': rule_id}), 'ID', 'AuthMethod'),
        )

    def delete_binding_rule(self, rule_id: str) -> bool:
        """Delete a binding rule (``DELETE /v1/acl/binding-rule/:id``); an unknown one is not an error."""
        return shapes.json_bool(self._delete(self._url('binding-rule', rule_id)))

    def list_binding_rules(
        self,
        *,
        auth_method: str | None = None,
        index: int | None = None,
        wait: str | float | None = None,
        consistency: str | None = None,
    ) -> list[ACLBindingRule]:
        """Return every binding rule, always a list (``GET /v1/acl/binding-rules``); a blocking read.

        :param auth_method: only the rules of this auth method
        """
        url = self._url('binding-rules')
        params = {'authmethod': auth_method}
        return self._get_list(url, params, index=index, wait=wait, consistency=consistency)


def _method_body(
    name: str,
    method_type: str,
    config: Mapping[str, Any],
    description: str | None,
    display_name: str | None,
    max_token_ttl: str | float | None,
    token_locality: str | None,
) -> dict[str, Any]:
    return body(
        Name=name,
        Type=method_type,
        Config=dict(config),
        Description=description,
        DisplayName=display_name,
        MaxTokenTTL=duration(max_token_ttl),
        TokenLocality=token_locality,
    )


def _rule_body(
    auth_method: str,
    bind_type: str,
    bind_name: str,
    selector: str | None,
    description: str | None,
) -> dict[str, Any]:
    return body(
        AuthMethod=auth_method,
        BindType=bind_type,
        BindName=bind_name,
        Selector=selector,
        Description=description,
    )
