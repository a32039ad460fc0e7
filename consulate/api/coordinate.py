"""Network coordinates (``/v1/coordinate``) and the round-trip times Consul estimates from them.

Every agent keeps a Vivaldi network coordinate that gossip refines over
time. :meth:`Coordinate.rtt` turns two of them into the estimated round-trip
time exactly as Consul does (``consul rtt``, ``?near=`` sorting), and
:func:`distance` does the same for coordinates you already hold.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from consulate import exceptions
from consulate.api import shapes
from consulate.api.base import Endpoint

if TYPE_CHECKING:
    from consulate.types import CoordinateDatacenterMap, CoordinateEntry

__all__ = ['Coordinate', 'distance']

#: A coordinate entry (``{'Node', 'Segment', 'Coord'}``), a bare ``Coord``, or a node name.
NodeOrCoordinate = str | Mapping[str, Any]


class Coordinate(Endpoint):
    """Read and update network coordinates, and estimate round-trip times between nodes."""

    PREFIX = 'coordinate'

    def datacenters(self) -> list[CoordinateDatacenterMap]:
        """Return the WAN coordinates of every server, grouped by datacenter.

        ``GET /v1/coordinate/datacenters``: a list of ``{'Datacenter', 'AreaID',
        'Coordinates': [{'Node', 'Segment', 'Coord'}, ...]}``.
        """
        return self._get_list(self._url('datacenters'))

    def nodes(
        self,
        *,
        segment: str | None = None,
        index: int | None = None,
        wait: str | float | None = None,
        consistency: str | None = None,
    ) -> list[CoordinateEntry]:
        """Return the LAN coordinates of every node in the datacenter (``GET /v1/coordinate/nodes``).

        Each entry is ``{'Node', 'Segment', 'Coord': {'Vec', 'Error', 'Adjustment',
        'Height'}}``. A node that has not sent a coordinate yet is not listed.

        :param segment: only this network segment (Consul Enterprise)
        """
        params = {'segment': segment}
        return self._get_list(
            self._url('nodes'), params, index=index, wait=wait, consistency=consistency
        )

    def node(
        self,
        node: str,
        *,
        segment: str | None = None,
        index: int | None = None,
        wait: str | float | None = None,
        consistency: str | None = None,
    ) -> list[CoordinateEntry]:
        """Return a node's LAN coordinate entries, one per segment (``GET /v1/coordinate/node/:node``).

        :raises consulate.exceptions.NotFound: the node is unknown or has no coordinate yet
        """
        response = self._get(
            self._url('node', node),
            {'segment': segment},
            index=index,
            wait=wait,
            consistency=consistency,
            allow_404=True,
        )
        if response.status_code == 404:
            raise exceptions.NotFound(404, 'GET', response.path, f'no coordinate for {node!r}')
        return shapes.json_list(response)

    def update(self, node: str, coord: Mapping[str, Any], *, segment: str | None = None) -> None:
        """Set a node's coordinate (``PUT /v1/coordinate/update``).

        Consul applies coordinate updates in batches, so a read right after
        this may still show the old value for a moment. An agent keeps
        replacing its own node's coordinate with the one gossip computes.

        :param coord: ``{'Vec': [...8 floats], 'Error', 'Adjustment', 'Height'}``
        """
        body: dict[str, Any] = {'Node': node, 'Coord': dict(coord)}
        if segment is not None:
            body['Segment'] = segment
        shapes.empty(self._put(self._url('update'), data=body))

    def rtt(self, node_a: NodeOrCoordinate, node_b: NodeOrCoordinate) -> float:
        """Estimate the round-trip time between two nodes, in seconds, as ``consul rtt`` does.

        Nodes given by name are looked up with one ``GET /v1/coordinate/nodes``;
        a coordinate entry or a bare ``Coord`` mapping is used as it is (a WAN
        coordinate from :meth:`datacenters`, for instance). When a node has
        coordinates in several network segments, the segment both share is
        used, as Consul picks it.

        :raises consulate.exceptions.NotFound: a named node has no coordinate
        :raises consulate.exceptions.ValidationError: the coordinates do not match in size
        """
        if not isinstance(node_a, str) and not isinstance(node_b, str):
            return distance(node_a, node_b)
        for given in (node_a, node_b):
            if not isinstance(given, str):
                _coord(given)  # the caller's own coordinate is checked before any request
        entries = self.nodes()
        path = urlsplit(self._url('nodes')).path
        answer = self.last_response
        assert answer is not None
        try:
            with self._shaping(answer):
                coord_a, coord_b = _pick(node_a, node_b, entries, path)
            return distance(coord_a, coord_b)
        except exceptions.ValidationError as error:  # Consul's coordinates, not the caller's
            raise shapes.invalid(answer, 'network coordinates') from error


def distance(coord_a: Mapping[str, Any], coord_b: Mapping[str, Any]) -> float:
    """The estimated round-trip time between two Vivaldi coordinates, in seconds.

    Consul's formula: the euclidean distance between the ``Vec`` vectors,
    plus both ``Height`` values; when adding both ``Adjustment`` values to
    that still gives a positive number, the adjusted value is used. The
    result is truncated to whole nanoseconds, as Consul's ``time.Duration``.
    Each argument is a ``Coord`` mapping or a coordinate entry holding one.

    :raises consulate.exceptions.ValidationError: the ``Vec`` sizes differ or a field is missing
    """
    a, b = _coord(coord_a), _coord(coord_b)
    try:
        vec_a, vec_b = list(a['Vec']), list(b['Vec'])
        if len(vec_a) != len(vec_b):
            raise exceptions.ValidationError(
                f'coordinates of different dimensions: {len(vec_a)} and {len(vec_b)}'
            )
        raw = math.dist(vec_a, vec_b) + float(a['Height']) + float(b['Height'])
        adjusted = raw + float(a['Adjustment']) + float(b['Adjustment'])
    except (KeyError, TypeError) as error:
        raise exceptions.ValidationError(f'not a network coordinate: {error}') from error
    seconds = adjusted if adjusted > 0.0 else raw
    return math.trunc(seconds * 1e9) / 1e9


def _coord(value: Mapping[str, Any]) -> Mapping[str, Any]:
    """The ``Coord`` of an entry, or the mapping itself when it is a bare coordinate."""
    if not isinstance(value, Mapping):
        raise exceptions.ValidationError(f'not a network coordinate: {value!r:.60}')
    coord = value.get('Coord', value)
    if not isinstance(coord, Mapping):
        raise exceptions.ValidationError(f'not a network coordinate: {value!r:.60}')
    return coord


def _pick(
    node_a: NodeOrCoordinate,
    node_b: NodeOrCoordinate,
    entries: Sequence[Mapping[str, Any]] | None,
    path: str,
) -> tuple[Mapping[str, Any], Mapping[str, Any]]:
    """The two coordinates to compare, named nodes resolved in a shared segment."""
    if not isinstance(node_a, str) and not isinstance(node_b, str):
        return node_a, node_b
    rows = entries or []
    sets = [_segments(node, rows) for node in (node_a, node_b)]
    segment = ''
    for found in sets:
        if len(found) == 1:
            segment = next(iter(found))
    coords = []
    for node, found in zip((node_a, node_b), sets, strict=True):
        coord = found.get(segment)
        if coord is None:
            raise exceptions.NotFound(404, 'GET', path, f'no coordinate for {node!r}')
        coords.append(coord)
    return coords[0], coords[1]


def _segments(
    node: NodeOrCoordinate, entries: Sequence[Mapping[str, Any]]
) -> dict[str, Mapping[str, Any]]:
    """A node's coordinates by segment: looked up by name, or the one given."""
    if not isinstance(node, str):
        return {str(node.get('Segment', '')): node}
    return {str(row.get('Segment', '')): row['Coord'] for row in entries if row['Node'] == node}
