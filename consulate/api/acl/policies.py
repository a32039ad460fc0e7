"""ACL policies (``/v1/acl/policy``) and roles (``/v1/acl/role``) of Consul 1.4+.

A policy is a named set of rules; a role is a named set of policies and
service identities that tokens link to.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, cast

from consulate.api import shapes
from consulate.api.acl._common import Link, body, links, service_identities
from consulate.api.acl._common import templated_policies as templated_policies_body
from consulate.api.base import Endpoint

if TYPE_CHECKING:
    from consulate.types import ACLPolicy, ACLPolicyListEntry, ACLRole

__all__ = ['Policies', 'Roles']


class Policies(Endpoint):
    """Create, read, update, delete and list ACL policies."""

    PREFIX = 'acl'

    def create_policy(
        self,
        name: str,
        rules: str = '',
        *,
        description: str | None = None,
        datacenters: Iterable[str] | None = None,
    ) -> ACLPolicy:
        """Create a policy and return it, with its ``ID`` (``PUT /v1/acl/policy``).

        :param rules: the HCL (or JSON) rules, for example
            ``'key_prefix "app/" { policy = "write" }'``
        :param datacenters: the datacenters the policy is valid in (default: all)
        :raises consulate.exceptions.Forbidden: the client's token may not write ACLs
        :raises consulate.exceptions.BadRequest: the rules do not parse
        :raises consulate.exceptions.ServerError: a policy with this name exists
        """
        data = _policy_body(name, rules, description, datacenters)
        return cast(
            'ACLPolicy', shapes.json_object(self._put(self._url('policy'), data=data), 'ID', 'Name')
        )

    def read_policy(
        self,
        policy_id: str,
        *,
        index: int | None = None,
        wait: str | float | None = None,
        consistency: str | None = None,
    ) -> ACLPolicy:
        """Return the policy with this ID (``GET /v1/acl/policy/:id``); a blocking read.

        :raises consulate.exceptions.Forbidden: there is no such policy (Consul
            answers 403 ``ACL not found``), or the client's token may not read ACLs
        """
        url = self._url('policy', policy_id)
        return cast(
            'ACLPolicy', self._get_object(url, index=index, wait=wait, consistency=consistency)
        )

    def read_policy_by_name(
        self,
        name: str,
        *,
        index: int | None = None,
        wait: str | float | None = None,
        consistency: str | None = None,
    ) -> ACLPolicy:
        """Return the policy with this name (``GET /v1/acl/policy/name/:name``); a blocking read.

        :raises consulate.exceptions.Forbidden: there is no such policy (403
            ``ACL not found``), or the client's token may not read ACLs
        """
        url = self._url('policy', 'name', name)
        return cast(
            'ACLPolicy', self._get_object(url, index=index, wait=wait, consistency=consistency)
        )

    def update_policy(
        self,
        policy_id: str,
        name: str,
        rules: str = '',
        *,
        description: str | None = None,
        datacenters: Iterable[str] | None = None,
    ) -> ACLPolicy:
        """Replace a policy's name, rules, description and datacenters (``PUT /v1/acl/policy/:id``).

        :returns: the updated policy
        :raises consulate.exceptions.Forbidden: the client's token may not write ACLs
        """
        data = _policy_body(name, rules, description, datacenters) | {'ID': policy_id}
        response = self._put(self._url('policy', policy_id), data=data)
        return cast('ACLPolicy', shapes.json_object(response, 'ID', 'Name'))

    def delete_policy(self, policy_id: str) -> bool:
        """Delete a policy (``DELETE /v1/acl/policy/:id``); an unknown one is not an error.

        :raises consulate.exceptions.Forbidden: the client's token may not write ACLs
        """
        return shapes.json_bool(self._delete(self._url('policy', policy_id)))

    def list_policies(
        self,
        *,
        index: int | None = None,
        wait: str | float | None = None,
        consistency: str | None = None,
    ) -> list[ACLPolicyListEntry]:
        """Return every policy (without rules), always a list (``GET /v1/acl/policies``); a blocking read."""
        url = self._url('policies')
        return self._get_list(url, index=index, wait=wait, consistency=consistency)


class Roles(Endpoint):
    """Create, read, update, delete and list ACL roles."""

    PREFIX = 'acl'

    def create_role(
        self,
        name: str,
        *,
        description: str | None = None,
        policies: Iterable[Link] | None = None,
        service_identities: Iterable[Link] | None = None,
        node_identities: Iterable[Mapping[str, Any]] | None = None,
        templated_policies: Iterable[Link] | None = None,
    ) -> ACLRole:
        """Create a role and return it, with its ``ID`` (``PUT /v1/acl/role``).

        :param policies: policy names, or dicts such as ``{'ID': policy_id}``
        :param service_identities: service names, or dicts such as ``{'ServiceName': 'web'}``
        :param node_identities: dicts such as ``{'NodeName': 'n1', 'Datacenter': 'dc1'}``
        :param templated_policies: template names, or dicts such as
            ``{'TemplateName': 'builtin/service', 'TemplateVariables': {'Name': 'web'}}``
            (Consul 1.17+; older agents refuse the field with BadRequest)
        :raises consulate.exceptions.Forbidden: the client's token may not write ACLs
        """
        data = _role_body(name, description, policies, service_identities, node_identities)
        data |= body(TemplatedPolicies=templated_policies_body(templated_policies))
        return cast(
            'ACLRole', shapes.json_object(self._put(self._url('role'), data=data), 'ID', 'Name')
        )

    def read_role(
        self,
        role_id: str,
        *,
        index: int | None = None,
        wait: str | float | None = None,
        consistency: str | None = None,
    ) -> ACLRole:
        """Return the role with this ID (``GET /v1/acl/role/:id``); a blocking read.

        :raises consulate.exceptions.NotFound: there is no such role
        """
        url = self._url('role', role_id)
        return cast(
            'ACLRole', self._get_object(url, index=index, wait=wait, consistency=consistency)
        )

    def read_role_by_name(
        self,
        name: str,
        *,
        index: int | None = None,
        wait: str | float | None = None,
        consistency: str | None = None,
    ) -> ACLRole:
        """Return the role with this name (``GET /v1/acl/role/name/:name``); a blocking read.

        :raises consulate.exceptions.NotFound: there is no such role
        """
        url = self._url('role', 'name', name)
        return cast(
            'ACLRole', self._get_object(url, index=index, wait=wait, consistency=consistency)
        )

    def update_role(
        self,
        role_id: str,
        name: str,
        *,
        description: str | None = None,
        policies: Iterable[Link] | None = None,
        service_identities: Iterable[Link] | None = None,
        node_identities: Iterable[Mapping[str, Any]] | None = None,
        templated_policies: Iterable[Link] | None = None,
    ) -> ACLRole:
        """Replace a role's name, description and links, and return it (``PUT /v1/acl/role/:id``).

        Links left out are removed from the role.

        :param templated_policies: as for :meth:`create_role` (Consul 1.17+)
        :raises consulate.exceptions.Forbidden: the client's token may not write ACLs
        """
        data = _role_body(name, description, policies, service_identities, node_identities)
        data |= body(TemplatedPolicies=templated_policies_body(templated_policies))
        response = self._put(self._url('role', role_id), data=data | {'ID': role_id})
        return cast('ACLRole', shapes.json_object(response, 'ID', 'Name'))

    def delete_role(self, role_id: str) -> bool:
        """Delete a role (``DELETE /v1/acl/role/:id``); an unknown one is not an error.

        :raises consulate.exceptions.Forbidden: the client's token may not write ACLs
        """
        return shapes.json_bool(self._delete(self._url('role', role_id)))

    def list_roles(
        self,
        *,
        policy: str | None = None,
        index: int | None = None,
        wait: str | float | None = None,
        consistency: str | None = None,
    ) -> list[ACLRole]:
        """Return every role, always a list (``GET /v1/acl/roles``); a blocking read.

        :param policy: only the roles linked to this policy ID
        """
        url = self._url('roles')
        return self._get_list(
            url, {'policy': policy}, index=index, wait=wait, consistency=consistency
        )


def _policy_body(
    name: str, rules: str, description: str | None, datacenters: Iterable[str] | None
) -> dict[str, Any]:
    dcs = None if datacenters is None else list(datacenters)
    return body(Name=name, Rules=rules, Description=description, Datacenters=dcs)


def _role_body(
    name: str,
    description: str | None,
    policies: Iterable[Link] | None,
    identities: Iterable[Link] | None,
    node_identities: Iterable[Mapping[str, Any]] | None,
) -> dict[str, Any]:
    return body(
        Name=name,
        Description=description,
        Policies=links(policies, 'policies'),
        ServiceIdentities=service_identities(identities),
        NodeIdentities=None if node_identities is None else [dict(n) for n in node_identities],
    )
