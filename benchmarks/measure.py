"""Timing, CPU, memory and import-cost measurements for the benchmark."""

from __future__ import annotations

import gc
import importlib.metadata
import json
import os
import platform
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Workload:
    """One operation of a workload, and how to time it.

    :ivar op: does ``per_call`` operations
    :ivar per_call: how many operations one call of ``op`` does (a gang of threads does many)
    :ivar before: called before each batch (outside the timing), such as opening watches
    :ivar after: called after each batch (outside the timing)
    :ivar latency: record how long each call takes, for percentiles
    """

    op: Callable[[], Any]
    per_call: int = 1
    before: Callable[[], None] | None = None
    after: Callable[[], None] | None = None
    latency: bool = False

    @classmethod
    def of(cls, op: Callable[[], Any] | Workload) -> Workload:
        return op if isinstance(op, Workload) else cls(op)


@dataclass
class Batch:
    """One timed batch: ``count`` operations in ``wall`` seconds, using ``cpu`` seconds of this process.

    ``cpu`` is :func:`time.process_time`: every thread of the process, the
    benchmark's own threads (gangs, watches) included.
    """

    count: int
    wall: float
    cpu: float

    @property
    def ops_per_second(self) -> float:
        return self.count / self.wall

    @property
    def cpu_us_per_op(self) -> float:
        return 1e6 * self.cpu / self.count


@dataclass
class Series:
    """The batches of one client on one workload, one per round, and the latencies of its calls."""

    batches: list[Batch] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)

    def median_ops(self) -> float:
        return statistics.median(b.ops_per_second for b in self.batches)

    def median_cpu(self) -> float:
        return statistics.median(b.cpu_us_per_op for b in self.batches)

    def percentile(self, share: float) -> float:
        """The latency (seconds) that ``share`` of the calls stayed under, over every round."""
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def time_batch(work: Workload, count: int, latencies: list[float] | None = None) -> Batch:
    """Run ``work.op`` ``count`` times; wall time and this process's CPU time (time.process_time).

    With ``latencies``, each call's duration is appended to it.
    """
    op = work.op
    if work.before is not None:
        work.before()
    try:
        gc.collect()
        wall0, cpu0 = time.perf_counter(), time.process_time()
        if latencies is None:
            for _ in range(count):
                op()
        else:
            clock, record = time.perf_counter, latencies.append
            for _ in range(count):
                started = clock()
                op()
                record(clock() - started)
        wall1, cpu1 = time.perf_counter(), time.process_time()
    finally:
        if work.after is not None:
            work.after()
    return Batch(count * work.per_call, wall1 - wall0, cpu1 - cpu0)


def calibrate(work: Workload, seconds: float, warmup: float = 0.1) -> int:
    """How many calls of ``work.op`` take about ``seconds`` (after warming it up)."""
    if work.before is not None:
        work.before()
    try:
        done, start = 0, time.perf_counter()
        while True:
            work.op()
            done += 1
            elapsed = time.perf_counter() - start
            if elapsed >= warmup:
                break
    finally:
        if work.after is not None:
            work.after()
    return max(1, round(seconds * done / elapsed))


def peak_memory(op: Callable[[], Any]) -> int:
    """The peak of Python allocations (tracemalloc) while ``op`` runs once, in bytes."""
    gc.collect()
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        result = op()
        peak = tracemalloc.get_traced_memory()[1]
        del result
    finally:
        tracemalloc.stop()
    return peak - base


# The peak RSS comes from VmHWM: ru_maxrss would report the benchmark's own
# peak, which a child inherits on Linux.
_IMPORT_PROBE = """
import time
start, cpu = time.perf_counter(), time.process_time()
{statement}
elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
with open('/proc/self/status') as status:
    rss = next(int(line.split()[1]) for line in status if line.startswith('VmHWM:'))
print(elapsed, cpu, rss)
"""


@dataclass
class ImportCost:
    """The median wall and CPU time, and peak RSS growth, of an import in a fresh interpreter."""

    seconds: float
    cpu_seconds: float
    rss_kib: float


def import_costs(statements: dict[str, str], runs: int, cwd: str) -> dict[str, ImportCost]:
    """Time each import statement in ``runs`` fresh interpreters, interleaved; medians.

    The peak RSS is reported above that of an interpreter that imports nothing.
    """
    probes = {'': 'pass', **statements}
    samples: dict[str, list[tuple[float, float, int]]] = {name: [] for name in probes}
    env = {k: v for k, v in os.environ.items() if not k.startswith('PYTHON')}
    for _ in range(runs):
        for name, statement in probes.items():
            code = _IMPORT_PROBE.format(statement=statement)
            output = subprocess.run(
                [sys.executable, '-c', code],
                capture_output=True,
                text=True,
                cwd=cwd,
                env=env,
                check=True,
            ).stdout.split()
            samples[name].append((float(output[0]), float(output[1]), int(output[2])))
    base_rss = statistics.median(rss for _, _, rss in samples[''])
    return {
        name: ImportCost(
            statistics.median(t for t, _, _ in samples[name]),
            statistics.median(c for _, c, _ in samples[name]),
            statistics.median(rss for _, _, rss in samples[name]) - base_rss,
        )
        for name in statements
    }


def machine(consul_version: str) -> dict[str, str]:
    """What the figures were measured on."""
    import requests
    import urllib3

    import consulate

    return {
        'cpus': str(os.cpu_count()),
        'cpu model': _cpu_model(),
        'os': f'{platform.system()} {platform.release()}',
        'python': platform.python_version(),
        'consul': consul_version,
        'consulate': consulate.__version__,
        'requests': requests.__version__,
        'py-consul': _version('py-consul'),
        'urllib3': getattr(urllib3, '__version__', 'unknown'),
    }


def _version(distribution: str) -> str:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return 'not installed'


def _cpu_model() -> str:
    try:
        with open('/proc/cpuinfo', encoding='utf-8') as handle:
            for line in handle:
                if line.startswith('model name'):
                    return line.split(':', 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or 'unknown'


def median_ratio(numerators: Sequence[Batch], denominators: Sequence[Batch]) -> float:
    """The median over rounds of (ops/s of one client) / (ops/s of another) in the same round."""
    return statistics.median(
        a.ops_per_second / b.ops_per_second for a, b in zip(numerators, denominators, strict=True)
    )


def dump(path: str, data: dict[str, Any]) -> None:
    with open(path, 'w', encoding='utf-8') as handle:
        json.dump(data, handle, indent=2)
