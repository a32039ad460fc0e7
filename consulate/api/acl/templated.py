"""ACL templated policies (``/v1/acl/templated-policies``, ``/v1/acl/templated-policy``): Consul 1.17+.

A templated policy is a policy Consul builds in, such as ``builtin/service``
or ``builtin/node``, whose rules it renders from a few variables (a service
or node name). Tokens and roles link to one by name with its variables;
these methods list them, read one, and show the rules one would render.

On an agent older than Consul 1.17 every method raises
:class:`~consulate.exceptions.UnsupportedEndpoint`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, cast

from consulate.api import shapes
from consulate.api.base import Endpoint

if TYPE_CHECKING:
    from consulate.types import ACLPolicy, ACLTemplatedPolicyResponse

__all__ = ['TemplatedPolicies']

#: Who has the templated-policy routes, named by UnsupportedEndpoint on older agents.
SINCE = 'Consul 1.17'


class TemplatedPolicies(Endpoint):
    """List, read and preview the built-in templated policies."""

    PREFIX = 'acl'

    def list_templated_policies(self) -> list[ACLTemplatedPolicyResponse]:
        """Return every templated policy, sorted by name, always a list (``GET /v1/acl/templated-policies``).

        Consul answers with an object keyed by name; this returns its records,
        each carrying its ``TemplateName`` (and ``Schema``, the JSON schema of
        its variables, ``Template`` and ``Description``).

        :raises consulate.exceptions.Forbidden: the client's token may not read ACLs
        :raises consulate.exceptions.UnsupportedEndpoint: the agent is older than Consul 1.17
        """
        url = self._url('templated-policies')
        return cast(
            'list[ACLTemplatedPolicyResponse]',
            shapes.keyed_objects(self._request_since(SINCE, 'GET', url)),
        )

    def read_templated_policy(self, name: str) -> ACLTemplatedPolicyResponse:
        """Return one templated policy by name (``GET /v1/acl/templated-policy/name/:name``).

        :param name: such as ``'builtin/service'`` (its ``/`` is sent as a path separator)
        :raises consulate.exceptions.BadRequest: there is no such templated policy
            (``Invalid templated policy Name``)
        :raises consulate.exceptions.UnsupportedEndpoint: the agent is older than Consul 1.17
        """
        url = self._url('templated-policy', 'name', *name.split('/'))
        return cast(
            'ACLTemplatedPolicyResponse', shapes.json_object(self._request_since(SINCE, 'GET', url))
        )

    def preview_templated_policy(
        self, name: str, variables: Mapping[str, Any] | None = None
    ) -> ACLPolicy:
        """Return the policy a templated policy renders (``POST /v1/acl/templated-policy/preview/:name``).

        Nothing is stored: the answer is the policy a token linked to the
        template would get, with its ``Name`` and the rendered ``Rules``.

        :param name: such as ``'builtin/service'``
        :param variables: the template's variables, such as ``{'Name': 'api'}``
            for ``builtin/service`` (see the template's ``Schema``)
        :raises consulate.exceptions.BadRequest: an unknown template, or a variable
            missing or invalid
        :raises consulate.exceptions.UnsupportedEndpoint: the agent is older than Consul 1.17
        """
        url = self._url('templated-policy', 'preview', *name.split('/'))
        data = dict(variables) if variables is not None else {}
        return cast(
            'ACLPolicy', shapes.json_object(self._request_since(SINCE, 'POST', url, data=data))
        )
