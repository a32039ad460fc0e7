"""The argument types of the command's options: each refuses what Consul could not use.

A refused value is an argparse error (``consulate: <command>: argument
-i/--indent: ...``, exit 2), so nothing is sent to Consul.
"""

from __future__ import annotations

import argparse
import math
import re
from collections.abc import Callable

from consulate.api.base import duration_seconds, go_duration
from consulate.exceptions import ValidationError

__all__ = ['count', 'duration', 'flags', 'name', 'port', 'seconds']

_SECONDS = re.compile(r'^\d+(\.\d+)?$')
_MAX_FLAGS = 2**64 - 1


def name(text: str) -> str:
    """A name (a key, a lock, a service ID, an address, a file): neither empty nor blank.

    An empty name would not mean "none": ``run_once ''`` would lock a random key.
    """
    if not text.strip():
        raise argparse.ArgumentTypeError(f'cannot be empty or blank, not {text!r}')
    return text


def port(text: str) -> int:
    """A TCP port: 1 to 65535."""
    value = _integer(text, 'a port number')
    if not 0 < value < 65536:
        raise argparse.ArgumentTypeError(f'a port is 1 to 65535, not {value}')
    return value


def count(text: str) -> int:
    """A whole number of 0 or more (an indent, a number of key segments)."""
    value = _integer(text, 'a whole number')
    if value < 0:
        raise argparse.ArgumentTypeError(f'must be 0 or more, not {value}')
    return value


def flags(text: str) -> int:
    """KV flags: an unsigned 64-bit integer."""
    value = _integer(text, 'an integer')
    if not 0 <= value <= _MAX_FLAGS:
        raise argparse.ArgumentTypeError(f'flags are 0 to 2**64-1, not {value}')
    return value


def seconds(text: str) -> float:
    """A number of seconds, more than 0 (``0.5``, ``3600``)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f'not a number of seconds: {text!r}') from None
    if math.isnan(value) or math.isinf(value):
        raise argparse.ArgumentTypeError(f'not a number of seconds: {text!r}')
    if value <= 0:
        raise argparse.ArgumentTypeError(f'must be more than 0 seconds, not {text}')
    return value


def duration(what: str) -> Callable[[str], str]:
    """The type of a duration argument: whole seconds (``10``) or a Go duration (``1m30s``).

    :param what: what the duration is, for the message (``'a TTL'``)
    :returns: a function that turns the argument into a Go duration longer than 0
    """

    def parse(text: str) -> str:
        if text.strip().startswith('-'):
            raise argparse.ArgumentTypeError(f'{what} must be longer than 0, not {text!r}')
        try:
            formatted = go_duration(float(text) if _SECONDS.match(text) else text)
        except ValidationError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None
        if duration_seconds(formatted) <= 0:
            raise argparse.ArgumentTypeError(f'{what} must be longer than 0, not {text!r}')
        return formatted

    parse.__name__ = 'duration'
    return parse


def _integer(text: str, what: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f'not {what}: {text!r}') from None
