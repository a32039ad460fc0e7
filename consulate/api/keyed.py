"""The ``[{key: value, ...}]`` lists consulate 0.6.0 returned for Consul's keyed objects.

``GET /v1/agent/services``, ``GET /v1/agent/checks`` and
``GET /v1/catalog/services`` answer with one JSON object keyed by service ID,
check ID or service name. consulate 0.6.0 returned that object inside a list
of one element (``[{'web': {...}}]``), and code written for it reads
``services[0]`` and checks ``len(services) == 1``; its unreleased last master
returned the object itself, and code written for that asks
``service_id in consul.agent.services()`` and calls ``.items()``.

:class:`KeyedList` is 0.6.0's value, a real ``list`` equal to it, which
``json.dumps`` writes as 0.6.0's list, and also answers the dict idioms that
do not clash with a list: ``in`` with a ``str``, ``[key]`` with a ``str``,
``get()``, ``keys()``, ``values()`` and ``items()``. What a list already
means stays the list's: ``len()``, iteration, ``[0]`` and truth (a list
holding one empty dict is true).
"""

from __future__ import annotations

from collections.abc import ItemsView, KeysView, ValuesView
from typing import Any, Generic, SupportsIndex, TypeVar, overload

__all__ = ['KeyedList']

#: What the dict maps each key to: a service or check record, or a service's tags.
V = TypeVar('V')


class KeyedList(list[dict[str, V]], Generic[V]):
    """A list holding one dict keyed by ID or name, which also answers for that dict.

    ``KeyedList.of(mapping)`` is ``[mapping]``. For the dict inside:

    * ``'web' in keyed`` is ``'web' in keyed[0]`` (any other object is
      looked for among the list's elements, as in a list);
    * ``keyed['web']`` is ``keyed[0]['web']`` (an int or a slice index the
      list);
    * ``get()``, ``keys()``, ``values()`` and ``items()`` are the dict's.
    """

    __slots__ = ()

    @classmethod
    def of(cls, mapping: dict[str, V]) -> KeyedList[V]:
        """The list ``[mapping]``."""
        return cls([mapping])

    @property
    def mapping(self) -> dict[str, V]:
        """The dict the list holds (an empty dict if it holds none)."""
        if len(self) == 1 and isinstance(first := list.__getitem__(self, 0), dict):
            return first
        return {}

    def __contains__(self, item: object) -> bool:
        """``str``: whether the dict has that key; anything else: whether the list holds it."""
        if isinstance(item, str):
            return item in self.mapping
        return list.__contains__(self, item)

    @overload
    def __getitem__(self, index: SupportsIndex) -> dict[str, V]: ...

    @overload
    def __getitem__(self, index: slice) -> list[dict[str, V]]: ...

    @overload
    def __getitem__(self, index: str) -> V: ...

    def __getitem__(self, index: SupportsIndex | slice | str) -> Any:
        """A ``str`` looks the key up in the dict (KeyError if missing); else the list's item."""
        if isinstance(index, str):
            return self.mapping[index]
        return list.__getitem__(self, index)

    def get(self, key: str, default: Any = None) -> V | Any:
        """The dict's value for ``key``, or ``default``."""
        return self.mapping.get(key, default)

    def keys(self) -> KeysView[str]:
        """The dict's keys: the service IDs, check IDs or service names."""
        return self.mapping.keys()

    def values(self) -> ValuesView[V]:
        """The dict's values: the records (or, for the catalog, the tag lists)."""
        return self.mapping.values()

    def items(self) -> ItemsView[str, V]:
        """The dict's ``(key, value)`` pairs."""
        return self.mapping.items()
