"""The agent's health checks (``/v1/agent/check``), reached as ``consul.agent.check``."""

from __future__ import annotations

import shlex
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, cast

from consulate import exceptions
from consulate.api.base import Endpoint, duration

if TYPE_CHECKING:
    from consulate.types import AgentCheckRegistration

__all__ = ['CHECK_STATUSES', 'Check', 'check_definition', 'validate_kinds']

#: The statuses a check can be put in.
CHECK_STATUSES = ('passing', 'warning', 'critical')

#: The check kinds: exactly one of them makes a check (all but ``ttl`` need an interval).
_KINDS = ('script', 'args', 'http', 'tcp', 'grpc', 'ttl')

#: A header map: each name maps to a value or a list of values.
Header = Mapping[str, str | Iterable[str]]


class Check(Endpoint):
    """The agent's health checks: register, report a TTL check's status, deregister.

    A check is either a TTL check, whose status the application reports with
    :meth:`ttl_pass`, :meth:`ttl_warn` and :meth:`ttl_fail` before its TTL
    runs out, or a check the agent runs every ``interval``: a script, an
    HTTP URL, a TCP connection or a gRPC health call. Reached as
    ``consul.agent.check``; the class is also ``Agent.Check``.
    """

    PREFIX = 'agent/check'
    ACCEPTS_DC = False

    def register(
        self,
        name: str,
        script: str | None = None,
        check_id: str | None = None,
        interval: str | float | None = None,
        ttl: str | float | None = None,
        notes: str | None = None,
        http: str | None = None,
        *,
        args: Iterable[str] | None = None,
        tcp: str | None = None,
        grpc: str | None = None,
        grpc_use_tls: bool | None = None,
        method: str | None = None,
        header: Header | None = None,
        timeout: str | float | None = None,
        tls_skip_verify: bool | None = None,
        service_id: str | None = None,
        status: str | None = None,
        deregister_critical_service_after: str | float | None = None,
    ) -> bool:
        """Add a check to the local agent (``PUT /v1/agent/check/register``).

        Give exactly one of ``script``, ``http`` or ``ttl`` (or of ``args``,
        ``tcp`` or ``grpc``); every kind but ``ttl`` needs an ``interval``.
        Registering an existing check ID replaces the check. Durations are
        seconds or Go duration strings (``'10s'``).

        :param name: the check's name
        :param script: a command line, split with :func:`shlex.split` and run
            without a shell (the agent needs ``enable_script_checks``)
        :param check_id: the check's ID (default: ``name``)
        :param interval: how often the agent runs the check
        :param ttl: how long a reported status stays valid before the check turns critical
        :param notes: free text for humans
        :param http: a URL polled every ``interval``; only a 2xx answer passes
        :param args: the command as a list, instead of ``script``
        :param tcp: a ``host:port`` the agent connects to every ``interval``
        :param grpc: a gRPC health endpoint, ``host:port[/service]``
        :param grpc_use_tls: use TLS for the gRPC check
        :param method: the HTTP check's method (default GET)
        :param header: the HTTP check's headers, each a value or a list of values
        :param timeout: how long the agent waits for a script, HTTP, TCP or gRPC check
        :param tls_skip_verify: do not verify the HTTP check's certificate
        :param service_id: tie the check to a service registered on this agent
        :param status: the initial status: ``'passing'``, ``'warning'`` or ``'critical'``
        :param deregister_critical_service_after: deregister the check's
            service once the check has been critical this long
        :raises consulate.exceptions.ValidationError: (a ValueError) no name,
            not exactly one kind, a missing or needless interval, or a bad
            value; nothing is registered
        """
        if not isinstance(name, str) or not name:
            raise exceptions.ValidationError('a check needs a name')
        data = check_definition(
            name,
            script=script,
            args=args,
            http=http,
            tcp=tcp,
            grpc=grpc,
            ttl=ttl,
            interval=interval,
            check_id=check_id,
            notes=notes,
            timeout=timeout,
            method=method,
            header=header,
            tls_skip_verify=tls_skip_verify,
            grpc_use_tls=grpc_use_tls,
            service_id=service_id,
            status=status,
            deregister_critical_service_after=deregister_critical_service_after,
        )
        return self._put_ok(self._url('register'), data=data)

    def deregister(self, check_id: str) -> bool:
        """Remove a check from the local agent (``PUT /v1/agent/check/deregister/:id``).

        An unknown check ID is not an error.
        """
        return self._put_ok(self._url('deregister', check_id))

    def ttl_pass(self, check_id: str, note: str | None = None) -> bool:
        """Set a TTL check to passing and restart its TTL (``PUT /v1/agent/check/pass/:id``).

        :param note: text stored as the check's ``Output``
        :raises consulate.exceptions.ServerError: not a TTL check, or no such check
        """
        return self._put_ok(self._url('pass', check_id), {'note': note})

    def ttl_warn(self, check_id: str, note: str | None = None) -> bool:
        """Set a TTL check to warning and restart its TTL (``PUT /v1/agent/check/warn/:id``).

        :param note: text stored as the check's ``Output``
        :raises consulate.exceptions.ServerError: not a TTL check, or no such check
        """
        return self._put_ok(self._url('warn', check_id), {'note': note})

    def ttl_fail(self, check_id: str, note: str | None = None) -> bool:
        """Set a TTL check to critical and restart its TTL (``PUT /v1/agent/check/fail/:id``).

        :param note: text stored as the check's ``Output``
        :raises consulate.exceptions.ServerError: not a TTL check, or no such check
        """
        return self._put_ok(self._url('fail', check_id), {'note': note})

    def update(self, check_id: str, status: str, output: str | None = None) -> bool:
        """Set a TTL check's status and output (``PUT /v1/agent/check/update/:id``).

        :param status: ``'passing'``, ``'warning'`` or ``'critical'``
        :raises consulate.exceptions.ValidationError: an unknown status
        :raises consulate.exceptions.ServerError: not a TTL check, or no such check
        """
        data = {'Status': _status(status), 'Output': output}
        return self._put_ok(self._url('update', check_id), data=_compact(data))


def check_definition(
    name: str | None,
    *,
    script: str | None = None,
    args: Iterable[str] | None = None,
    http: str | None = None,
    tcp: str | None = None,
    grpc: str | None = None,
    ttl: str | float | None = None,
    interval: str | float | None = None,
    check_id: str | None = None,
    notes: str | None = None,
    timeout: str | float | None = None,
    method: str | None = None,
    header: Header | None = None,
    tls_skip_verify: bool | None = None,
    grpc_use_tls: bool | None = None,
    service_id: str | None = None,
    status: str | None = None,
    deregister_critical_service_after: str | float | None = None,
) -> AgentCheckRegistration:
    """The JSON definition of a check, as Consul 1.x takes it, validated before anything is sent.

    The parameters are those of :meth:`Check.register`. A ``script`` is sent
    as ``Args`` (Consul 1.0+ no longer accepts ``Script``).

    :param name: the check's name (None inside a service definition)
    :raises consulate.exceptions.ValidationError: not exactly one of
        ``script``/``args``/``http``/``tcp``/``grpc``/``ttl``, an interval
        missing (or given with ``ttl``), or a value of the wrong type
    """
    kinds = {'script': script, 'args': args, 'http': http, 'tcp': tcp, 'grpc': grpc, 'ttl': ttl}
    validate_kinds([kind for kind in _KINDS if kinds[kind] is not None], interval)
    fields: dict[str, Any] = {
        'Name': name,
        'ID': check_id,
        'Args': _args(script, args),
        'HTTP': http,
        'TCP': tcp,
        'GRPC': grpc,
        'TTL': duration(ttl),
        'Interval': duration(interval),
        'Timeout': duration(timeout),
        'Notes': notes,
        'Method': method,
        'Header': _header(header),
        'TLSSkipVerify': tls_skip_verify,
        'GRPCUseTLS': grpc_use_tls,
        'ServiceID': service_id,
        'Status': None if status is None else _status(status),
        'DeregisterCriticalServiceAfter': duration(deregister_critical_service_after),
    }
    return cast('AgentCheckRegistration', _compact(fields))


def validate_kinds(
    given: list[str],
    interval: str | float | None,
    choices: str = 'script, args, http, tcp, grpc or ttl',
) -> None:
    """Check that exactly one check kind is ``given``, with an interval unless it is ``ttl``.

    :param given: the names of the check arguments that were set, as the caller spells them
    :param choices: the names of all the kinds, for the message
    :raises consulate.exceptions.ValidationError: the rule is broken
    """
    if not given:
        raise exceptions.ValidationError(f'a check needs one of {choices}')
    if len(given) > 1:
        raise exceptions.ValidationError(
            f'a check has one kind: give only one of {" / ".join(given)}'
        )
    if given[0] == 'ttl':
        if interval is not None:
            raise exceptions.ValidationError('a TTL check takes no interval')
    elif interval is None:
        raise exceptions.ValidationError(f'{given[0]} needs an interval')


def _status(status: str) -> str:
    if status not in CHECK_STATUSES:
        raise exceptions.ValidationError(
            f'status must be one of {", ".join(CHECK_STATUSES)}, not {status!r}'
        )
    return status


def _args(script: str | None, args: Iterable[str] | None) -> list[str] | None:
    if script is not None:
        if not isinstance(script, str):
            raise exceptions.ValidationError(f'script must be a command line, not {script!r}')
        args = shlex.split(script)
    if args is None:
        return None
    if isinstance(args, str):
        raise exceptions.ValidationError('args must be a list of strings, not a string')
    result = [str(arg) for arg in args]
    if not result:
        raise exceptions.ValidationError('a script check needs a command')
    return result


def _header(header: Header | None) -> dict[str, list[str]] | None:
    if header is None:
        return None
    return {
        key: [value] if isinstance(value, str) else list(value) for key, value in header.items()
    }


def _compact(fields: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in fields.items() if value is not None}
