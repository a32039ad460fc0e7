"""Start and stop real Consul agents for tests: :class:`ConsulAgent` and :class:`ConsulCluster`.

consulate's own tests run against real agents started here, and so can
yours. Under pytest, the fixtures of :mod:`consulate.pytest_plugin`
(``consul_agent``, ``consul``) are there with nothing to configure; without
pytest::

    from consulate.testing import ConsulAgent

    with ConsulAgent(acl=True) as agent:
        consul = agent.client(token=agent.master_token)

The binary is ``$CONSUL_BIN``, else ``consul`` on PATH, else the one
``scripts/install-consul.sh`` installs into ``.consul/`` (on demand in a checkout).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import uuid
from pathlib import Path
from types import TracebackType
from typing import Any

from consulate import exceptions
from consulate.client import Consul

__all__ = ['ConsulAgent', 'ConsulCluster', 'consul_binary', 'free_ports']

_CHECKOUT = Path(__file__).resolve().parent.parent
_INSTALLER = _CHECKOUT / 'scripts' / 'install-consul.sh'


def consul_binary(install: bool = True) -> str:
    """The ``consul`` to run: ``$CONSUL_BIN``, ``consul`` on PATH, or the checkout's ``.consul/``.

    :param install: run the checkout's ``scripts/install-consul.sh`` when none of those exists
    :raises RuntimeError: ``$CONSUL_BIN`` is not an executable file, or none
        is found (and none could be installed)
    """
    explicit = os.environ.get('CONSUL_BIN')
    if explicit:
        if not (os.path.isfile(explicit) and os.access(explicit, os.X_OK)):
            raise RuntimeError(f'CONSUL_BIN={explicit} is not an executable file')
        return explicit
    on_path = shutil.which('consul')
    if on_path:
        return on_path
    installed = _CHECKOUT / '.consul' / 'bin' / 'consul'
    if installed.exists():
        return str(installed)
    if install and _INSTALLER.exists():
        result = subprocess.run(
            ['bash', str(_INSTALLER)], capture_output=True, text=True, check=False
        )
        if result.returncode == 0 and result.stdout.strip():
            return result.stdout.strip().splitlines()[-1]
        raise RuntimeError(f'installing Consul failed:\n{result.stderr}')
    raise RuntimeError('no consul binary: set CONSUL_BIN or put consul on PATH')


def free_ports(count: int) -> list[int]:
    """``count`` distinct TCP ports that are free on 127.0.0.1 right now."""
    with contextlib.ExitStack() as stack:
        sockets = [stack.enter_context(socket.socket()) for _ in range(count)]
        for sock in sockets:
            sock.bind(('127.0.0.1', 0))
        return [sock.getsockname()[1] for sock in sockets]


class ConsulAgent:
    """A real Consul agent on 127.0.0.1 with free ports, in a temporary directory.

    By default a dev-mode server (in-memory, its own leader), reachable over
    HTTP; options add an HTTPS listener with certificates made by
    ``consul tls``, a UNIX socket, and ACLs with a known management token.

    :param acl: enable ACLs (default policy deny) with :attr:`master_token`
    :param tls: serve HTTPS too, with a CA and certificates made by ``consul tls``
    :param unix_socket: serve HTTP on a UNIX socket too (:attr:`socket_path`)
    :param dev: run in dev mode; False runs a normal server (see ``config``)
    :param node_name: the node's name (default: a unique one)
    :param config: more agent configuration, merged over the defaults
    """

    def __init__(
        self,
        *,
        acl: bool = False,
        tls: bool = False,
        unix_socket: bool = False,
        dev: bool = True,
        node_name: str | None = None,
        datacenter: str = 'dc1',
        config: dict[str, Any] | None = None,
        ports: dict[str, int] | None = None,
    ) -> None:
        self.acl = acl
        self.tls = tls
        self.dev = dev
        self.datacenter = datacenter
        self.node_name = node_name or f'consulate-{uuid.uuid4().hex[:8]}'
        self.master_token = str(uuid.uuid4()) if acl else None
        self.directory = Path(tempfile.mkdtemp(prefix='consulate-agent-'))
        self.socket_path = str(self.directory / 'consul.sock') if unix_socket else None
        names = ('http', 'https', 'serf_lan', 'serf_wan', 'server')
        self.ports = dict(zip(names, free_ports(len(names)), strict=True)) | (ports or {})
        self.ca_file: str | None = None
        self.client_cert: tuple[str, str] | None = None
        self._extra = config or {}
        self._process: subprocess.Popen[bytes] | None = None
        self._log = self.directory / 'consul.log'

    def __repr__(self) -> str:
        return f'<ConsulAgent {self.node_name} http={self.http_addr}>'

    def __enter__(self) -> ConsulAgent:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def http_addr(self) -> str:
        """``127.0.0.1:<port>`` of the HTTP listener."""
        return f'127.0.0.1:{self.ports["http"]}'

    @property
    def https_addr(self) -> str:
        """``127.0.0.1:<port>`` of the HTTPS listener (with ``tls=True``)."""
        return f'127.0.0.1:{self.ports["https"]}'

    @property
    def pid(self) -> int | None:
        """The agent's process id while it runs."""
        return self._process.pid if self._process else None

    def client(self, transport: str = 'http', **kwargs: Any) -> Consul:
        """A :class:`~consulate.Consul` client of this agent over ``http``, ``https`` or ``unix``.

        The environment is not read (``env={}``) unless ``env`` is passed.
        """
        kwargs.setdefault('env', {})
        if transport == 'http':
            return Consul(addr=f'http://{self.http_addr}', **kwargs)
        if transport == 'https':
            kwargs.setdefault('verify', self.ca_file)
            return Consul(addr=f'https://{self.https_addr}', **kwargs)
        if transport == 'unix':
            return Consul(addr=f'unix://{self.socket_path}', **kwargs)
        raise ValueError(f'unknown transport {transport!r}')

    def agent_config(self) -> dict[str, Any]:
        """The configuration the agent is started with."""
        http = '127.0.0.1' + (f' unix://{self.socket_path}' if self.socket_path else '')
        config: dict[str, Any] = {
            'datacenter': self.datacenter,
            'node_name': self.node_name,
            'bind_addr': '127.0.0.1',
            'client_addr': '127.0.0.1',
            'addresses': {'http': http},
            'ports': {
                'http': self.ports['http'],
                'https': self.ports['https'] if self.tls else -1,
                'serf_lan': self.ports['serf_lan'],
                'serf_wan': self.ports['serf_wan'],
                'server': self.ports['server'],
                'dns': -1,
                'grpc': -1,
            },
            'log_level': 'warn',
            'disable_update_check': True,
            'enable_script_checks': True,
            'performance': {'raft_multiplier': 1},
        }
        if self.acl:
            config['primary_datacenter'] = self.datacenter
            config['acl'] = {
                'enabled': True,
                'default_policy': 'deny',
                'down_policy': 'extend-cache',
                'tokens': {'master': self.master_token, 'agent': self.master_token},
            }
        if self.tls:
            config.update(self._make_certificates())
        return _merge(config, self._extra)

    def start(self, timeout: float = 60.0) -> ConsulAgent:
        """Start the agent and wait until it has a leader and its node is registered."""
        config_file = self.directory / 'agent.json'
        config_file.write_text(json.dumps(self.agent_config(), indent=2))
        command = [consul_binary(), 'agent', f'-config-file={config_file}']
        command.append('-dev' if self.dev else f'-data-dir={self.directory / "data"}')
        with open(self._log, 'ab') as log:
            self._process = subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        try:
            self.wait_ready(timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def wait_ready(self, timeout: float = 60.0) -> None:
        """Wait until the agent answers, knows a leader and has registered its own node."""
        deadline = time.monotonic() + timeout
        consul = self.client(token=self.master_token, timeout=(1.0, 5.0))
        try:
            while True:
                if self._process is not None and self._process.poll() is not None:
                    raise RuntimeError(
                        f'consul exited with {self._process.returncode}:\n{self.log()}'
                    )
                with contextlib.suppress(exceptions.ConsulateException):
                    if consul.status.leader() and self._node_registered(consul):
                        return
                if time.monotonic() > deadline:
                    raise RuntimeError(f'consul did not become ready in {timeout}s:\n{self.log()}')
                time.sleep(0.05)
        finally:
            consul.close()

    def _node_registered(self, consul: Consul) -> bool:
        response = consul.adapter.get(
            f'{consul.base_uri}/catalog/node/{self.node_name}', token=self.master_token
        )
        return response.status_code == 200 and response.json() is not None

    def stop(self, kill: bool = False) -> None:
        """Stop the agent (SIGINT, or SIGKILL with ``kill``) and remove its directory."""
        self.halt(kill)
        shutil.rmtree(self.directory, ignore_errors=True)

    def halt(self, kill: bool = False) -> None:
        """Stop the agent's process but keep its directory, so it can be started again."""
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGKILL if kill else signal.SIGINT)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def log(self) -> str:
        """What the agent has written to its log so far."""
        try:
            return self._log.read_text(errors='replace')
        except OSError:
            return ''

    def _make_certificates(self) -> dict[str, Any]:
        """A CA, a server and a client certificate made by ``consul tls``."""
        tls_dir = self.directory / 'tls'
        fresh = not tls_dir.exists()  # a restarted agent (halt(), start()) keeps its certificates
        tls_dir.mkdir(exist_ok=True)
        binary = consul_binary()
        for args in (
            ['tls', 'ca', 'create'],
            ['tls', 'cert', 'create', '-server', f'-dc={self.datacenter}'],
            ['tls', 'cert', 'create', '-client', f'-dc={self.datacenter}'],
        ):
            if fresh:
                subprocess.run([binary, *args], cwd=tls_dir, check=True, capture_output=True)
        dc = self.datacenter
        self.ca_file = str(tls_dir / 'consul-agent-ca.pem')
        self.client_cert = (
            str(tls_dir / f'{dc}-client-consul-0.pem'),
            str(tls_dir / f'{dc}-client-consul-0-key.pem'),
        )
        return {
            'ca_file': self.ca_file,
            'cert_file': str(tls_dir / f'{dc}-server-consul-0.pem'),
            'key_file': str(tls_dir / f'{dc}-server-consul-0-key.pem'),
            'verify_incoming': False,
            'verify_outgoing': False,
        }


def _merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


class ConsulCluster:
    """A cluster of Consul servers (three by default) on 127.0.0.1, for failover tests.

    .. not-run: starts a three-server cluster (the testing guide's example starts one)

    Each server is a :class:`ConsulAgent` (not in dev mode: it keeps its
    data directory) with its own free ports, ``bootstrap_expect`` set to the
    cluster's size, ``retry_join`` to the others and ``raft_multiplier=1``,
    so a new leader is elected about 2 s after the old one dies::

        with ConsulCluster() as cluster:
            follower = cluster.followers()[0].client(consistency='stale')
            cluster.kill_leader()                  # SIGKILL
            follower.kv.get('key')                 # a stale read still answers
            cluster.wait_for_leader()

    :param size: the number of servers
    :param config: more agent configuration for every server
    """

    def __init__(
        self, size: int = 3, *, datacenter: str = 'dc1', config: dict[str, Any] | None = None
    ) -> None:
        names = ('http', 'https', 'serf_lan', 'serf_wan', 'server')
        ports = free_ports(len(names) * size)
        port_sets = [
            dict(zip(names, ports[i * len(names) : (i + 1) * len(names)], strict=True))
            for i in range(size)
        ]
        prefix = f'consulate-{uuid.uuid4().hex[:6]}'
        self.nodes: list[ConsulAgent] = []
        for number, node_ports in enumerate(port_sets, 1):
            joins = [f'127.0.0.1:{p["serf_lan"]}' for p in port_sets if p is not node_ports]
            server = {'server': True, 'bootstrap_expect': size, 'retry_join': joins}
            self.nodes.append(
                ConsulAgent(
                    dev=False,
                    node_name=f'{prefix}-s{number}',
                    datacenter=datacenter,
                    ports=node_ports,
                    config=_merge(server, config or {}),
                )
            )

    def __repr__(self) -> str:
        return f'<ConsulCluster {", ".join(node.http_addr for node in self.nodes)}>'

    def __enter__(self) -> ConsulCluster:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self, timeout: float = 60.0) -> ConsulCluster:
        """Start every server at once and wait until each knows the same leader."""
        self._start_all(self.nodes, timeout)
        self.wait_for_leader(timeout)
        return self

    def stop(self) -> None:
        """Stop every server and remove their directories."""
        for node in self.nodes:
            node.stop()

    def running(self) -> list[ConsulAgent]:
        """The servers whose process runs."""
        return [node for node in self.nodes if node.pid is not None]

    def leader(self) -> ConsulAgent | None:
        """The server the running servers agree is the leader, or None."""
        addresses = {self._leader_seen_by(node) for node in self.running()}
        if len(addresses) != 1:
            return None
        address = addresses.pop()
        for node in self.running():
            if address == f'127.0.0.1:{node.ports["server"]}':
                return node
        return None

    def followers(self) -> list[ConsulAgent]:
        """The running servers that are not the leader."""
        leader = self.leader()
        return [node for node in self.running() if node is not leader]

    def wait_for_leader(self, timeout: float = 60.0) -> ConsulAgent:
        """Wait until the running servers agree on a running leader, and return it.

        :raises RuntimeError: no leader within ``timeout`` seconds
        """
        deadline = time.monotonic() + timeout
        while True:
            leader = self.leader()
            if leader is not None:
                return leader
            if time.monotonic() > deadline:
                raise RuntimeError(f'the cluster has no leader after {timeout}s')
            time.sleep(0.05)

    def kill_leader(self) -> ConsulAgent:
        """SIGKILL the current leader (its data directory is kept); return it.

        :raises RuntimeError: the cluster has no leader
        """
        leader = self.leader()
        if leader is None:
            raise RuntimeError('the cluster has no leader to kill')
        leader.halt(kill=True)
        return leader

    def restart(self, *nodes: ConsulAgent, timeout: float = 60.0) -> None:
        """Start stopped servers again with their data directories; wait until they are ready."""
        self._start_all(list(nodes), timeout)

    @staticmethod
    def _start_all(nodes: list[ConsulAgent], timeout: float) -> None:
        # Each start() waits for a leader, which needs the others: start them together.
        errors: list[BaseException] = []

        def start(node: ConsulAgent) -> None:
            try:
                node.start(timeout)
            except BaseException as error:  # re-raised below, in the calling thread
                errors.append(error)

        threads = [threading.Thread(target=start, args=(node,)) for node in nodes]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if errors:
            raise errors[0]

    @staticmethod
    def _leader_seen_by(node: ConsulAgent) -> str:
        """The leader's server address as ``node`` sees it ('' when it knows none)."""
        with node.client(timeout=(1.0, 2.0)) as consul:
            try:
                return consul.status.leader()
            except exceptions.ConsulateException:
                return ''
