"""The ``consulate`` command: KV backup and restore, KV tools, services and locked jobs.

::

    consulate kv backup -b -f kv.json        # every key, byte for byte
    consulate kv restore -b -f kv.json
    consulate kv get app/config > config.bin
    consulate register web -p 8080 ttl 30s
    consulate run_once nightly-report -i 3600 -- ./report --all

It is built on the public :class:`consulate.Consul` API only. Errors are
printed as ``consulate: <what went wrong>`` on stderr; the exit status is 1
for a failed request or connection (or bad input data) and 2 for a command
line that cannot be run. ``run_once`` and ``lock`` exit with the command's
own status. A signal ends every subcommand the same way (see
:mod:`consulate.cli.signals`): ``consulate: interrupted``, exit 130 for
SIGINT; 143 for SIGTERM.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

from consulate import exceptions
from consulate._version import __version__
from consulate.cli import backup, connection, jobs, kv, services
from consulate.cli.connection import CONNECTION_DESTS, add_connection_options, build_client
from consulate.cli.output import EXIT_ERROR, EXIT_USAGE, CliError, error
from consulate.cli.signals import Interrupted, stopped_by_signals

__all__ = ['build_parser', 'main']


def _listed(names: Sequence[str], last: str = 'and') -> str:
    return f'{", ".join(names[:-1])} {last} {names[-1]}'


_EPILOG = (
    f'environment: {_listed(connection.ENVIRONMENT)} are read as the consul CLI reads them; '
    f'an option wins over its variable. {_listed(connection.PROXY_ENVIRONMENT)} (or lower '
    f'case) choose the proxy, and {_listed(connection.CA_ENVIRONMENT, "or")} the CA bundle '
    'when none is named, as for requests.'
)
#: Negative numbers and durations (``-1``, ``-5s``) are values, not options: none of ours
#: starts with a digit.
_NEGATIVE = re.compile(r'^-\.?\d')


class _Formatter(argparse.HelpFormatter):
    """Leave the connection options out of usage lines (they are listed under "connection")."""

    def add_usage(
        self, usage: str | None, actions: Any, groups: Any, prefix: str | None = None
    ) -> None:
        kept = [action for action in actions if action.dest not in CONNECTION_DESTS]
        super().add_usage(usage, kept, groups, prefix)


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors read ``consulate: <message>`` (exit 2)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault('formatter_class', _Formatter)
        super().__init__(*args, **kwargs)
        self._negative_number_matcher = _NEGATIVE
        self.set_defaults(parser=self)

    def error(self, message: str) -> NoReturn:
        """Print this (sub)command's usage, then ``consulate: <subcommand>: <message>``; exit 2."""
        self.print_usage(sys.stderr)
        where = self.prog.partition(' ')[2]
        self.exit(
            EXIT_USAGE, f'consulate: {where}: {message}\n' if where else f'consulate: {message}\n'
        )


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``consulate`` command, with every subcommand."""
    parser = _Parser(
        prog='consulate',
        description='A command-line client for Consul: KV backup and restore, KV tools, '
        'service registration and locked jobs.',
        epilog=_EPILOG,
    )
    parser.add_argument('--version', action='version', version=f'consulate {__version__}')
    add_connection_options(parser)
    connection = _Parser(add_help=False)
    add_connection_options(connection, suppress=True)
    parents: list[argparse.ArgumentParser] = [connection]

    commands = parser.add_subparsers(dest='subcommand', metavar='COMMAND', parser_class=_Parser)
    kv_parser = commands.add_parser(
        'kv',
        help='work with the KV store',
        description='Back up, restore, export, import, list, read and write KV keys. '
        'Values are moved as their exact bytes.',
    )
    kv_actions = kv_parser.add_subparsers(dest='action', metavar='ACTION', parser_class=_Parser)
    backup.add_parsers(kv_actions, parents)
    kv.add_parsers(kv_actions, parents)
    services.add_parsers(commands, parents)
    jobs.add_parsers(commands, parents)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``consulate`` command with ``argv`` (default: ``sys.argv[1:]``); return the exit status."""
    parser = build_parser()
    words, child = jobs.split_child(
        sys.argv[1:] if argv is None else argv, _options_with_values(parser)
    )
    args, unknown = parser.parse_known_args(words)
    # The parser of the subcommand typed (the innermost one sets it last).
    typed: argparse.ArgumentParser = args.parser
    if unknown:
        typed.error(f'unrecognized arguments: {" ".join(unknown)}')
    if child is not None:
        args.child = [*args.child, '--', *child] if args.child else child
    handler = getattr(args, 'handler', None)
    if handler is None:
        typed.print_help(sys.stderr)
        return EXIT_USAGE
    args.anonymous = not connection.token_given(args, os.environ)
    try:
        with stopped_by_signals(), build_client(args) as consul:
            status: int = handler(consul, args)
            return status
    except Interrupted as exc:
        error(str(exc))
        return exc.code
    except exceptions.ConnectError as exc:
        hint = '' if isinstance(exc, exceptions.TLSError) else connection.address_hint(args)
        error(f'{exc}{hint}')
        return EXIT_ERROR
    except CliError as exc:
        error(str(exc))
        return exc.code
    except exceptions.ValidationError as exc:
        error(str(exc))
        return EXIT_USAGE
    except exceptions.APIError as exc:
        error(_one_line(exc))
        return EXIT_ERROR
    except exceptions.ConsulateException as exc:
        error(str(exc))
        return EXIT_ERROR
    except KeyboardInterrupt:
        error('interrupted')
        return 130
    except BrokenPipeError:
        # The reader went away (``consulate kv ls | head``): stop quietly.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_ERROR
    except OSError as exc:
        error(str(exc))
        return EXIT_ERROR


def _one_line(exc: exceptions.APIError) -> str:
    """The error in one line: a gateway's HTML page (a 502 in front of Consul) is named, not printed."""
    if exc.message.lstrip().startswith('<'):
        return (
            f'{exc.status_code} on {exc.method} {exc.path}: an HTML page (from a proxy or gateway?)'
        )
    return str(exc)


def _options_with_values(parser: argparse.ArgumentParser) -> set[str]:
    """The option strings of ``parser`` that take a value (``--addr``, ``--token``...)."""
    return {
        option
        for action in parser._actions
        if action.option_strings and action.nargs != 0
        for option in action.option_strings
    }
