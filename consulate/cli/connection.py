"""How the command reaches Consul: the connection options and the client built from them.

Like Consul's own CLI, the command reads the variables in
:data:`ENVIRONMENT` (through :class:`consulate.Consul`, which reads them
when it is built); an option given on the command line wins over its
variable.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Mapping

from consulate.cli import numbers
from consulate.client import Consul, parse_addr
from consulate.exceptions import ValidationError

__all__ = [
    'CONNECTION_DESTS',
    'CA_ENVIRONMENT',
    'ENVIRONMENT',
    'PROXY_ENVIRONMENT',
    'add_connection_options',
    'address_hint',
    'build_client',
    'token_given',
]

#: Every environment variable the command reads.
ENVIRONMENT = (
    'CONSUL_HTTP_ADDR',
    'CONSUL_HTTP_TOKEN',
    'CONSUL_HTTP_TOKEN_FILE',
    'CONSUL_HTTP_SSL',
    'CONSUL_HTTP_SSL_VERIFY',
    'CONSUL_CACERT',
    'CONSUL_CAPATH',
    'CONSUL_CLIENT_CERT',
    'CONSUL_CLIENT_KEY',
    'CONSUL_TLS_SERVER_NAME',
    'CONSUL_NAMESPACE',
    'CONSUL_PARTITION',
)
#: The proxy variables (upper or lower case) and the CA bundle variables, read as requests
#: reads them.
PROXY_ENVIRONMENT = ('HTTP_PROXY', 'HTTPS_PROXY', 'ALL_PROXY', 'NO_PROXY')
CA_ENVIRONMENT = ('REQUESTS_CA_BUNDLE', 'CURL_CA_BUNDLE')

#: The namespace names of the connection options.
CONNECTION_DESTS = frozenset(
    {'addr', 'api_scheme', 'api_host', 'api_port', 'datacenter', 'token', 'token_file'}
)

_SCHEMES = ('http', 'https', 'unix', 'http+unix')


def add_connection_options(parser: argparse.ArgumentParser, *, suppress: bool = False) -> None:
    """Add the connection options to ``parser``.

    :param suppress: leave an option out of the namespace when it is not
        given (for the copies on each subcommand, so they do not reset a
        value given before the subcommand)
    """
    default = argparse.SUPPRESS if suppress else None
    group = parser.add_argument_group(
        'connection',
        'Each option wins over its environment variable; without either, '
        'consulate talks to localhost:8500 over HTTP.',
    )
    group.add_argument(
        '--addr',
        default=default,
        type=numbers.name,
        metavar='ADDRESS',
        help='the Consul address: host:port, http(s)://host:port or unix:///path/to.sock '
        '(default: $CONSUL_HTTP_ADDR)',
    )
    group.add_argument(
        '--api-scheme',
        default=default,
        choices=_SCHEMES,
        help='the scheme; unix (or http+unix) takes the socket path from --api-host',
    )
    group.add_argument(
        '--api-host',
        default=default,
        type=numbers.name,
        metavar='HOST',
        help='the host name, or the socket path',
    )
    group.add_argument(
        '--api-port', default=default, type=numbers.port, metavar='PORT', help='the port'
    )
    group.add_argument(
        '--datacenter',
        '--dc',
        default=default,
        dest='datacenter',
        type=numbers.name,
        metavar='DC',
        help="the datacenter to ask (default: the agent's own)",
    )
    group.add_argument(
        '--token',
        default=default,
        help='the ACL token (default: $CONSUL_HTTP_TOKEN_FILE, then $CONSUL_HTTP_TOKEN)',
    )
    group.add_argument(
        '--token-file',
        default=default,
        type=numbers.name,
        metavar='FILE',
        help='a file holding the ACL token (default: $CONSUL_HTTP_TOKEN_FILE)',
    )


def build_client(args: argparse.Namespace, environ: Mapping[str, str] | None = None) -> Consul:
    """The :class:`~consulate.Consul` client the options and the environment describe.

    ``--addr`` wins over the ``--api-*`` options; those replace single parts
    of ``CONSUL_HTTP_ADDR`` (or of ``localhost:8500``).

    :raises consulate.exceptions.ValidationError: an invalid address, setting or token file
    """
    environ = os.environ if environ is None else environ
    token: str | None = getattr(args, 'token', None)
    token_file: str | None = getattr(args, 'token_file', None)
    datacenter: str | None = getattr(args, 'datacenter', None)
    addr: str | None = getattr(args, 'addr', None)
    if addr is None:
        addr = _addr_from_parts(args, environ)
    return Consul(datacenter=datacenter, token=token, addr=addr, token_file=token_file, env=environ)


def token_given(args: argparse.Namespace, environ: Mapping[str, str]) -> bool:
    """Whether a token was given, by an option or a variable (an empty one does not count)."""
    return bool(
        getattr(args, 'token', None)
        or getattr(args, 'token_file', None)
        or environ.get('CONSUL_HTTP_TOKEN')
        or environ.get('CONSUL_HTTP_TOKEN_FILE')
    )


def address_hint(args: argparse.Namespace, environ: Mapping[str, str] | None = None) -> str:
    """Where the address consulate tried came from and how to change it, for a connection failure."""
    environ = os.environ if environ is None else environ
    parts = ('api_scheme', 'api_host', 'api_port')
    if getattr(args, 'addr', None):
        source = '--addr'
    elif any(getattr(args, name, None) is not None for name in parts):
        source = '--api-scheme/--api-host/--api-port'
    elif environ.get('CONSUL_HTTP_ADDR'):
        source = 'CONSUL_HTTP_ADDR'
    else:
        return ' (no address was given, so the default was tried: give one with --addr or CONSUL_HTTP_ADDR)'
    return f' (the address came from {source}: give another with --addr or CONSUL_HTTP_ADDR)'


def _addr_from_parts(args: argparse.Namespace, environ: Mapping[str, str]) -> str | None:
    """An address built from ``--api-scheme/--api-host/--api-port``, or None if none is given."""
    scheme_option: str | None = getattr(args, 'api_scheme', None)
    host_option: str | None = getattr(args, 'api_host', None)
    port_option: int | None = getattr(args, 'api_port', None)
    if scheme_option is None and host_option is None and port_option is None:
        return None
    scheme, host, port = parse_addr(environ.get('CONSUL_HTTP_ADDR') or 'localhost:8500')
    if scheme_option in ('unix', 'http+unix') and host_option is None and scheme != 'http+unix':
        raise ValidationError('--api-scheme unix needs the socket path in --api-host')
    if scheme_option is not None:
        scheme = 'http+unix' if scheme_option in ('unix', 'http+unix') else scheme_option
    if host_option is not None:
        host = host_option
    if scheme == 'http+unix':
        return f'unix://{host}'
    if port_option is not None:
        port = port_option
    if ':' in host and not host.startswith('['):
        host = f'[{host}]'
    return f'{scheme}://{host}:{port or 8500}'
