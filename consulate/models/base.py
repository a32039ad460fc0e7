"""The :class:`Model` base: declared attributes, checked when they are set.

.. deprecated:: 1.0 pass dicts or keyword arguments to consulate's methods
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import urlsplit

__all__ = ['Model', 'validate_go_interval', 'validate_url']

_GO_DURATION = re.compile(r'^(?:-?\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h))+$')


def validate_go_interval(value: str, _model: Any = None) -> bool:
    """Whether ``value`` is a Go duration string (``'10s'``, ``'1h30m'``)."""
    return bool(_GO_DURATION.match(value))


def validate_url(value: str, _model: Any = None) -> bool:
    """Whether ``value`` is a URL with a scheme and a host."""
    parts = urlsplit(value)
    return bool(parts.scheme and parts.netloc)


class Model:
    """A set of declared attributes, each checked when it is set.

    Subclasses declare ``__attributes__``: for each attribute name a dict with
    any of ``key`` (the Consul field name; default the attribute name),
    ``type``, ``required``, ``default``, ``cast_from`` (types converted with
    ``type(value)``), ``cast_to`` (applied when the model is turned into a
    dict), ``enum`` (the allowed values) and ``validator`` (a callable
    ``(value, model) -> bool``).

    :raises AttributeError: an attribute that is not declared
    :raises TypeError: a value of the wrong type
    :raises ValueError: a required attribute left out, a value outside
        ``enum``, or one its validator refuses
    """

    __attributes__: ClassVar[dict[str, dict[str, Any]]] = {}

    def __init__(self, **kwargs: Any) -> None:
        for name, spec in self.__attributes__.items():
            object.__setattr__(self, name, copy.deepcopy(spec.get('default')))
        for name, value in kwargs.items():
            setattr(self, name, value)
        for name, spec in self.__attributes__.items():
            if spec.get('required') and getattr(self, name) is None:
                raise ValueError(f'{type(self).__name__}.{name} is required')
        self._validate()

    def __setattr__(self, name: str, value: Any) -> None:
        spec = self.__attributes__.get(name)
        if spec is None:
            raise AttributeError(f'{type(self).__name__} has no attribute {name!r}')
        if value is not None:
            value = self._checked(name, value, spec)
        object.__setattr__(self, name, value)

    if TYPE_CHECKING:  # the declared attributes, for type checkers

        def __getattr__(self, name: str) -> Any: ...

    def __iter__(self) -> Iterator[tuple[str, Any]]:
        for name, spec in self.__attributes__.items():
            value = getattr(self, name)
            if value is None:
                continue
            cast: Callable[[Any], Any] | None = spec.get('cast_to')
            yield spec.get('key', name), cast(value) if cast else value

    def __repr__(self) -> str:
        return f'<{type(self).__name__} {dict(self)!r}>'

    def _checked(self, name: str, value: Any, spec: dict[str, Any]) -> Any:
        kind = spec.get('type')
        cast_from = spec.get('cast_from')
        if kind and cast_from and isinstance(value, cast_from) and not isinstance(value, kind):
            value = kind(value)
        if kind and not isinstance(value, kind):
            raise TypeError(f'{type(self).__name__}.{name} must be {kind}, not {value!r}')
        if 'enum' in spec and value not in spec['enum']:
            raise ValueError(f'{type(self).__name__}.{name} must be one of {sorted(spec["enum"])}')
        validator = spec.get('validator')
        if validator and not validator(value, self):
            raise ValueError(f'{type(self).__name__}.{name}: invalid value {value!r}')
        return value

    def _validate(self) -> None:
        """Checks across attributes, run once all are set (subclasses add theirs)."""
