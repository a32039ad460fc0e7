"""consulate where users run it: gevent, signals, tracers, stray bytes, many long polls, close().

Every request goes through requests, so what holds for requests holds here:
timeouts under gevent's monkey-patching and periodic signals, a tracer's
spans, stray bytes on a kept connection never read as an answer. Long polls
have connections of their own, few of which are kept, and ``close()`` ends
one in flight at once, leaving no connection open.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

import consulate
from consulate import exceptions
from consulate.adapters.session import LONG_POLL_KEPT
from consulate.testing import ConsulAgent
from tests.support.polling import eventually
from tests.support.proxy import Canned, RecordingProxy, Seen
from tests.support.sockets import SilentServer, connections_to

ROOT = Path(__file__).resolve().parents[2]


def run_script(code: str, *args: str, timeout: float = 60) -> str:
    """Run ``code`` in a fresh interpreter (argv: ``args``) and return what it printed."""
    done = subprocess.run(
        [sys.executable, '-c', code, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def port_of(agent: ConsulAgent) -> int:
    return int(agent.http_addr.rsplit(':', 1)[1])


# -- timeouts that hold --------------------------------------------------------------

GEVENT = r"""
from gevent import monkey

monkey.patch_all()

import sys
import time

import gevent

import consulate
from consulate import exceptions

silent, agent = sys.argv[1:3]
started = time.monotonic()
try:
    consulate.Consul(addr=silent, env={}, timeout=(2, 2)).kv.get('x')
except exceptions.RequestTimeout:
    print('timeout after', round(time.monotonic() - started, 2))
consul = consulate.Consul(addr=agent, env={})
consul.kv['gevent/key'] = 'from gevent'
ticks = []
ticker = gevent.spawn(lambda: [ticks.append(gevent.sleep(0.05)) for _ in range(20)])
cache = consul.cache.kv('gevent/').start()
cache.wait_ready(10)
getters = [gevent.spawn(lambda: consul.kv['gevent/key']) for _ in range(20)]
gevent.joinall(getters + [ticker], timeout=30)
print('values', sorted({g.value for g in getters}))
print('ticks', len(ticks))
started = time.monotonic()
cache.close()
print('cache closed after', round(time.monotonic() - started, 2))
consul.kv.delete('gevent/key')
"""


def test_under_gevent_a_read_timeout_fires_and_greenlets_share_a_client(
    consul_agent: ConsulAgent,
) -> None:
    with SilentServer() as silent:
        lines = run_script(GEVENT, silent.addr, consul_agent.http_addr).splitlines()
    timeout = next(line for line in lines if line.startswith('timeout after'))
    assert 1.9 <= float(timeout.split()[-1]) < 3.5
    assert "values ['from gevent']" in lines
    assert 'ticks 20' in lines  # the hub ran while the cache long-polled
    closed = next(line for line in lines if line.startswith('cache closed after'))
    assert float(closed.split()[-1]) < 1.0


SIGNALS = r"""
import signal
import sys
import time

import consulate
from consulate import exceptions

ticks = []
signal.signal(signal.SIGALRM, lambda *_: ticks.append(1))
signal.setitimer(signal.ITIMER_REAL, 0.5, 0.5)
started = time.monotonic()
try:
    consulate.Consul(addr=sys.argv[1], env={}, timeout=(2, 2)).status.leader()
except exceptions.RequestTimeout:
    print('timeout after', round(time.monotonic() - started, 2), 'ticks', len(ticks))
"""


@pytest.mark.parametrize('transport', ['tcp', 'unix'])
def test_a_read_timeout_fires_while_signals_arrive_every_half_second(
    transport: str, tmp_path: Path
) -> None:
    unix = str(tmp_path / 'silent.sock') if transport == 'unix' else None
    with SilentServer(unix=unix) as silent:
        words = run_script(SIGNALS, silent.addr).split()
    assert words[:2] == ['timeout', 'after'], words
    assert 1.9 <= float(words[2]) < 3.5
    assert int(words[4]) >= 3


def test_a_write_timeout_is_reported_as_one_and_takes_one_timeout() -> None:
    with SilentServer(read=False) as silent:
        consul = consulate.Consul(addr=silent.addr, env={}, timeout=(2, 1))
        started = time.monotonic()
        with pytest.raises(exceptions.RequestTimeout, match='timed out writing') as caught:
            consul.adapter.put(f'{consul.base_uri}/kv/big', b'x' * (32 << 20))
        assert time.monotonic() - started < 2.5
    assert caught.value.maybe_applied  # part of it was sent: the agent may have applied it


# -- what comes back on a kept connection ------------------------------------------------


def test_stray_bytes_on_a_kept_connection_are_never_read_as_an_answer(
    consul_agent: ConsulAgent, prefix: str
) -> None:
    """An answer to nothing arrives on an idle connection: it is dropped, never read."""
    stray = (
        b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Consul-Index: 1\r\n'
        b'Content-Length: 5\r\n\r\nfalse'
    )
    served = []

    def answer(seen: Seen) -> Canned | None:
        served.append(seen.method)
        return Canned(trailing=stray)

    with consul_agent.client() as direct:
        direct.kv[f'{prefix}/a'] = 'A'
        direct.kv[f'{prefix}/b'] = 'B'
        with RecordingProxy(consul_agent.http_addr, answer=answer) as proxy:
            consul = proxy.client()
            assert consul.kv[f'{prefix}/a'] == 'A'
            time.sleep(0.1)  # the stray answer is on the idle connection now
            assert consul.kv[f'{prefix}/b'] == 'B'
            for number in range(40):
                consul.kv[f'{prefix}/w{number}'] = f'v{number}'  # each reads its own `true`
            consul.close()
        assert direct.kv.find(f'{prefix}/w') == {f'{prefix}/w{n}': f'v{n}' for n in range(40)}
    assert len(served) == 42


# -- long polls: few connections kept, and close() ends them --------------------------------


@pytest.fixture(scope='module')
def poll_agent() -> Any:
    """An agent of this module's own: the connection counts below are about it alone."""
    with ConsulAgent() as agent:
        yield agent


def test_after_a_burst_of_200_long_polls_the_agent_still_answers_everyone(
    poll_agent: ConsulAgent,
) -> None:
    consul = poll_agent.client()
    consul.kv['burst/key'] = 'v'
    assert consul.kv['burst/key'] == 'v'
    index = consul.kv.last_response.index  # type: ignore[union-attr]
    assert index

    def poll(_: int) -> None:
        try:
            consul.kv.get('burst/key', index=index, wait='2s')
        except exceptions.ConsulateException:
            pass  # the agent refuses connections past its 200 per address

    with ThreadPoolExecutor(200) as pool:
        list(pool.map(poll, range(200)))
    assert connections_to(port_of(poll_agent)) <= LONG_POLL_KEPT + 2
    with poll_agent.client() as fresh:
        assert fresh.kv['burst/key'] == 'v'
    curl = shutil.which('curl')
    if curl:
        out = subprocess.run(
            [curl, '-s', f'http://{poll_agent.http_addr}/v1/status/leader'],
            capture_output=True,
            timeout=10,
        )
        assert out.returncode == 0 and out.stdout.startswith(b'"')
    consul.close()
    assert connections_to(port_of(poll_agent)) == 0


def test_opening_and_closing_250_caches_keeps_no_connection(poll_agent: ConsulAgent) -> None:
    consul = poll_agent.client()
    consul.kv['caches/key'] = 'v'
    for _ in range(250):
        cache = consul.cache.kv('caches/')
        cache.wait_ready(10)
        cache.close()
    assert connections_to(port_of(poll_agent)) <= 2
    with poll_agent.client() as fresh:
        assert fresh.kv['caches/key'] == 'v'
    consul.close()


def in_a_long_poll(consul: consulate.Consul, what: str) -> tuple[Any, threading.Thread]:
    """A cache or a watcher of ``consul``, its thread blocked in a long poll."""
    consul.kv['closing/key'] = 'v'
    if what == 'cache':
        cache = consul.cache.kv('closing/').start()
        cache.wait_ready(10)
        thread = cache._thread
        assert thread is not None
        owner: Any = cache
        watcher = cache._watcher
    else:
        watcher = owner = consul.watch.key('closing/key', wait='60s')
        thread = threading.Thread(target=lambda: list(watcher), daemon=True)
        thread.start()
    eventually(lambda: watcher.reading and watcher.index is not None, timeout=10)
    time.sleep(0.2)  # well inside the 60 s wait
    return owner, thread


@pytest.mark.parametrize(
    ('what', 'closing'),
    [
        ('cache', 'the cache'),
        ('cache', 'the client'),
        ('watch', 'the watcher'),
        ('watch', 'the client'),
    ],
)
def test_close_ends_a_long_poll_in_flight_within_a_second(
    poll_agent: ConsulAgent, what: str, closing: str
) -> None:
    consul = poll_agent.client()
    port = port_of(poll_agent)
    owner, thread = in_a_long_poll(consul, what)
    polling = connections_to(port)
    started = time.monotonic()
    (consul if closing == 'the client' else owner).close()
    thread.join(1.0)
    assert not thread.is_alive()
    assert time.monotonic() - started < 1.0
    expected = 0 if closing == 'the client' else polling - 1
    eventually(lambda: connections_to(port) == expected, timeout=1)
    consul.close()
    assert connections_to(port) == 0


def test_a_forked_child_closes_its_copies_of_the_parents_connections(
    poll_agent: ConsulAgent,
) -> None:
    consul = poll_agent.client()
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda i: consul.kv.set(f'fork/{i}', i), range(16)))
    port = port_of(poll_agent)
    assert connections_to(port) >= 2
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: close the client, count again
        try:
            consul.close()
            os.write(write, str(connections_to(port)).encode())
        finally:
            os._exit(0)
    os.close(write)
    os.waitpid(pid, 0)
    assert os.read(read, 16) == b'0'
    os.close(read)
    assert consul.kv['fork/3'] == '3'  # the parent's connections still work
    consul.close()


# -- what the Python ecosystem sees ------------------------------------------------------------


def test_opentelemetry_records_a_span_for_each_request(
    consul: consulate.Consul, prefix: str
) -> None:
    from opentelemetry.instrumentation.requests import RequestsInstrumentor
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    instrumentor = RequestsInstrumentor()
    instrumentor.instrument(tracer_provider=provider)
    try:
        assert consul.kv.get(f'{prefix}/missing') is None
        consul.kv[f'{prefix}/traced'] = 'yes'
    finally:
        instrumentor.uninstrument()
    spans = exporter.get_finished_spans()
    urls = [
        str(span.attributes.get('url.full') or span.attributes.get('http.url')) for span in spans
    ]
    methods = [
        span.attributes.get('http.request.method') or span.attributes.get('http.method')
        for span in spans
    ]
    assert any(url.endswith(f'/v1/kv/{prefix}/missing') for url in urls), urls
    assert any(f'/v1/kv/{prefix}/traced' in url for url in urls), urls
    assert {'GET', 'PUT'} <= set(methods)


# -- headers read defensively ---------------------------------------------------------------


def test_a_garbled_index_is_waited_out_by_a_watch_and_reported(
    consul_agent: ConsulAgent, prefix: str
) -> None:
    garble = [True]

    def answer(seen: Seen) -> Canned | None:
        if garble[0] and seen.method == 'GET':
            return Canned(headers={'X-Consul-Index': '5, 5'})
        return None

    with consul_agent.client() as direct:
        direct.kv[f'{prefix}/w'] = 'one'
        with RecordingProxy(consul_agent.http_addr, answer=answer) as proxy:
            consul = proxy.client()
            with consul.watch.key(f'{prefix}/w', wait='1s', max_backoff=0.2) as watcher:
                assert watcher.next(timeout=1.0, default='nothing') == 'nothing'
                assert isinstance(watcher.last_error, exceptions.InvalidResponse)
                assert 'X-Consul-Index' in str(watcher.last_error)
                garble[0] = False
                assert watcher.next(timeout=5.0) == 'one'  # it carried on by itself
            consul.close()


def test_a_garbled_index_makes_a_held_lock_report_its_loss(
    consul_agent: ConsulAgent, prefix: str
) -> None:
    garble = [False]

    def answer(seen: Seen) -> Canned | None:
        if garble[0] and seen.method == 'GET':
            return Canned(headers={'X-Consul-Index': '\u00b2'})
        return None

    with RecordingProxy(consul_agent.http_addr, answer=answer) as proxy:
        consul = proxy.client()
        with consul.lock.acquire(f'{prefix}-lock', ttl='10s') as held:
            garble[0] = True
            assert held.lost.wait(10), 'the monitor died without saying so'
            assert 'X-Consul-Index' in str(held.lost_reason)
        consul.close()


# -- TLS settings refused before anything is sent ----------------------------------------------


def test_an_encrypted_client_key_is_refused_instead_of_prompting(tmp_path: Path) -> None:
    openssl = shutil.which('openssl')
    if openssl is None:
        pytest.skip('no openssl command to make an encrypted key')
    key = tmp_path / 'client.key'
    subprocess.run(
        [openssl, 'genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256',
         '-aes256', '-pass', 'pass:secret', '-out', str(key)],
        check=True, capture_output=True, timeout=30,
    )  # fmt: skip
    with pytest.raises(exceptions.ValidationError, match='encrypted'):
        consulate.Consul(addr='https://127.0.0.1:1', cert=(str(key), str(key)), env={})


def test_closing_the_client_ends_a_blocking_query_of_another_thread(
    poll_agent: ConsulAgent,
) -> None:
    consul = poll_agent.client()
    consul.kv['closing/plain'] = 'v'
    assert consul.kv['closing/plain'] == 'v'
    index = consul.kv.last_response.index  # type: ignore[union-attr]
    raised: list[BaseException] = []

    def block() -> None:
        try:
            consul.kv.get('closing/plain', index=index, wait='60s')
        except exceptions.ConsulateException as error:
            raised.append(error)

    thread = threading.Thread(target=block, daemon=True)
    thread.start()
    eventually(lambda: connections_to(port_of(poll_agent)) >= 2, timeout=5)  # it is waiting
    time.sleep(0.2)
    started = time.monotonic()
    consul.close()
    thread.join(1.0)
    assert not thread.is_alive() and time.monotonic() - started < 1.0
    assert len(raised) == 1 and isinstance(raised[0], exceptions.Cancelled), raised
    assert connections_to(port_of(poll_agent)) == 0
    assert consul.kv['closing/plain'] == 'v'  # the client stays usable
    consul.close()
