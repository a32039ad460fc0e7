"""The one reader of the environment: a client's arguments plus the environment -> :class:`Config`.

The Consul CLI's variables (``CONSUL_HTTP_ADDR``, ``CONSUL_HTTP_TOKEN``,
``CONSUL_HTTP_TOKEN_FILE``, ``CONSUL_HTTP_SSL``, ``CONSUL_HTTP_SSL_VERIFY``,
``CONSUL_CACERT``, ``CONSUL_CAPATH``, ``CONSUL_CLIENT_CERT``,
``CONSUL_CLIENT_KEY``, ``CONSUL_TLS_SERVER_NAME``, ``CONSUL_NAMESPACE``,
``CONSUL_PARTITION``) keep their meanings; requests' CA bundle variables
(``REQUESTS_CA_BUNDLE``, ``CURL_CA_BUNDLE``) and the proxy variables
(``HTTP_PROXY``, ``HTTPS_PROXY``, ``NO_PROXY``, in either case) are honoured as
requests honours them. Everything is read from the mapping the caller passes
(``Consul(env=...)``), or from :data:`os.environ` when none is given, at the
moment a client is built: never at import time, and never again afterwards.
Explicit arguments always win.
"""

from __future__ import annotations

import os
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from consulate import exceptions

__all__ = [
    'API_VERSION',
    'DEFAULT_HOST',
    'DEFAULT_POOL_SIZE',
    'DEFAULT_PORT',
    'DEFAULT_SCHEME',
    'DEFAULT_TIMEOUT',
    'UNIX_SCHEME',
    'Config',
    'Timeout',
    'base_uri',
    'parse_addr',
    'parse_bool',
    'proxies_for',
    'resolve_cert',
    'resolve_token',
    'resolve_verify',
]

API_VERSION = 'v1'
DEFAULT_HOST = 'localhost'
DEFAULT_PORT = 8500
DEFAULT_SCHEME = 'http'
UNIX_SCHEME = 'http+unix'

#: A timeout in seconds: one number for both phases, or ``(connect, read)``.
Timeout = float | tuple[float, float]
#: Connect and read timeouts, in seconds, used when none is given.
DEFAULT_TIMEOUT: tuple[float, float] = (5.0, 30.0)
#: Idle connections a client keeps for ordinary requests (long polls have their own).
DEFAULT_POOL_SIZE = 32


@dataclass(frozen=True)
class Config:
    """Everything a client needs to know, resolved once from its arguments and the environment.

    :ivar base_uri: ``http://host:port/v1``, or ``http+unix://<quoted path>/v1``
    :ivar verify: True (the CA bundle below, or the default one), False, or a CA path
    :ivar ca_bundle: the CA bundle the environment names for ``verify=True``, if any
    :ivar proxies: the proxy variables of the environment, by scheme (``'no'``: NO_PROXY)
    """

    scheme: str
    host: str
    port: int | None
    base_uri: str
    datacenter: str | None
    token: str | None
    consistency: str | None
    namespace: str | None
    partition: str | None
    timeout: Timeout
    retries: int
    pool_size: int
    verify: bool | str
    ca_bundle: str | None
    cert: str | tuple[str, str] | None
    tls_server_name: str | None
    proxies: Mapping[str, str]

    @classmethod
    def build(
        cls,
        host: str = DEFAULT_HOST,
        port: int | None = DEFAULT_PORT,
        datacenter: str | None = None,
        token: str | None = None,
        scheme: str = DEFAULT_SCHEME,
        verify: bool | str = True,
        cert: str | tuple[str, str] | None = None,
        *,
        addr: str | None = None,
        token_file: str | None = None,
        timeout: Timeout | None = None,
        retries: int = 0,
        pool_size: int | None = None,
        consistency: str | None = None,
        namespace: str | None = None,
        partition: str | None = None,
        tls_server_name: str | None = None,
        env: Mapping[str, str] | None = None,
    ) -> Config:
        """Resolve a client's arguments against ``env`` (default: :data:`os.environ`).

        ``CONSUL_HTTP_ADDR`` is used when ``host``, ``port`` and ``scheme`` are
        all left at their defaults and ``addr`` is not given. Every argument is
        checked here, before anything is sent: a wrong type or value (``timeout=-1``,
        ``port='abc'``, a blank ``host``) is refused with a message naming it.

        :raises consulate.exceptions.ValidationError: an invalid address, argument or
            token file (an empty one, when ``token_file`` names it)
        """
        environ: Mapping[str, str] = os.environ if env is None else env
        port = _check_options(
            host=host,
            port=port,
            datacenter=datacenter,
            token=token,
            scheme=scheme,
            verify=verify,
            cert=cert,
            addr=addr,
            token_file=token_file,
            timeout=timeout,
            consistency=consistency,
            namespace=namespace,
            partition=partition,
            tls_server_name=tls_server_name,
        )
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
        if not _is_int(retries) or retries < 0:
            raise exceptions.ValidationError(f'retries must be 0 or more, not {retries!r}')
        if pool_size is not None and (not _is_int(pool_size) or pool_size < 1):
            raise exceptions.ValidationError(f'pool_size must be 1 or more, not {pool_size!r}')
        return cls(
            scheme=scheme,
            host=host,
            port=port,
            base_uri=base_uri(scheme, host, port),
            datacenter=datacenter,
            token=resolve_token(token, token_file, environ),
            consistency=consistency,
            namespace=namespace or environ.get('CONSUL_NAMESPACE') or None,
            partition=partition or environ.get('CONSUL_PARTITION') or None,
            timeout=DEFAULT_TIMEOUT if timeout is None else timeout,
            retries=retries,
            pool_size=DEFAULT_POOL_SIZE if pool_size is None else pool_size,
            verify=resolve_verify(verify, environ),
            ca_bundle=environ.get('REQUESTS_CA_BUNDLE') or environ.get('CURL_CA_BUNDLE') or None,
            cert=resolve_cert(cert, environ),
            tls_server_name=tls_server_name or environ.get('CONSUL_TLS_SERVER_NAME') or None,
            proxies=_proxy_variables(environ),
        )

    def __repr__(self) -> str:
        # The dataclass repr would show the token.
        return f'<Config {self.base_uri}>'


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


def base_uri(scheme: str, host: str, port: int | None) -> str:
    """The URI every request of a client starts with, such as ``http://localhost:8500/v1``."""
    if scheme == UNIX_SCHEME:
        return f'{UNIX_SCHEME}://{quote(host, safe="")}/{API_VERSION}'
    if ':' in host and not host.startswith('['):
        host = f'[{host}]'
    netloc = host if port is None else f'{host}:{port}'
    return f'{scheme}://{netloc}/{API_VERSION}'


def resolve_token(
    token: str | None, token_file: str | None, environ: Mapping[str, str]
) -> str | None:
    """An explicit token, else a token file (argument, then CONSUL_HTTP_TOKEN_FILE), else CONSUL_HTTP_TOKEN.

    :raises consulate.exceptions.ValidationError: the token file cannot be read
    """
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
        if token_file:
            # Named on purpose, so an empty file is a mistake, not "no token".
            raise exceptions.ValidationError(
                f'the token file {path} is empty: put the token in it, or leave it out '
                'to send requests without a token'
            )
    return environ.get('CONSUL_HTTP_TOKEN') or None


def resolve_verify(verify: bool | str | None, environ: Mapping[str, str]) -> bool | str:
    """An explicit False or CA path wins; else CONSUL_HTTP_SSL_VERIFY, CONSUL_CACERT, CONSUL_CAPATH.

    Only ``False`` itself turns verification off: None, ``''`` or 0 keep it on.
    """
    if verify is False or (verify and verify is not True):
        return verify
    if parse_bool(environ.get('CONSUL_HTTP_SSL_VERIFY'), 'CONSUL_HTTP_SSL_VERIFY') is False:
        return False
    return environ.get('CONSUL_CACERT') or environ.get('CONSUL_CAPATH') or True


def resolve_cert(
    cert: str | tuple[str, str] | None, environ: Mapping[str, str]
) -> str | tuple[str, str] | None:
    """An explicit client certificate, else CONSUL_CLIENT_CERT with CONSUL_CLIENT_KEY.

    :raises consulate.exceptions.ValidationError: only one of the two variables is set
    """
    if cert is not None:
        return cert
    cert_file = environ.get('CONSUL_CLIENT_CERT') or None
    key_file = environ.get('CONSUL_CLIENT_KEY') or None
    if bool(cert_file) != bool(key_file):
        raise exceptions.ValidationError(
            'both CONSUL_CLIENT_CERT and CONSUL_CLIENT_KEY must be set, or neither'
        )
    return (cert_file, key_file) if cert_file and key_file else None


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_seconds(value: object) -> bool:
    """Whether ``value`` is a number of seconds a timeout can be: more than 0 (infinity too)."""
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return False
    return value > 0  # NaN compares False


def _check_text(name: str, value: object, *, empty_ok: bool = True) -> None:
    """Refuse a value that is neither None nor a string, a blank one, or control characters.

    ``''`` stands for "not set" where ``empty_ok`` (as it always has); a string
    of spaces is refused everywhere: it is a mistake, not a setting.
    """
    if value is None or (empty_ok and value == ''):
        return
    if not isinstance(value, str):
        raise exceptions.ValidationError(f'{name} must be a string, not {value!r}')
    if not value.strip():
        raise exceptions.ValidationError(f'{name} cannot be empty or blank, not {value!r}')
    if any(ord(char) < 32 or ord(char) == 127 for char in value):
        raise exceptions.ValidationError(f'{name} cannot hold control characters')


def _check_host(host: object, scheme: object) -> None:
    if host is None or not isinstance(host, str):
        raise exceptions.ValidationError(f'host must be a string, not {host!r}')
    _check_text('host', host, empty_ok=False)
    if scheme != UNIX_SCHEME and any(char in host for char in ' /?#@'):
        raise exceptions.ValidationError(
            f'host must be a host name or an IP address, not {host!r} (give a whole '
            'address as addr=)'
        )


def _check_port(port: object) -> int | None:
    """A port as an int (a string of digits is taken, as 0.6.0 took it), or None."""
    if isinstance(port, str) and port.strip().isdigit():
        port = int(port)
    if port is None:
        return None
    if not isinstance(port, int) or isinstance(port, bool) or not 0 < port < 65536:
        raise exceptions.ValidationError(f'port must be 1 to 65535 (or None), not {port!r}')
    return port


def _check_timeout(timeout: object) -> None:
    if timeout is None or _is_seconds(timeout):
        return
    if isinstance(timeout, tuple) and len(timeout) == 2 and all(map(_is_seconds, timeout)):
        return
    raise exceptions.ValidationError(
        f'timeout must be seconds (more than 0) or a (connect, read) tuple of them, not {timeout!r}'
    )


def _check_options(
    *,
    host: object,
    port: object,
    scheme: object,
    timeout: object,
    verify: object,
    cert: object,
    addr: object,
    token_file: object,
    **texts: object,
) -> int | None:
    """Check a client's arguments before anything is built; return the port as an int.

    :raises consulate.exceptions.ValidationError: an argument of the wrong type or
        value; the message names it
    """
    _check_text('scheme', scheme, empty_ok=False)
    if addr is None:
        _check_host(host, scheme)
    _check_text('addr', addr, empty_ok=False)
    _check_text('token_file', token_file, empty_ok=False)
    for name, value in texts.items():
        _check_text(name, value)
    _check_timeout(timeout)
    # None, '' and 0 keep verification on (only False turns it off): see resolve_verify.
    if verify is not None and not isinstance(verify, (bool, int, str)):
        raise exceptions.ValidationError(f'verify must be True, False or a CA path, not {verify!r}')
    if cert is not None and not (
        isinstance(cert, str)
        or (isinstance(cert, tuple) and len(cert) == 2 and all(isinstance(c, str) for c in cert))
    ):
        raise exceptions.ValidationError(
            f'cert must be a PEM path or a (cert, key) tuple of paths, not {cert!r}'
        )
    return _check_port(port) if addr is None else None


def _proxy_variables(environ: Mapping[str, str]) -> dict[str, str]:
    """``{'http': url, 'https': url, 'all': url, 'no': hosts}`` from ``*_PROXY`` variables.

    As urllib and requests read them: a lower-case name wins over its upper-case twin.
    """
    found: dict[str, str] = {}
    for name, value in environ.items():
        if value and len(name) > 6 and name[-6:].lower() == '_proxy' and name.isupper():
            found[name[:-6].lower()] = value
    for name, value in environ.items():
        if value and len(name) > 6 and name[-6:] == '_proxy':
            found[name[:-6]] = value
    return found


def proxies_for(config: Config) -> dict[str, str]:
    """The proxy URL, by scheme, that requests to ``config``'s address go through (often none)."""
    if config.scheme == UNIX_SCHEME or not config.proxies:
        return {}
    proxies = dict(config.proxies)
    if urllib.request.proxy_bypass_environment(config.host, proxies):  # type: ignore[attr-defined]
        return {}
    scheme_proxy = proxies.get(config.scheme) or proxies.get('all')
    return {config.scheme: scheme_proxy} if scheme_proxy else {}
