"""The :class:`Consul` facade: connection settings and lazily built endpoint objects."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cached_property
from types import TracebackType
from typing import TYPE_CHECKING, TypeVar

from consulate import adapters
from consulate.adapters.request import Request
from consulate.adapters.transport import Transport
from consulate.api.base import Context
from consulate.config import (
    API_VERSION,
    DEFAULT_HOST,
    DEFAULT_PORT,
    DEFAULT_SCHEME,
    UNIX_SCHEME,
    parse_addr,
    parse_bool,
)
from consulate.config import Config as ClientConfig
from consulate.constants import DEFAULT_ADDR, DEFAULT_TOKEN

if TYPE_CHECKING:
    from consulate.api.acl import ACL
    from consulate.api.agent import Agent
    from consulate.api.base import Endpoint
    from consulate.api.catalog import Catalog
    from consulate.api.config import Config
    from consulate.api.connect import Connect
    from consulate.api.coordinate import Coordinate
    from consulate.api.discovery_chain import DiscoveryChain
    from consulate.api.event import Event
    from consulate.api.exported_services import ExportedServices
    from consulate.api.health import Health
    from consulate.api.imported_services import ImportedServices
    from consulate.api.kv import KV
    from consulate.api.lock import Lock
    from consulate.api.namespace import Namespaces
    from consulate.api.operator import Operator
    from consulate.api.partition import Partitions
    from consulate.api.peering import Peerings
    from consulate.api.query import Query
    from consulate.api.semaphore import Semaphore
    from consulate.api.session import Session
    from consulate.api.snapshot import Snapshot
    from consulate.api.status import Status
    from consulate.api.txn import Txn
    from consulate.cache import Caches
    from consulate.watch import Watch

__all__ = [
    'API_VERSION',
    'DEFAULT_ADDR',
    'DEFAULT_HOST',
    'DEFAULT_PORT',
    'DEFAULT_SCHEME',
    'DEFAULT_TOKEN',
    'UNIX_SCHEME',
    'Consul',
    'parse_addr',
    'parse_bool',
]

_E = TypeVar('_E', bound='Endpoint')


class Consul:
    """Access the Consul HTTP API.

    ``Consul()`` talks to ``localhost:8500`` over HTTP, or to what the Consul
    CLI's environment variables name. Arguments left out fall back to
    ``CONSUL_HTTP_ADDR`` (``host:port``, ``http(s)://host:port`` or
    ``unix:///path``), ``CONSUL_HTTP_TOKEN_FILE`` and ``CONSUL_HTTP_TOKEN``,
    ``CONSUL_HTTP_SSL``, ``CONSUL_HTTP_SSL_VERIFY``, ``CONSUL_CACERT``,
    ``CONSUL_CAPATH``, ``CONSUL_CLIENT_CERT`` / ``CONSUL_CLIENT_KEY``,
    ``CONSUL_TLS_SERVER_NAME``, ``CONSUL_NAMESPACE`` and ``CONSUL_PARTITION``,
    read when the client is built. Explicit arguments always win;
    ``CONSUL_HTTP_ADDR`` is used when ``host``, ``port`` and ``scheme`` are
    all left at their defaults.

    To reach Consul over a UNIX socket::

        consul = consulate.Consul('/path/to/socket', None, scheme='http+unix',
                                  adapter=consulate.adapters.UnixSocketRequest)

    The endpoint attributes (:attr:`kv`, :attr:`agent`, ...) are built on
    first use and share one adapter, so one pool of keep-alive connections
    serves the client. Use it as a context manager, or call :meth:`close`,
    to close those connections.

    :param host: the host name, or the socket path with ``scheme='http+unix'``
    :param port: the port (None for a UNIX socket)
    :param datacenter: the datacenter sent with requests that accept one
    :param token: the ACL token, sent in the ``X-Consul-Token`` header
    :param scheme: ``'http'``, ``'https'`` or ``'http+unix'``
    :param adapter: the :class:`~consulate.adapters.Request` class (or
        instance) that sends requests
    :param verify: verify the server's TLS certificate: True, False, or the
        path of a CA bundle (or a directory of CA certificates)
    :param cert: a client certificate: a PEM path, or ``(cert_path, key_path)``
    :param addr: a Consul address in the ``CONSUL_HTTP_ADDR`` forms; wins
        over ``host``, ``port`` and ``scheme``
    :param token_file: a file holding the ACL token (used when ``token`` is not given)
    :param timeout: seconds, or ``(connect, read)``; default ``(5, 30)``
    :param retries: how often to retry a request that could not be sent,
        and a read answered with 429, 500, 502 or 504 or whose connection
        broke (a write that may have been sent is never retried)
    :param pool_size: idle connections kept for ordinary requests (default
        32: size it to the threads sharing the client); blocking queries,
        watches and streams use connections of their own, so they never
        make ordinary calls wait
    :param session: send every request through this :class:`requests.Session`
        (with its adapters, auth, hooks, proxies and retries) instead of one
        consulate builds; consulate never closes it
    :param transport: send every request through this object instead of
        requests: anything with ``send(WireRequest) -> RawResponse`` and
        ``close()`` (see :mod:`consulate.adapters.transport`); for tests
    :param consistency: the default consistency mode of reads:
        ``'default'``, ``'stale'`` or ``'consistent'``
    :param namespace: Consul Enterprise namespace, sent only when set
    :param partition: Consul Enterprise admin partition, sent only when set
    :param decode_json: decode KV values that hold JSON text into Python values
        (``'true'`` read back as ``True``); off by default, as in consulate 0.6.0:
        a value comes back as the stored text (``str``, or ``bytes`` when not UTF-8)
    :param tls_server_name: the name the server certificate must carry, when
        it differs from ``host``
    :param env: the environment to read instead of ``os.environ``
    :raises consulate.exceptions.ValidationError: an invalid address, argument or token
        file, found when the client is built, before anything is sent (``timeout=-1``,
        ``port='abc'``, a blank ``host``...); the message names the argument
    """

    def __init__(
        self,
        host: str = DEFAULT_HOST,
        port: int | None = DEFAULT_PORT,
        datacenter: str | None = None,
        token: str | None = None,
        scheme: str = DEFAULT_SCHEME,
        adapter: type[adapters.Request] | adapters.Request | None = None,
        verify: bool | str = True,
        cert: str | tuple[str, str] | None = None,
        *,
        addr: str | None = None,
        token_file: str | None = None,
        timeout: adapters.Timeout | None = None,
        retries: int = 0,
        consistency: str | None = None,
        namespace: str | None = None,
        partition: str | None = None,
        decode_json: bool = False,
        tls_server_name: str | None = None,
        env: Mapping[str, str] | None = None,
        pool_size: int | None = None,
        session: adapters.RequestsSession | None = None,
        transport: Transport | None = None,
    ) -> None:
        config = ClientConfig.build(
            host,
            port,
            datacenter,
            token,
            scheme,
            verify,
            cert,
            addr=addr,
            token_file=token_file,
            timeout=timeout,
            retries=retries,
            pool_size=pool_size,
            consistency=consistency,
            namespace=namespace,
            partition=partition,
            tls_server_name=tls_server_name,
            env=env,
        )
        self.scheme = config.scheme
        self.host = config.host
        self.port = config.port
        self.datacenter = datacenter
        self._config = config
        self._base_uri = config.base_uri
        self._adapter = _make_adapter(adapter, config, transport, session)
        self._context = Context(
            config.base_uri,
            self._adapter,
            datacenter,
            config.token,
            config.consistency,
            config.namespace,
            config.partition,
            decode_json,
        )

    def __repr__(self) -> str:
        return f'<Consul {self._base_uri}>'

    def __enter__(self) -> Consul:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the client's connections, and end its watchers', caches' and locks' long polls.

        Returns within a second, and leaves no connection open: a long poll in
        flight is ended (its thread stops), watchers and live caches made from
        this client stop. The client stays usable: a later call opens new
        connections.
        """
        self._adapter.close()

    @property
    def base_uri(self) -> str:
        """The URI every request starts with, for example ``http://localhost:8500/v1``."""
        return self._base_uri

    @property
    def adapter(self) -> adapters.Request:
        """The adapter every endpoint sends its requests through."""
        return self._adapter

    def _endpoint(self, cls: type[_E]) -> _E:
        return cls(self._context, self._adapter)

    @cached_property
    def acl(self) -> ACL:
        """Access the Consul ACL API (:class:`consulate.api.acl.ACL`)."""
        from consulate.api.acl import ACL

        return self._endpoint(ACL)

    @cached_property
    def agent(self) -> Agent:
        """Access the Consul Agent API (:class:`consulate.api.agent.Agent`)."""
        from consulate.api.agent import Agent

        return self._endpoint(Agent)

    @cached_property
    def catalog(self) -> Catalog:
        """Access the Consul Catalog API (:class:`consulate.api.catalog.Catalog`)."""
        from consulate.api.catalog import Catalog

        return self._endpoint(Catalog)

    @cached_property
    def event(self) -> Event:
        """Access the Consul Events API (:class:`consulate.api.event.Event`)."""
        from consulate.api.event import Event

        return self._endpoint(Event)

    @cached_property
    def health(self) -> Health:
        """Access the Consul Health API (:class:`consulate.api.health.Health`)."""
        from consulate.api.health import Health

        return self._endpoint(Health)

    @cached_property
    def kv(self) -> KV:
        """Access the Consul KV API (:class:`consulate.api.kv.KV`)."""
        from consulate.api.kv import KV

        return self._endpoint(KV)

    @cached_property
    def lock(self) -> Lock:
        """Wrapper for easy KV locks (:class:`consulate.api.lock.Lock`).

        ::

            with consul.lock.acquire('my-key'):
                print('deploying under', consul.lock.key)  # held until the block ends
        """
        from consulate.api.lock import Lock

        return Lock(
            self._context, self._adapter, session=self.session, kv=self.kv, transactions=self.txn
        )

    @cached_property
    def semaphore(self) -> Semaphore:
        """Semaphores on KV prefixes (:class:`consulate.api.semaphore.Semaphore`).

        ::

            with consul.semaphore.acquire('jobs/reindex', 2, blocking=True):
                ...  # at most two holders at once, ``consul lock -n 2`` included
        """
        from consulate.api.semaphore import Semaphore

        return Semaphore(
            self._context, self._adapter, session=self.session, kv=self.kv, transactions=self.txn
        )

    @cached_property
    def session(self) -> Session:
        """Access the Consul Session API (:class:`consulate.api.session.Session`)."""
        from consulate.api.session import Session

        return self._endpoint(Session)

    @cached_property
    def status(self) -> Status:
        """Access the Consul Status API (:class:`consulate.api.status.Status`)."""
        from consulate.api.status import Status

        return self._endpoint(Status)

    @cached_property
    def txn(self) -> Txn:
        """Run atomic transactions (:class:`consulate.api.txn.Txn`)."""
        from consulate.api.txn import Txn

        return self._endpoint(Txn)

    @cached_property
    def watch(self) -> Watch:
        """Follow changes with blocking queries (:class:`consulate.watch.Watch`)."""
        from consulate.watch import Watch

        return Watch(self)

    @cached_property
    def cache(self) -> Caches:
        """Keep services, KV prefixes and the service list current (:class:`consulate.cache.Caches`)."""
        from consulate.cache import Caches

        return Caches(self)

    @cached_property
    def coordinate(self) -> Coordinate:
        """Access network coordinates (:class:`consulate.api.coordinate.Coordinate`)."""
        from consulate.api.coordinate import Coordinate

        return self._endpoint(Coordinate)

    @cached_property
    def operator(self) -> Operator:
        """Access the Operator API (:class:`consulate.api.operator.Operator`)."""
        from consulate.api.operator import Operator

        return self._endpoint(Operator)

    @cached_property
    def snapshot(self) -> Snapshot:
        """Save and restore snapshots (:class:`consulate.api.snapshot.Snapshot`)."""
        from consulate.api.snapshot import Snapshot

        return self._endpoint(Snapshot)

    @cached_property
    def query(self) -> Query:
        """Access prepared queries (:class:`consulate.api.query.Query`)."""
        from consulate.api.query import Query

        return self._endpoint(Query)

    @cached_property
    def config(self) -> Config:
        """Access config entries (:class:`consulate.api.config.Config`)."""
        from consulate.api.config import Config

        return self._endpoint(Config)

    @cached_property
    def connect(self) -> Connect:
        """Access Connect CA and intentions (:class:`consulate.api.connect.Connect`)."""
        from consulate.api.connect import Connect

        return self._endpoint(Connect)

    @cached_property
    def discovery_chain(self) -> DiscoveryChain:
        """Read compiled discovery chains (:class:`consulate.api.discovery_chain.DiscoveryChain`)."""
        from consulate.api.discovery_chain import DiscoveryChain

        return self._endpoint(DiscoveryChain)

    @cached_property
    def exported_services(self) -> ExportedServices:
        """List exported services, Consul 1.17.3+ (:class:`consulate.api.exported_services.ExportedServices`)."""
        from consulate.api.exported_services import ExportedServices

        return self._endpoint(ExportedServices)

    @cached_property
    def imported_services(self) -> ImportedServices:
        """List imported services (:class:`consulate.api.imported_services.ImportedServices`)."""
        from consulate.api.imported_services import ImportedServices

        return self._endpoint(ImportedServices)

    @cached_property
    def namespaces(self) -> Namespaces:
        """Manage namespaces, Enterprise (:class:`consulate.api.namespace.Namespaces`)."""
        from consulate.api.namespace import Namespaces

        return self._endpoint(Namespaces)

    @cached_property
    def partitions(self) -> Partitions:
        """Manage admin partitions, Enterprise (:class:`consulate.api.partition.Partitions`)."""
        from consulate.api.partition import Partitions

        return self._endpoint(Partitions)

    @cached_property
    def peerings(self) -> Peerings:
        """Manage cluster peerings, Consul 1.13+ (:class:`consulate.api.peering.Peerings`)."""
        from consulate.api.peering import Peerings

        return self._endpoint(Peerings)


def _make_adapter(
    adapter: type[adapters.Request] | adapters.Request | None,
    config: ClientConfig,
    transport: Transport | None,
    session: adapters.RequestsSession | None,
) -> adapters.Request:
    if isinstance(adapter, Request):  # the class itself: consulate.adapters.Request may be mocked
        return adapter
    if adapter is None:
        adapter = adapters.UnixSocketRequest if config.scheme == UNIX_SCHEME else adapters.Request
    return adapter(
        config.timeout,
        config.verify,
        config.cert,
        retries=config.retries,
        tls_server_name=config.tls_server_name,
        pool_size=config.pool_size,
        config=config,
        transport=transport,
        session=session,
    )
