"""The tests' own polling helper: what it returns, when it gives up, what it says."""

from __future__ import annotations

import time

import pytest

from tests.support.polling import eventually


def test_the_first_truthy_answer_is_returned() -> None:
    answers = iter([None, [], 0, ['found']])
    assert eventually(lambda: next(answers), timeout=5, interval=0.001) == ['found']


def test_a_falsy_answer_until_the_deadline_fails_naming_the_probe_and_the_last_answer() -> None:
    started = time.monotonic()
    with pytest.raises(AssertionError) as caught:
        eventually(lambda: [] == ['never'], timeout=0.2, interval=0.01)
    assert time.monotonic() - started >= 0.2
    message = str(caught.value)
    assert "[] == ['never']" in message  # the probe's source line
    assert 'test_polling.py:' in message
    assert 'still not true after 0.2s' in message
    assert 'returned False' in message


def test_a_named_function_is_named_and_what_overrides_it() -> None:
    def ready() -> bool:
        return False

    with pytest.raises(AssertionError, match=r'^.*ready still not true'):
        eventually(ready, timeout=0.01)
    with pytest.raises(AssertionError, match=r'^the leader still not true'):
        eventually(ready, timeout=0.01, what='the leader')


def test_the_probe_gets_a_last_try_at_the_deadline() -> None:
    calls: list[float] = []

    def probe() -> bool:
        calls.append(time.monotonic())
        return len(calls) == 2

    # one try at once; the interval is longer than the timeout; the second try is at the deadline
    assert eventually(probe, timeout=0.1, interval=5) is True
    assert 0.1 <= calls[1] - calls[0] < 2


def test_ignored_exceptions_count_as_falsy_and_the_last_is_the_cause() -> None:
    answers: list[str | Exception] = [ConnectionError('refused'), ConnectionError('refused'), 'up']

    def probe() -> str:
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    assert eventually(probe, timeout=5, interval=0.001, ignoring=(ConnectionError,)) == 'up'

    def down() -> str:
        raise ConnectionError('still refused')

    with pytest.raises(
        AssertionError, match="raised ConnectionError\\('still refused'\\)"
    ) as caught:
        eventually(down, timeout=0.05, interval=0.01, ignoring=(OSError,))
    assert isinstance(caught.value.__cause__, ConnectionError)


def test_other_exceptions_and_failed_assertions_propagate_at_once() -> None:
    calls = []

    def probe() -> bool:
        calls.append(1)
        raise KeyError('k')

    with pytest.raises(KeyError):
        eventually(probe, timeout=5, ignoring=(ConnectionError,))
    assert calls == [1]

    def wrong() -> bool:
        raise AssertionError('the value changed')

    with pytest.raises(AssertionError, match='the value changed'):
        eventually(wrong, timeout=5)
