"""A service's whole life on the local agent: ``consul.agent.service.registered(...)``.

::

    with consul.agent.service.registered('web', port=8080, ttl='10s') as web:
        ...                               # serve: the check passes every 10/3 s meanwhile
        web.warn('shedding load')         # the next reports say "warning"
    # deregistered here, however the block was left

A :class:`Registration` registers the service with a TTL check
(``service:<id>``), reports the check's status every TTL/3 from a daemon
thread, registers the service again when the agent has forgotten it (an
agent restarted without its data answers that the check is unknown), and
deregisters it when the block ends. If the process dies instead, the check
turns critical when its TTL runs out and Consul deregisters the service
``deregister_after`` later.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterable
from types import TracebackType
from typing import TYPE_CHECKING, Any

from consulate import exceptions
from consulate.api.base import duration_seconds

if TYPE_CHECKING:
    from consulate.api.agent import check as check_endpoint
    from consulate.api.agent import service as service_endpoint

__all__ = ['Registration']

LOGGER = logging.getLogger('consulate')

#: The errors that mean the agent no longer knows the check: 1.8 answers 500
#: (``CheckID ... does not have associated TTL``), newer agents 404.
_FORGOTTEN = (exceptions.ServerError, exceptions.NotFound)


class Registration:
    """A service registered with a TTL check that a daemon thread keeps reporting.

    Made by :meth:`consulate.api.agent.service.Service.registered`; enter it
    (or call :meth:`start`) to register, leave it (or call :meth:`stop`) to
    deregister. The reports say ``passing`` until :meth:`warn`, :meth:`fail`
    or :meth:`pass_` choose another status; each of those reports at once.
    Errors of the heartbeat are logged and kept in :attr:`last_error`; the
    heartbeat goes on.
    """

    def __init__(
        self,
        service: service_endpoint.Service,
        check: check_endpoint.Check,
        name: str,
        *,
        port: int | None,
        service_id: str | None,
        tags: Iterable[str] | None,
        ttl: str | float,
        deregister_after: str | float | None,
        register_options: dict[str, Any],
    ) -> None:
        seconds = duration_seconds(ttl)
        if seconds <= 0:
            raise exceptions.ValidationError(f'ttl must be positive, not {ttl!r}')
        #: The service's name.
        self.name = name
        #: The service's ID on the agent.
        self.service_id = service_id or name
        #: The TTL check's ID, ``service:<service_id>``.
        self.check_id = f'service:{self.service_id}'
        #: Seconds between two reports: a third of the TTL.
        self.interval = seconds / 3
        #: How often the service was registered again because the agent had forgotten it.
        self.reregistrations = 0
        #: The error of the last report, or None since a report worked.
        self.last_error: BaseException | None = None
        self._service = service
        self._check = check
        self._definition: dict[str, Any] = {
            'port': port,
            'tags': None if tags is None else list(tags),
            'ttl': ttl,
            'deregister_critical_service_after': deregister_after,
            **register_options,
        }
        self._report = ('passing', '')
        self._state = threading.Lock()  # guards _report
        self._life = threading.Lock()  # one report at a time; none after stop()
        self._wake = threading.Event()
        self._running = False
        self._pid = os.getpid()  # the process that registered: a child after fork() does not own it
        self._thread: threading.Thread | None = None

    def __repr__(self) -> str:
        state = 'registered' if self._running else 'not registered'
        return f'<Registration {self.service_id} {state} {self.status}>'

    def __enter__(self) -> Registration:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            self.stop()
        except exceptions.ConsulateException:
            if exc_type is None:
                raise
            LOGGER.warning('could not deregister %s', self.service_id, exc_info=True)

    @property
    def status(self) -> str:
        """The status the heartbeat reports: ``'passing'``, ``'warning'`` or ``'critical'``."""
        return self._report[0]

    def start(self) -> Registration:
        """Register the service, report its status, and start the heartbeat; return self.

        ``PUT /v1/agent/service/register``, then ``PUT /v1/agent/check/update/:id``.

        :raises consulate.exceptions.ValidationError: a bad service definition
        :raises consulate.exceptions.ConsulateException: the agent refused or
            could not be reached; nothing is left registered
        """
        with self._life:
            if self._running:
                return self
            self._register()
            try:
                self._send()
            except exceptions.ConsulateException:
                self._service.deregister(self.service_id)
                raise
            self._running = True
            self._pid = os.getpid()
            self._thread = threading.Thread(
                target=self._beat, name=f'consulate-heartbeat {self.service_id}', daemon=True
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop the heartbeat and deregister the service (``PUT /v1/agent/service/deregister/:id``).

        Waits for a report in progress, so that nothing registers the service
        again afterwards.

        In a child process made by :func:`os.fork` after the service was
        registered it does nothing: the registration, and its heartbeat, are the parent's.

        :raises consulate.exceptions.ConsulateException: the agent could not
            be reached or refused (the heartbeat is stopped all the same)
        """
        if os.getpid() != self._pid:
            return
        with self._life:
            if not self._running:
                return
            self._running = False
            self._wake.set()
            self._service.deregister(self.service_id)

    def pass_(self, note: str | None = None) -> None:
        """Report ``passing`` from now on, with ``note`` as the check's output; reports at once."""
        self._set('passing', note)

    def warn(self, note: str | None = None) -> None:
        """Report ``warning`` from now on, with ``note`` as the check's output; reports at once."""
        self._set('warning', note)

    def fail(self, note: str | None = None) -> None:
        """Report ``critical`` from now on, with ``note`` as the check's output; reports at once."""
        self._set('critical', note)

    def _set(self, status: str, note: str | None) -> None:
        with self._state:
            self._report = (status, note or '')
        self._wake.set()

    def _register(self) -> None:
        self._service.register(self.name, self.service_id, **self._definition)

    def _send(self) -> None:
        with self._state:
            status, note = self._report
        self._check.update(self.check_id, status, note)

    def _beat(self) -> None:
        """The heartbeat thread: report every :attr:`interval`, or at once when woken."""
        while True:
            self._wake.wait(self.interval)
            self._wake.clear()
            with self._life:
                if not self._running:
                    return
                try:
                    self._report_once()
                    self.last_error = None
                except exceptions.ConsulateException as error:
                    if self.last_error is None:
                        LOGGER.warning('heartbeat of %s failed: %s', self.service_id, error)
                    self.last_error = error

    def _report_once(self) -> None:
        """Report the status; register the service again first if the agent forgot it."""
        try:
            self._send()
        except _FORGOTTEN:
            self._register()
            self.reregistrations += 1
            LOGGER.warning('the agent had forgotten %s: registered it again', self.service_id)
            self._send()
