"""Query-parameter values: consistency modes and Go durations, checked before they are sent."""

from __future__ import annotations

import re
from collections.abc import Iterable

from consulate import exceptions

__all__ = [
    'CONSISTENCY_MODES',
    'check_consistency',
    'duration',
    'duration_seconds',
    'flag_params',
    'go_duration',
]

#: The consistency modes a read may ask for.
CONSISTENCY_MODES = ('default', 'stale', 'consistent')

_DURATION = re.compile(r'^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$')
_UNITS = {'ns': 1e-9, 'us': 1e-6, 'µs': 1e-6, 'ms': 1e-3, 's': 1.0, 'm': 60.0, 'h': 3600.0}
_PART = re.compile(r'(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)')


def check_consistency(mode: str | None) -> str | None:
    """Return ``mode`` if it is a consistency mode consulate knows, else raise ValidationError."""
    if mode is not None and mode not in CONSISTENCY_MODES:
        raise exceptions.ValidationError(
            f'consistency must be one of {", ".join(CONSISTENCY_MODES)}, not {mode!r}'
        )
    return mode


def duration(value: str | float | None) -> str | None:
    """A Consul duration string: numbers are seconds (``10`` -> ``'10s'``), strings are checked.

    :raises consulate.exceptions.ValidationError: not a Go duration string
    """
    if value is None:
        return None
    return go_duration(value)


def go_duration(value: str | float) -> str:
    """Format seconds (or check a duration string) as a Go duration, as Consul parses it."""
    if isinstance(value, bool):
        raise exceptions.ValidationError(f'not a duration: {value!r}')
    if isinstance(value, (int, float)):
        if value < 0:
            raise exceptions.ValidationError(f'a duration cannot be negative: {value!r}')
        if float(value).is_integer():
            return f'{int(value)}s'
        return f'{max(1, round(value * 1000))}ms'
    if not isinstance(value, str) or not _DURATION.match(value):
        raise exceptions.ValidationError(
            f'not a duration: {value!r} (use seconds, or a string such as "10s", "1m30s")'
        )
    return value


def duration_seconds(value: str | float) -> float:
    """The number of seconds a duration (number or string) stands for."""
    if isinstance(value, (int, float)):
        return float(value)
    return sum(float(n) * _UNITS[unit] for n, unit in _PART.findall(go_duration(value)))


def flag_params(names: Iterable[str]) -> dict[str, bool]:
    """Query flags that are sent bare (``?recurse``, ``?keys``)."""
    return {name: True for name in names}
