"""The ACL API (``/v1/acl``): consulate 0.6.0's legacy token methods and the Consul 1.4+ ACL system.

:class:`ACL`, reached as ``consul.acl``, gathers every ACL method in one
object, grouped here by sub-resource:

- consulate 0.6.0's legacy methods :meth:`~ACL.create`, :meth:`~ACL.info`,
  :meth:`~ACL.list`, :meth:`~ACL.update`, :meth:`~ACL.clone` and
  :meth:`~ACL.destroy` (:mod:`consulate.api.acl.legacy`): Consul 1.4 to
  1.10 only, **removed in Consul 1.11**;
- tokens, bootstrap, login and logout (:mod:`consulate.api.acl.tokens`);
- policies and roles (:mod:`consulate.api.acl.policies`);
- auth methods and binding rules (:mod:`consulate.api.acl.auth`);
- the built-in templated policies of Consul 1.17+ (:mod:`consulate.api.acl.templated`);
- the replication status (:meth:`ACL.replication`).

Every call on an agent without ACLs raises
:class:`~consulate.exceptions.ACLDisabled`; a missing, unknown or
under-privileged token raises :class:`~consulate.exceptions.Forbidden`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from consulate.api.acl.auth import AuthMethods, BindingRules
from consulate.api.acl.legacy import ACL_TYPES, LegacyACL
from consulate.api.acl.policies import Policies, Roles
from consulate.api.acl.templated import TemplatedPolicies
from consulate.api.acl.tokens import Tokens

if TYPE_CHECKING:
    from consulate.types import ACLReplicationStatus

__all__ = ['ACL', 'ACL_TYPES']


class ACL(LegacyACL, Tokens, Policies, Roles, AuthMethods, BindingRules, TemplatedPolicies):
    """Manage Consul's ACLs: ``consul.acl.create_token(policies=['readonly'])``.

    consulate 0.6.0's methods work on the legacy tokens of Consul before 1.11; the
    ``*_token``, ``*_policy``, ``*_role``, ``*_auth_method`` and
    ``*_binding_rule`` methods, :meth:`bootstrap`, :meth:`login`,
    :meth:`logout` and :meth:`replication` on the ACL system of Consul 1.4+,
    and the ``*_templated_polic*`` methods on the templated policies of
    Consul 1.17+.
    """

    PREFIX = 'acl'

    def replication(self) -> ACLReplicationStatus:
        """Return the ACL replication status of the datacenter (``GET /v1/acl/replication``).

        ``Enabled`` is false in the primary datacenter; in others the dict
        tells how far replication has got (``ReplicatedIndex``,
        ``LastSuccess``, ``LastError``).
        """
        return cast('ACLReplicationStatus', self._get_object(self._url('replication')))
