"""Check and service definitions for the agent API, as models.

.. deprecated:: 1.0
   use the keyword arguments of :meth:`consulate.api.agent.check.Check.register`
   and :meth:`consulate.api.agent.service.Service.register`, or dicts
"""

from __future__ import annotations

from typing import Any, ClassVar

from consulate.models.base import Model, validate_go_interval, validate_url

__all__ = ['Check', 'Service']

_METHODS = {'GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH'}
_STATUSES = {'passing', 'warning', 'critical', 'maintenance'}
_KINDS = ('args', 'grpc', 'http', 'tcp', 'ttl')


def _duration(key: str) -> dict[str, Any]:
    return {'key': key, 'type': str, 'validator': validate_go_interval}


def _header(value: dict[str, Any]) -> dict[str, list[str]]:
    return {k: list(v) if isinstance(v, (list, tuple)) else [v] for k, v in value.items()}


class Check(Model):
    """A health check definition: give one of ``args``, ``grpc``, ``http``, ``tcp`` or ``ttl``.

    Every kind but ``ttl`` needs an ``interval``.
    """

    __attributes__: ClassVar[dict[str, dict[str, Any]]] = {
        'id': {'key': 'ID', 'type': str},
        'name': {'key': 'Name', 'type': str, 'required': True},
        'interval': _duration('Interval'),
        'notes': {'key': 'Notes', 'type': str},
        'deregister_critical_service_after': _duration('DeregisterCriticalServiceAfter'),
        'args': {'key': 'Args', 'type': list},
        'docker_container_id': {'key': 'DockerContainerID', 'type': str},
        'grpc': {'key': 'GRPC', 'type': str},
        'grpc_use_tls': {'key': 'GRPCUseTLS', 'type': bool},
        'http': {'key': 'HTTP', 'type': str, 'validator': validate_url},
        'method': {'key': 'Method', 'type': str, 'enum': _METHODS},
        'header': {'key': 'Header', 'type': dict, 'cast_to': _header},
        'timeout': _duration('Timeout'),
        'tls_skip_verify': {'key': 'TLSSkipVerify', 'type': bool},
        'tcp': {'key': 'TCP', 'type': str},
        'ttl': _duration('TTL'),
        'service_id': {'key': 'ServiceID', 'type': str},
        'status': {'key': 'Status', 'type': str, 'enum': _STATUSES},
    }

    def _validate(self) -> None:
        given = [kind for kind in _KINDS if getattr(self, kind) is not None]
        if len(given) > 1:
            raise ValueError(f'a check has one of {", ".join(_KINDS)}, not {" and ".join(given)}')
        if given and given[0] != 'ttl' and self.interval is None:
            raise ValueError(f'a {given[0]} check needs an interval')


def _all_str(value: list[Any], _model: Any) -> bool:
    return all(isinstance(item, str) for item in value)


def _all_checks(value: list[Any], _model: Any) -> bool:
    return all(isinstance(item, Check) for item in value)


class Service(Model):
    """A service definition, with an optional :class:`Check` or list of them."""

    __attributes__: ClassVar[dict[str, dict[str, Any]]] = {
        'id': {'key': 'ID', 'type': str},
        'name': {'key': 'Name', 'type': str, 'required': True},
        'tags': {'key': 'Tags', 'type': list, 'validator': _all_str},
        'meta': {'key': 'Meta', 'type': dict},
        'address': {'key': 'Address', 'type': str},
        'port': {'key': 'Port', 'type': int},
        'check': {'key': 'Check', 'type': Check, 'cast_to': dict},
        'checks': {
            'key': 'Checks',
            'type': list,
            'validator': _all_checks,
            'cast_to': lambda checks: [dict(c) for c in checks],
        },
        'enable_tag_override': {'key': 'EnableTagOverride', 'type': bool},
    }
