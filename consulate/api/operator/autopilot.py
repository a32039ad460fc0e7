"""Autopilot (``/v1/operator/autopilot``): automatic management of the Consul servers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, cast

from consulate import exceptions
from consulate.api import shapes
from consulate.api.base import Endpoint

if TYPE_CHECKING:
    from consulate.types import AutopilotConfiguration, AutopilotState, OperatorHealthReply

__all__ = ['Autopilot']


class Autopilot(Endpoint):
    """Autopilot's configuration, the servers' health, and (1.10+) autopilot's state."""

    PREFIX = 'operator/autopilot'

    def configuration(self, *, stale: bool = False) -> AutopilotConfiguration:
        """Return autopilot's configuration (``GET /v1/operator/autopilot/configuration``).

        ``CleanupDeadServers``, ``LastContactThreshold``, ``MaxTrailingLogs``,
        ``MinQuorum``, ``ServerStabilizationTime``, ``RedundancyZoneTag``,
        ``DisableUpgradeMigration``, ``UpgradeVersionTag`` and the indexes.

        :param stale: let any server answer, even without a leader
        """
        url = self._url('configuration')
        return cast(
            'AutopilotConfiguration', self._get_object(url, consistency='stale' if stale else None)
        )

    def set_configuration(self, config: Mapping[str, Any], *, cas: int | None = None) -> bool:
        """Replace autopilot's configuration (``PUT /v1/operator/autopilot/configuration``).

        Fields left out are reset to their zero value, so start from
        :meth:`configuration` and change what is needed.

        :param cas: write only if the configuration's ``ModifyIndex`` is still ``cas``
        :returns: True if it was written, False if ``cas`` did not match
        """
        if cas is not None and (isinstance(cas, bool) or not isinstance(cas, int) or cas < 0):
            raise exceptions.ValidationError(
                f'cas must be a ModifyIndex (an int >= 0), not {cas!r}'
            )
        body = {key: value for key, value in config.items() if key not in _INDEXES}
        return self._put_bool(self._url('configuration'), {'cas': cas}, body)

    def health(self, *, stale: bool = False) -> OperatorHealthReply:
        """Return the health of every server as autopilot sees it (``GET /v1/operator/autopilot/health``).

        ``{'Healthy', 'FailureTolerance', 'Servers': [{'Name', 'Healthy',
        'Voter', 'Leader', 'LastContact', ...}]}``. Consul answers 429 when
        the cluster is unhealthy; that answer is returned like a 200, with
        ``Healthy`` false, rather than raised. A server that has just
        started answers so, with no ``Servers`` (an empty list here), for
        a second or two. (A client built with ``retries`` retries a 429
        read before it gets here.)

        :param stale: let any server answer, even without a leader
        """
        url = self._url('health')
        try:
            health = self._get_object(url, consistency='stale' if stale else None)
        except exceptions.TooManyRequests:
            response = self.last_response
            if response is None or not response.content.startswith(b'{'):
                raise
            health = shapes.json_object(response)
        health['Servers'] = list(health.get('Servers') or [])
        return cast('OperatorHealthReply', health)

    def state(self, *, stale: bool = False) -> AutopilotState:
        """Return autopilot's full view of the servers: Consul 1.10+.

        ``GET /v1/operator/autopilot/state``: ``Healthy``, ``FailureTolerance``,
        ``OptimisticFailureTolerance``, ``Leader``, ``Voters``, ``Servers``
        (by ID, with their ``Status`` and ``Stats``), ``RedundancyZones`` and
        ``Upgrade`` (the last two filled in by Consul Enterprise).

        :raises consulate.exceptions.UnsupportedEndpoint: the agent is older than Consul 1.10
        """
        mode = 'stale' if stale else None
        response = self._request_since('Consul 1.10', 'GET', self._url('state'), consistency=mode)
        return cast('AutopilotState', shapes.json_object(response))


#: Read-only fields of a configuration, dropped before it is written back.
_INDEXES = frozenset({'CreateIndex', 'ModifyIndex'})
