"""``consulate register|deregister|services``: services of the local agent."""

from __future__ import annotations

import argparse
import json
from typing import Any

from consulate.cli import hints, numbers
from consulate.cli.output import CliError, write_stdout
from consulate.client import Consul

__all__ = ['add_parsers']


def add_parsers(commands: Any, parents: list[argparse.ArgumentParser]) -> None:
    """Add ``register``, ``deregister`` and ``services`` to the top-level subcommands."""
    register_parser = commands.add_parser(
        'register',
        parents=parents,
        help='register a service with the local agent',
        description='Register the service NAME with the local agent, with an optional health '
        'check. INTERVAL and DURATION are seconds or Go durations ("10s", "1m").',
    )
    register_parser.add_argument('name', type=numbers.name, metavar='NAME')
    register_parser.add_argument('-a', '--address', help='the service address')
    register_parser.add_argument('-p', '--port', type=numbers.port, help='the service port')
    register_parser.add_argument(
        '-s',
        '--service-id',
        type=numbers.name,
        metavar='SERVICE_ID',
        help='the service ID (default: NAME)',
    )
    register_parser.add_argument(
        '-t', '--tags', metavar='TAG,TAG', help='tags, separated by commas'
    )
    checks = register_parser.add_subparsers(
        dest='check_type', metavar='{check,httpcheck,ttl,no-check}', title='health check'
    )
    script = checks.add_parser(
        'check', help='run a script every INTERVAL', description='Run PATH every INTERVAL.'
    )
    script.add_argument('interval', type=numbers.duration('the check interval'), metavar='INTERVAL')
    script.add_argument('path', metavar='PATH')
    http = checks.add_parser(
        'httpcheck', help='GET a URL every INTERVAL', description='GET URL every INTERVAL.'
    )
    http.add_argument('interval', type=numbers.duration('the check interval'), metavar='INTERVAL')
    http.add_argument('url', metavar='URL')
    ttl = checks.add_parser(
        'ttl',
        help='expect a heartbeat within DURATION',
        description='Mark the service critical unless it reports within DURATION.',
    )
    ttl.add_argument('duration', type=numbers.duration('the TTL'), metavar='DURATION')
    checks.add_parser('no-check', help='no health check (the default)')
    register_parser.set_defaults(handler=register)

    deregister_parser = commands.add_parser(
        'deregister',
        parents=parents,
        help='deregister a service from the local agent',
        description='Remove the service SERVICE_ID, and its checks, from the local agent.',
    )
    deregister_parser.add_argument('service_id', type=numbers.name, metavar='SERVICE_ID')
    deregister_parser.set_defaults(handler=deregister)

    services_parser = commands.add_parser(
        'services',
        parents=parents,
        help='print the services of the local agent as JSON',
        description='Print the services registered with the local agent as a JSON list.',
    )
    services_parser.add_argument(
        '-i', '--indent', type=numbers.count, metavar='N', help='indent the JSON by N spaces'
    )
    services_parser.set_defaults(handler=services)


def register(consul: Consul, args: argparse.Namespace) -> int:
    """``register``: ``PUT /v1/agent/service/register``."""
    tags = [tag.strip() for tag in args.tags.split(',') if tag.strip()] if args.tags else None
    check: dict[str, Any] = {}
    if args.check_type == 'check':
        check = {'check': args.path, 'interval': args.interval}
    elif args.check_type == 'httpcheck':
        check = {'httpcheck': args.url, 'interval': args.interval}
    elif args.check_type == 'ttl':
        check = {'ttl': args.duration}
    registered = consul.agent.service.register(
        args.name,
        service_id=args.service_id,
        address=args.address,
        port=args.port,
        tags=tags,
        **check,
    )
    if registered is False:
        raise CliError(f'the agent did not register {args.name!r}')
    return 0


def deregister(consul: Consul, args: argparse.Namespace) -> int:
    """``deregister``: ``PUT /v1/agent/service/deregister/:service_id``; an unknown ID is an error."""
    known = {service.get('ID') for service in consul.agent.service_records()}
    if args.service_id not in known:
        hints.acl_filter_hint(consul, args)
        raise CliError(f'no service with the ID {args.service_id!r} is registered with this agent')
    if consul.agent.service.deregister(args.service_id) is False:
        raise CliError(f'the agent did not deregister {args.service_id!r}')
    return 0


def services(consul: Consul, args: argparse.Namespace) -> int:
    """``services``: ``GET /v1/agent/services``, printed as JSON with sorted keys."""
    listing = consul.agent.service_records()
    text = json.dumps(listing, sort_keys=True, indent=args.indent, ensure_ascii=False)
    write_stdout(f'{text}\n'.encode())
    if not listing:
        hints.acl_filter_hint(consul, args)
    return 0
