"""The Watcher's blocking-query rules, driven by a scripted read (no agent).

A real agent does not answer with index 0, nor move its index backwards on
demand; these tests feed such answers to check the documented rules: the
first read does not block, 0 is never sent, a backwards index resets the
watch, an unchanged index or value is not yielded, errors are waited out.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from typing import Any

import pytest

from consulate import exceptions
from consulate.adapters import Response
from consulate.watch import Watcher


class Script:
    """A read that answers from a list and records the ``(index, wait)`` it was sent.

    Once the list is used up it blocks for ``wait`` and repeats the last answer,
    as an agent does when nothing changes.
    """

    def __init__(self, answers: Iterable[tuple[Any, int] | BaseException]) -> None:
        self.answers = list(answers)
        self.last: tuple[Any, int] | BaseException = self.answers[-1]
        self.sent: list[tuple[int | None, float | None]] = []

    def __call__(self, index: int | None, wait: float | None) -> tuple[Any, Response]:
        self.sent.append((index, wait))
        if self.answers:
            answer = self.answers.pop(0)
        else:
            time.sleep(wait or 0)
            answer = self.last
        if isinstance(answer, BaseException):
            raise answer
        value, new_index = answer
        return value, Response(200, b'', {'X-Consul-Index': str(new_index)})


def watcher(script: Script, **options: Any) -> Watcher[Any]:
    return Watcher(script, wait=10, rate=None, max_backoff=0.01, **options)


def test_first_read_does_not_block_and_later_reads_send_the_index() -> None:
    script = Script([('a', 5), ('b', 7)])
    watch = watcher(script)
    assert [next(watch), next(watch)] == ['a', 'b']
    assert script.sent == [(None, None), (5, 10.0)]
    assert watch.index == 7


def test_an_unchanged_index_or_value_is_not_yielded() -> None:
    script = Script([('a', 5), ('a', 5), ('a', 6), ('b', 8)])
    watch = watcher(script)
    assert next(watch) == 'a'
    assert next(watch) == 'b'
    assert script.sent == [(None, None), (5, 10.0), (5, 10.0), (6, 10.0)]


def test_index_zero_is_never_sent() -> None:
    script = Script([('a', 0), ('b', 3)])
    watch = watcher(script)
    next(watch)
    next(watch)
    assert script.sent[1][0] == 1


def test_a_backwards_index_resets_the_watch() -> None:
    script = Script([('a', 50), ('a', 20), ('b', 21)])
    watch = watcher(script)
    assert next(watch) == 'a'
    assert next(watch) == 'b'
    assert script.sent == [(None, None), (50, 10.0), (None, None)]
    assert watch.index == 21


def test_event_indexes_are_compared_for_equality_only() -> None:
    script = Script([(['e1'], 900), (['e2'], 300)])
    watch = watcher(script, ordered=False)
    assert next(watch) == ['e1']
    assert next(watch) == ['e2']
    assert script.sent == [(None, None), (900, 10.0)]


def test_transient_errors_are_waited_out_and_reset_the_index() -> None:
    script = Script(
        [
            ('a', 5),
            exceptions.ConnectError('refused'),
            exceptions.ServerError(500, 'GET', '/v1/kv/k', 'No cluster leader'),
            ('b', 9),
        ]
    )
    watch = watcher(script)
    assert next(watch) == 'a'
    assert next(watch) == 'b'
    assert script.sent == [(None, None), (5, 10.0), (None, None), (None, None)]
    assert watch.last_error is None


def test_other_errors_are_raised_and_the_watch_can_go_on() -> None:
    script = Script([('a', 5), exceptions.Forbidden(403, 'GET', '/v1/kv/k', 'denied'), ('b', 6)])
    watch = watcher(script)
    next(watch)
    with pytest.raises(exceptions.Forbidden):
        next(watch)
    assert next(watch) == 'b'


def test_timeout_bounds_the_wait_sent_and_the_time_spent() -> None:
    script = Script([('a', 5), ('a', 5)])
    watch = watcher(script)
    next(watch)
    started = time.monotonic()
    assert watch.next(timeout=0.2, default='none') == 'none'
    assert time.monotonic() - started < 0.5
    assert all(wait is not None and wait <= 0.2 for _index, wait in script.sent[1:])


def test_backoff_is_bounded_by_the_timeout() -> None:
    script = Script([exceptions.ConnectError('refused')] * 50)
    watch = Watcher(script, rate=None, max_backoff=60)
    with pytest.raises(TimeoutError):
        watch.next(timeout=0.3)
    assert isinstance(watch.last_error, exceptions.ConnectError)


def test_close_from_another_thread_ends_a_back_off_at_once() -> None:
    script = Script([exceptions.ConnectError('refused')] * 5)
    watch = Watcher(script, rate=None, max_backoff=60)
    watch._failures = 10  # the next pause would be a minute long
    outcome: list[BaseException] = []

    def consume() -> None:
        try:
            next(watch)
        except BaseException as error:
            outcome.append(error)

    thread = threading.Thread(target=consume)
    thread.start()
    time.sleep(0.2)  # in the back-off now
    started = time.monotonic()
    watch.close()
    thread.join(5)
    assert time.monotonic() - started < 0.5
    assert not thread.is_alive()
    assert [type(error) for error in outcome] == [StopIteration]
    assert watch.reading is False


def test_wait_out_widens_the_errors_waited_out_and_on_error_sees_each() -> None:
    denied = exceptions.Forbidden(403, 'GET', '/v1/kv/k', 'denied')
    script = Script([('a', 5), denied, denied, ('b', 6)])
    seen: list[BaseException] = []
    watch = watcher(script, wait_out=(exceptions.ConsulateException,), on_error=seen.append)
    assert next(watch) == 'a'
    assert next(watch) == 'b'
    assert seen == [denied, denied]
    assert watch.last_error is None
