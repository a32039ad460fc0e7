"""Coordinate endpoint against a real agent: datacenters, nodes, node, update and rtt.

Round-trip estimates are compared with what the ``consul rtt`` command of the
same Consul prints for the same nodes.
"""

from __future__ import annotations

import re
import subprocess
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

import consulate
from consulate import exceptions
from consulate.api import txn
from consulate.testing import ConsulAgent, consul_binary
from tests.support.names import unique
from tests.support.polling import eventually


def coord(vec: list[float], height: float, adjustment: float = 0.0) -> dict[str, Any]:
    return {
        'Vec': vec + [0.0] * (8 - len(vec)),
        'Error': 1.5,
        'Adjustment': adjustment,
        'Height': height,
    }


def consul_rtt(agent: ConsulAgent, node_a: str, node_b: str) -> str:
    """The milliseconds ``consul rtt`` prints for two nodes, as text ('5.110')."""
    output = subprocess.run(
        [consul_binary(), 'rtt', f'-http-addr={agent.http_addr}', node_a, node_b],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    match = re.search(r'rtt: ([0-9.]+) ms', output)
    assert match, output
    return match.group(1)


@pytest.fixture
def fake_nodes(consul: consulate.Consul) -> Iterator[Callable[[dict[str, Any]], str]]:
    """Register catalog nodes with a known coordinate; they are deregistered afterwards."""
    names: list[str] = []

    def make(coordinate: dict[str, Any]) -> str:
        name = unique('coord')
        consul.txn.execute([txn.node_set({'Node': name, 'Address': '192.0.2.1'})])
        names.append(name)
        consul.coordinate.update(name, coordinate)
        assert eventually(lambda: [e for e in consul.coordinate.nodes() if e['Node'] == name])
        return name

    yield make
    consul.txn.execute([txn.node_delete(name) for name in names])


def test_datacenters_lists_this_server(consul: consulate.Consul, consul_agent: ConsulAgent) -> None:
    datacenters = consul.coordinate.datacenters()
    assert isinstance(datacenters, list)
    (dc1,) = [dc for dc in datacenters if dc['Datacenter'] == consul_agent.datacenter]
    nodes = [entry['Node'] for entry in dc1['Coordinates']]
    assert any(node.startswith(consul_agent.node_name) for node in nodes)
    assert len(dc1['Coordinates'][0]['Coord']['Vec']) == 8


def test_update_then_node_and_nodes(
    consul: consulate.Consul, fake_nodes: Callable[[dict[str, Any]], str]
) -> None:
    value = coord([0.001, 0.002], 0.0003, -0.00005)
    name = fake_nodes(value)
    (entry,) = consul.coordinate.node(name)
    assert entry['Node'] == name
    assert entry['Segment'] == ''
    assert entry['Coord'] == value
    assert consul.coordinate.last_response is not None
    assert consul.coordinate.last_response.index
    listed = [e for e in consul.coordinate.nodes() if e['Node'] == name]
    assert listed == [entry]


def test_node_without_coordinate_raises_not_found(consul: consulate.Consul) -> None:
    with pytest.raises(exceptions.NotFound, match='no coordinate'):
        consul.coordinate.node(unique('nobody'))


def test_nodes_blocks_until_a_coordinate_changes(
    consul: consulate.Consul, fake_nodes: Callable[[dict[str, Any]], str]
) -> None:
    name = fake_nodes(coord([0.001], 0.0001))
    consul.coordinate.nodes()
    index = consul.coordinate.last_response.index  # type: ignore[union-attr]
    for _ in range(5):  # the agent's own batched coordinate updates may land meanwhile
        started = time.monotonic()
        consul.coordinate.nodes(index=index, wait='1s')
        if time.monotonic() - started >= 0.9:
            break  # nothing changed: it waited
        newer = consul.coordinate.last_response.index  # type: ignore[union-attr]
        assert newer > index  # an early answer only for a change
        index = newer
    else:
        pytest.fail('every blocking read returned early')
    consul.coordinate.update(name, coord([0.002], 0.0001))
    started = time.monotonic()
    consul.coordinate.nodes(index=index, wait='20s')
    assert time.monotonic() - started < 15  # the update woke it up


def test_rtt_matches_consul_rtt(
    consul: consulate.Consul,
    consul_agent: ConsulAgent,
    fake_nodes: Callable[[dict[str, Any]], str],
) -> None:
    a = fake_nodes(coord([0.003, 0.004], 0.0002, -0.0001))
    b = fake_nodes(coord([], 0.00001))
    c = fake_nodes(coord([-0.002, 0.0, 0.001], 0.0001, -0.05))  # adjusted < 0: raw distance
    # |(0.003, 0.004)| + 0.0002 + 0.00001 - 0.0001 = 0.00511 s
    assert consul.coordinate.rtt(a, b) == pytest.approx(0.00511)
    assert consul.coordinate.rtt(b, a) == consul.coordinate.rtt(a, b)
    for x, y in ((a, b), (a, c), (b, c)):
        assert f'{consul.coordinate.rtt(x, y) * 1000:.3f}' == consul_rtt(consul_agent, x, y)


def test_rtt_of_the_dev_node_to_itself(consul: consulate.Consul, consul_agent: ConsulAgent) -> None:
    node = consul_agent.node_name

    def own() -> list[dict[str, Any]]:
        return [e for e in consul.coordinate.nodes() if e['Node'] == node]

    if not own():
        consul.coordinate.update(node, coord([0.0], 0.00001))  # rather than wait ~15 s for gossip
    assert eventually(own)
    for _ in range(3):  # the agent may replace its own coordinate meanwhile: retry then
        (before,) = consul.coordinate.node(node)
        estimate = consul.coordinate.rtt(node, node)
        printed = consul_rtt(consul_agent, node, node)
        if consul.coordinate.node(node) == [before]:
            break
    height, adjustment = before['Coord']['Height'], before['Coord']['Adjustment']
    expected = 2 * height + 2 * adjustment if height + adjustment > 0 else 2 * height
    assert estimate == pytest.approx(expected)
    assert f'{estimate * 1000:.3f}' == printed


def test_rtt_accepts_coordinates_and_mixes(
    consul: consulate.Consul, fake_nodes: Callable[[dict[str, Any]], str]
) -> None:
    value = coord([0.003, 0.004], 0.0)
    name = fake_nodes(value)
    origin = coord([], 0.0)
    assert consul.coordinate.rtt(value, origin) == pytest.approx(0.005)
    assert consul.coordinate.rtt(name, origin) == pytest.approx(0.005)
    (entry,) = consul.coordinate.node(name)
    assert consul.coordinate.rtt(entry, name) == 0.0


def test_rtt_of_an_unknown_node_raises(consul: consulate.Consul, consul_agent: ConsulAgent) -> None:
    with pytest.raises(exceptions.NotFound, match='no coordinate'):
        consul.coordinate.rtt(consul_agent.node_name, unique('nobody'))
