"""Network coordinates (``/v1/coordinate``), named after Consul's Go ``api`` and ``coordinate`` structs."""

from __future__ import annotations

from typing import TypedDict

__all__ = ['Coord', 'CoordinateDatacenterMap', 'CoordinateEntry']


class Coord(TypedDict):
    """A Vivaldi network coordinate (Go ``coordinate.Coordinate``)."""

    Vec: list[float]
    Error: float
    Adjustment: float
    Height: float


class _CoordinateEntryOptional(TypedDict, total=False):
    Partition: str  # Consul Enterprise 1.11+ (Go api.CoordinateEntry)


class CoordinateEntry(_CoordinateEntryOptional):
    """A node's coordinate (Go ``api.CoordinateEntry``)."""

    Node: str
    Segment: str
    Coord: Coord


class CoordinateDatacenterMap(TypedDict):
    """The coordinates of a datacenter's servers (Go ``api.CoordinateDatacenterMap``)."""

    Datacenter: str
    AreaID: str
    Coordinates: list[CoordinateEntry] | None
