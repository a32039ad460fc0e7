"""The :class:`Consul` facade: connection settings and lazily built endpoint objects."""

from __future__ import annotations

import os
from collections.abc import Mapping
from functools import cached_property
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import quote, urlsplit

from consulate import adapters, exceptions
from consulate.adapters.request import Request
from consulate.api.base import check_consistency
from consulate.constants import (
    API_VERSION,
    DEFAULT_ADDR,
    DEFAULT_HOST,
    DEFAULT_PORT,
    DEFAULT_SCHEME,
    DEFAULT_TOKEN,
    UNIX_SCHEME,
)

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
    from consulate.api.session import Session
    from consulate.api.snapshot import Snapshot
    from consulate.api.status import Status
    from consulate.api.txn import Txn
    from consulate.watch import Watch

__all__ = [
    'API_VERSION',
    'DEFAULT_ADDR',
    'DEFAULT_HOST',
    'DEFAULT_PORT',
    'DEFAULT_SCHEME',
    'DEFAULT_TOKEN',
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
        and a read answered with 429, 500, 502 or 504 (writes are never retried)
    :param consistency: the default consistency mode of reads:
        ``'default'``, ``'stale'`` or ``'consistent'``
    :param namespace: Consul Enterprise namespace, sent only when set
    :param partition: Consul Enterprise admin partition, sent only when set
    :param decode_json: decode KV values that hold JSON text into Python values
    :param tls_server_name: the name the server certificate must carry, when
        it differs from ``host``
    :param env: the environment to read instead of ``os.environ``
    :raises consulate.exceptions.ValidationError: an invalid address, setting or token file
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
        decode_json: bool = True,
        tls_server_name: str | None = None,
        env: Mapping[str, str] | None = None,
    ) -> None:
        environ: Mapping[str, str] = os.environ if env is None else env
        if addr is None and (host, port, scheme) == (DEFAULT_HOST, DEFAULT_PORT, DEFAULT_SCHEME):
            addr = environ.get('CONSUL_HTTP_ADDR') or None
        if addr is not None:
            scheme, host, port = parse_addr(addr)
        if scheme == 'http' and parse_bool(environ.get('CONSUL_HTTP_SSL'), 'CONSUL_HTTP_SSL'):
            scheme = 'https'
        if scheme not in ('http', 'https', UNIX_SCHEME):
            raise exceptions.ValidationError(
                f'unknown scheme {scheme!r}: use http, https or http+unix'
            )
        self.scheme = scheme
        self.host = host
        self.port = port
        self.datacenter = datacenter
        self._token = _resolve_token(token, token_file, environ)
        self._options: dict[str, Any] = {
            'consistency': check_consistency(consistency),
            'namespace': namespace or environ.get('CONSUL_NAMESPACE') or None,
            'partition': partition or environ.get('CONSUL_PARTITION') or None,
        }
        self._decode_json = decode_json
        self._base_uri = _base_uri(scheme, host, port)
        self._adapter = _make_adapter(
            adapter,
            scheme,
            timeout,
            _resolve_verify(verify, environ),
            _resolve_cert(cert, environ),
            retries,
            tls_server_name or environ.get('CONSUL_TLS_SERVER_NAME') or None,
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
        """Close the client's pooled connections."""
        self._adapter.close()

    @property
    def base_uri(self) -> str:
        """The URI every request starts with, for example ``http://localhost:8500/v1``."""
        return self._base_uri

    @property
    def adapter(self) -> adapters.Request:
        """The adapter every endpoint sends its requests through."""
        return self._adapter

    def _endpoint(self, cls: type[_E], **extra: Any) -> _E:
        return cls(
            self._base_uri, self._adapter, self.datacenter, self._token, **self._options, **extra
        )

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

        return self._endpoint(KV, decode_json=self._decode_json)

    @cached_property
    def lock(self) -> Lock:
        """Wrapper for easy KV locks (:class:`consulate.api.lock.Lock`).

        ::

            with consul.lock.acquire('my-key'):
                deploy(consul.lock.key)  # held until the block ends
        """
        from consulate.api.lock import Lock

        return self._endpoint(Lock, session=self.session)

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


def parse_addr(addr: str) -> tuple[str, str, int | None]:
    """Split a ``CONSUL_HTTP_ADDR`` value into ``(scheme, host, port)``.

    Accepts ``host:port``, ``http://host:port``, ``https://host:port`` and
    ``unix:///path/to.sock``; an address without a port gets Consul's
    default port, 8500.

    :raises consulate.exceptions.ValidationError: any other form
    """
    addr = addr.strip()
    if addr.startswith('unix://'):
        path = addr[len('unix://') :]
        if not path:
            raise exceptions.ValidationError(f'no socket path in address {addr!r}')
        return UNIX_SCHEME, path, None
    if '://' not in addr:
        addr = f'http://{addr}'
    parts = urlsplit(addr)
    if parts.scheme not in ('http', 'https'):
        raise exceptions.ValidationError(
            f'unknown protocol scheme {parts.scheme!r} in address {addr!r}'
        )
    if parts.path not in ('', '/'):
        raise exceptions.ValidationError(f'a Consul address cannot have a path: {addr!r}')
    try:
        port = parts.port
    except ValueError as error:
        raise exceptions.ValidationError(f'invalid port in address {addr!r}') from error
    if not parts.hostname:
        raise exceptions.ValidationError(f'no host in address {addr!r}')
    return parts.scheme, parts.hostname, port if port is not None else DEFAULT_PORT


def parse_bool(value: str | None, name: str = 'value') -> bool | None:
    """Parse a boolean the way Go's ``strconv.ParseBool`` does; None when unset or empty.

    :raises consulate.exceptions.ValidationError: not a boolean
    """
    if value is None or value == '':
        return None
    if value in ('1', 't', 'T', 'TRUE', 'true', 'True'):
        return True
    if value in ('0', 'f', 'F', 'FALSE', 'false', 'False'):
        return False
    raise exceptions.ValidationError(f'{name} must be true or false, not {value!r}')


def _base_uri(scheme: str, host: str, port: int | None) -> str:
    if scheme == UNIX_SCHEME:
        return f'{UNIX_SCHEME}://{quote(host, safe="")}/{API_VERSION}'
    if ':' in host and not host.startswith('['):
        host = f'[{host}]'
    netloc = host if port is None else f'{host}:{port}'
    return f'{scheme}://{netloc}/{API_VERSION}'


def _resolve_token(
    token: str | None, token_file: str | None, environ: Mapping[str, str]
) -> str | None:
    """An explicit token, else a token file (argument, then CONSUL_HTTP_TOKEN_FILE), else CONSUL_HTTP_TOKEN."""
    if token is not None:
        return token
    path = token_file or environ.get('CONSUL_HTTP_TOKEN_FILE')
    if path:
        try:
            with open(path, encoding='utf-8') as handle:
                content = handle.read().strip()
        except OSError as error:
            raise exceptions.ValidationError(
                f'cannot read the token file {path}: {error.strerror}'
            ) from error
        if content:
            return content
    return environ.get('CONSUL_HTTP_TOKEN') or None


def _resolve_verify(verify: bool | str, environ: Mapping[str, str]) -> bool | str:
    """An explicit False or CA path wins; else CONSUL_HTTP_SSL_VERIFY, CONSUL_CACERT, CONSUL_CAPATH.

    Only ``False`` itself turns verification off: None, ``''`` or 0 keep it on.
    """
    if verify is False or (verify and verify is not True):
        return verify
    if parse_bool(environ.get('CONSUL_HTTP_SSL_VERIFY'), 'CONSUL_HTTP_SSL_VERIFY') is False:
        return False
    return environ.get('CONSUL_CACERT') or environ.get('CONSUL_CAPATH') or True


def _resolve_cert(
    cert: str | tuple[str, str] | None, environ: Mapping[str, str]
) -> str | tuple[str, str] | None:
    if cert is not None:
        return cert
    cert_file = environ.get('CONSUL_CLIENT_CERT') or None
    key_file = environ.get('CONSUL_CLIENT_KEY') or None
    if bool(cert_file) != bool(key_file):
        raise exceptions.ValidationError(
            'both CONSUL_CLIENT_CERT and CONSUL_CLIENT_KEY must be set, or neither'
        )
    return (cert_file, key_file) if cert_file and key_file else None


def _make_adapter(
    adapter: type[adapters.Request] | adapters.Request | None,
    scheme: str,
    timeout: adapters.Timeout | None,
    verify: bool | str,
    cert: str | tuple[str, str] | None,
    retries: int,
    tls_server_name: str | None,
) -> adapters.Request:
    if isinstance(adapter, Request):  # the class itself: consulate.adapters.Request may be mocked
        return adapter
    if adapter is None:
        adapter = adapters.UnixSocketRequest if scheme == UNIX_SCHEME else adapters.Request
    return adapter(timeout, verify, cert, retries=retries, tls_server_name=tls_server_name)
