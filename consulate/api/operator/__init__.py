"""The operator API (``/v1/operator``): cluster-level tools for Consul operators.

.. not-run: installs a gossip key: needs an agent with gossip encryption on

``consul.operator`` is an :class:`Operator`; its sub-resources are
``consul.operator.raft`` (:class:`~consulate.api.operator.raft.Raft`),
``consul.operator.autopilot`` (:class:`~consulate.api.operator.autopilot.Autopilot`),
``consul.operator.keyring`` (:class:`~consulate.api.operator.keyring.Keyring`) and
``consul.operator.areas`` (:class:`~consulate.api.operator.areas.Areas`, Enterprise)::

    consul.operator.raft.configuration()['Servers']
    consul.operator.autopilot.health()['Healthy']
    consul.operator.keyring.install(new_key)

Most of these need an ``operator:read`` or ``operator:write`` token when
ACLs are on.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar, cast

from consulate.api import shapes
from consulate.api.base import Endpoint
from consulate.api.operator.areas import Areas
from consulate.api.operator.autopilot import Autopilot
from consulate.api.operator.keyring import Keyring
from consulate.api.operator.raft import Raft

if TYPE_CHECKING:
    from consulate.types import (
        FeatureGate,
        FeatureGateUpdate,
        LicenseReply,
        Usage,
        UtilizationBundle,
    )

__all__ = ['Areas', 'Autopilot', 'Keyring', 'Operator', 'Raft']

_ENTERPRISE = 'Consul Enterprise'
#: Who has the feature-gate routes, for the UnsupportedEndpoint older agents raise.
FEATURES_SINCE = 'a Consul version with operator feature gates (only in its newest source so far)'


class Operator(Endpoint):
    """Cluster operations: ``raft``, ``autopilot``, ``keyring``, ``areas``, and usage and license reports."""

    PREFIX = 'operator'

    CHILDREN: ClassVar[Mapping[str, type[Endpoint]]] = {
        'raft': Raft,
        'autopilot': Autopilot,
        'keyring': Keyring,
        'areas': Areas,
    }

    #: The Raft peer set (:class:`~consulate.api.operator.raft.Raft`).
    raft: Raft
    #: Autopilot (:class:`~consulate.api.operator.autopilot.Autopilot`).
    autopilot: Autopilot
    #: The gossip keyring (:class:`~consulate.api.operator.keyring.Keyring`).
    keyring: Keyring
    #: Network areas, Enterprise only (:class:`~consulate.api.operator.areas.Areas`).
    areas: Areas

    def usage(
        self,
        *,
        all_datacenters: bool = False,
        index: int | None = None,
        wait: str | float | None = None,
        consistency: str | None = None,
    ) -> Usage:
        """Return the counts of services, instances and nodes: Consul 1.15+.

        ``GET /v1/operator/usage``: ``{'Usage': {dc: {'Services',
        'ServiceInstances', 'ConnectServiceInstances', 'BillableServiceInstances',
        'Nodes'}}, ...}``.

        :param all_datacenters: every known datacenter, not only this one (``?global``)
        :raises consulate.exceptions.UnsupportedEndpoint: the agent is older than Consul 1.15
        """
        params = {'global': all_datacenters}
        kwargs = {'index': index, 'wait': wait, 'consistency': consistency}
        response = self._request_since('Consul 1.15', 'GET', self._url('usage'), params, **kwargs)
        return cast('Usage', shapes.json_object(response))

    def license(self, *, signed: bool = False) -> str | LicenseReply:
        """Return the Enterprise license (``GET /v1/operator/license``): Consul Enterprise.

        :param signed: return the signed license blob as text instead of its details
        :raises consulate.exceptions.UnsupportedEndpoint: the agent is Consul OSS
        """
        response = self._request_since(_ENTERPRISE, 'GET', self._url('license'), {'signed': signed})
        return cast(
            'str | LicenseReply',
            shapes.text(response).strip() if signed else shapes.json_object(response),
        )

    def segments(self) -> list[str]:
        """Return the names of the network segments (``GET /v1/operator/segment``): Enterprise.

        :raises consulate.exceptions.UnsupportedEndpoint: the agent is Consul OSS
        """
        return shapes.json_list(self._request_since(_ENTERPRISE, 'GET', self._url('segment')), str)

    def audit_hash(self, text: str) -> str:
        """Return the hash the audit log shows for ``text`` (``POST /v1/operator/audit-hash``).

        Consul Enterprise 1.16+, with audit logging on.

        :raises consulate.exceptions.UnsupportedEndpoint: the agent is Consul OSS or older
        """
        url = self._url('audit-hash')
        response = self._request_since('Consul Enterprise 1.16', 'POST', url, data={'Input': text})
        return shapes.field(response, 'Hash')

    def utilization(
        self, *, message: str | None = None, today_only: bool = False, send_report: bool = False
    ) -> UtilizationBundle:
        """Build a license utilization bundle (``GET /v1/operator/utilization``).

        Consul Enterprise 1.22+.

        :param message: context logged with the export
        :param today_only: only the most recent snapshot
        :param send_report: also send the report to HashiCorp
        :raises consulate.exceptions.UnsupportedEndpoint: the agent is Consul OSS or older
        """
        params = {
            'message': message,
            'today_only': 'true' if today_only else None,
            'send_report': 'true' if send_report else None,
        }
        url = self._url('utilization')
        return cast(
            'UtilizationBundle',
            shapes.json_object(self._request_since('Consul Enterprise 1.22', 'GET', url, params)),
        )

    def features(
        self,
        *,
        index: int | None = None,
        wait: str | float | None = None,
        consistency: str | None = None,
    ) -> list[FeatureGate]:
        """Return every feature gate and its state (``GET /v1/operator/features``).

        Each entry has ``Name``, ``Stage``, ``MinVersion``, ``DefaultEnabled``,
        ``DesiredEnabled``, ``EffectiveEnabled``, ``Eligible``, ``Source``,
        ``Reason``, ``PolicyIndex`` and ``StatusIndex``.

        :raises consulate.exceptions.UnsupportedEndpoint: the agent has no feature gates
        """
        kwargs: dict[str, Any] = {'index': index, 'wait': wait, 'consistency': consistency}
        url = self._url('features')
        return shapes.json_list(self._request_since(FEATURES_SINCE, 'GET', url, **kwargs))

    def feature(
        self,
        name: str,
        *,
        index: int | None = None,
        wait: str | float | None = None,
        consistency: str | None = None,
    ) -> FeatureGate:
        """Return one feature gate (``GET /v1/operator/feature/:name``).

        :raises consulate.exceptions.UnsupportedEndpoint: the agent has no feature gates
        :raises consulate.exceptions.NotFound: there is no such feature gate
        """
        kwargs: dict[str, Any] = {'index': index, 'wait': wait, 'consistency': consistency}
        url = self._url('feature', name)
        return cast(
            'FeatureGate',
            shapes.json_object(self._request_since(FEATURES_SINCE, 'GET', url, **kwargs)),
        )

    def set_feature(self, name: str, enabled: bool, *, cas: int | None = None) -> FeatureGateUpdate:
        """Turn a feature gate on or off (``PUT /v1/operator/feature/:name``).

        :param cas: change it only if its ``PolicyIndex`` is still this
        :returns: Consul's answer: whether it applied, and the gate now
        :raises consulate.exceptions.UnsupportedEndpoint: the agent has no feature gates
        """
        url = self._url('feature', name)
        params = {'cas': cas if cas else None}
        data = {'Enabled': bool(enabled)}
        response = self._request_since(FEATURES_SINCE, 'PUT', url, params, data)
        return cast('FeatureGateUpdate', shapes.json_object(response, 'Applied'))
