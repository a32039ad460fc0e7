"""The Vivaldi round-trip formula of coordinate.distance, checked with numbers worked by hand."""

from __future__ import annotations

import math

import pytest

from consulate import exceptions
from consulate.api.coordinate import distance


def coord(vec: list[float], height: float = 0.0, adjustment: float = 0.0) -> dict[str, object]:
    return {
        'Vec': vec + [0.0] * (8 - len(vec)),
        'Error': 1.5,
        'Height': height,
        'Adjustment': adjustment,
    }


def test_euclidean_distance_plus_both_heights() -> None:
    # |(0.003, 0.004)| = 0.005; + 0.0002 + 0.00001 = 0.00521 s
    assert distance(coord([0.003, 0.004], 0.0002), coord([], 0.00001)) == pytest.approx(0.00521)


def test_a_positive_adjusted_value_is_used() -> None:
    # 0.00521 - 0.0001 = 0.00511 s (what `consul rtt` printed as 5.110 ms)
    a = coord([0.003, 0.004], 0.0002, -0.0001)
    assert distance(a, coord([], 0.00001)) == pytest.approx(0.00511)


def test_a_negative_adjusted_value_is_ignored() -> None:
    # raw 0.00521; adjusted 0.00521 - 0.01 < 0, so the raw distance stands
    a = coord([0.003, 0.004], 0.0002, -0.01)
    assert distance(a, coord([], 0.00001)) == pytest.approx(0.00521)


def test_adjustments_of_both_sides_add_up() -> None:
    a = coord([0.01], 0.001, 0.002)
    b = coord([-0.01], 0.001, 0.003)
    # 0.02 + 0.002 = 0.022, + 0.005 = 0.027
    assert distance(a, b) == pytest.approx(0.027)


def test_symmetric_and_self_distance_is_twice_the_height() -> None:
    a = coord([0.1, -0.2, 0.3], 0.00001)
    b = coord([0.3, 0.2, 0.1], 0.00002, 0.0001)
    assert distance(a, b) == distance(b, a)
    assert distance(a, a) == pytest.approx(0.00002)


def test_truncated_to_whole_nanoseconds() -> None:
    a = coord([0.0000000017], 0.0)
    # 1.7 ns truncates to 1 ns, as Go's time.Duration(float) conversion does
    assert distance(a, coord([])) == 1e-9
    assert math.isclose(distance(coord([0.123456789123]), coord([])), 0.123456789)


def test_entries_and_bare_coordinates_are_both_accepted() -> None:
    a = coord([0.003, 0.004])
    entry = {'Node': 'n1', 'Segment': '', 'Coord': a}
    assert distance(entry, coord([])) == distance(a, coord([])) == pytest.approx(0.005)


def test_different_dimensions_are_refused() -> None:
    with pytest.raises(exceptions.ValidationError, match='dimensions'):
        distance({'Vec': [0.1, 0.2], 'Height': 0, 'Adjustment': 0}, coord([]))


def test_missing_fields_are_refused() -> None:
    with pytest.raises(exceptions.ValidationError, match='not a network coordinate'):
        distance({'Vec': [0.1]}, {'Vec': [0.2]})
    with pytest.raises(exceptions.ValidationError):
        distance('n1', coord([]))  # type: ignore[arg-type]
