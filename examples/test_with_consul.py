"""Testing an application against a real Consul with consulate's pytest plugin.

No conftest.py is needed: installing consulate installs the plugin, whose
``consul`` fixture is a client of a dev agent started for the test session
(Consul from $CONSUL_BIN or PATH) and emptied after each test::

    pytest examples/test_with_consul.py
"""

from __future__ import annotations

import consulate


def feature_enabled(consul: consulate.Consul, feature: str) -> bool:
    """The application code under test: a feature flag kept in Consul's KV store."""
    return consul.kv.get(f'flags/{feature}') == 'true'  # the stored text: True is stored as 'true'


def test_a_flag_turns_the_feature_on(consul: consulate.Consul) -> None:
    assert feature_enabled(consul, 'new-ui') is False
    consul.kv['flags/new-ui'] = True
    assert feature_enabled(consul, 'new-ui') is True


def test_each_test_starts_from_an_empty_agent(consul: consulate.Consul) -> None:
    assert consul.kv.find('flags/') == {}  # the last test's flag is gone


def test_a_registered_service_can_be_picked(consul: consulate.Consul) -> None:
    with consul.agent.service.registered('web', port=8080, ttl='5s'):
        assert consul.health.pick('web') == ('127.0.0.1', 8080)
    assert consul.health.service('web') == []
