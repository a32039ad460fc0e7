"""The benchmark's table of medians and its targets, from the figures of one run.

The table has a column per client (consulate, the requests floor, py-consul)
and two ratio columns: consulate over the requests floor (the floor of any
client sending through ``requests.Session.send``, as consulate does) and
consulate over py-consul. For ops/s a ratio is the median of the per-round
ratios; for the other figures, the ratio of the medians. The import rows
compare ``import consulate`` with ``import requests`` and ``import consul``
(py-consul).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import measure
from data import FLOOR_POOL, THREADS

#: The clients, in the table's order: the first is the one measured, the others its baselines.
CONSULATE, FLOOR, PY_CONSUL = 'consulate', 'requests floor', 'py-consul'
CLIENTS = (CONSULATE, FLOOR, PY_CONSUL)
#: The import each column's import cost is of, by client.
IMPORTS = {CONSULATE: 'consulate', FLOOR: 'requests', PY_CONSUL: 'consul (py-consul)'}


@dataclass
class Results:
    """Everything one run measured.

    :ivar series: the batches (and latencies) of each ``(workload, client)``
    :ivar memory: the peak Python allocations of the many-key workloads, bytes
    :ivar counts: the HTTP requests consulate sent for one operation, by workload
    :ivar per_key: seconds of the bulk load written as one ``kv[k] = v`` per key
    :ivar imports: the import costs, by module (:data:`IMPORTS`, and ``'consulate (baseline)'``)
    :ivar pool_full: urllib3's "connection pool is full" warnings logged during the run,
        by the client whose pool logged it (``'unattributed'``: whose could not be told)
    """

    names: Any
    rows: list[str]
    skipped: list[str]
    series: dict[tuple[str, str], measure.Series]
    memory: dict[tuple[str, str], int] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    per_key: float | None = None
    imports: dict[str, measure.ImportCost] = field(default_factory=dict)
    pool_full: dict[str, int] = field(default_factory=dict)

    def ratio(self, row: str, other: str) -> float:
        """Median over rounds of consulate's ops/s over ``other``'s on ``row``."""
        return measure.median_ratio(
            self.series[row, 'consulate'].batches, self.series[row, other].batches
        )


def _number(value: float) -> str:
    if value >= 100:
        return f'{value:,.0f}'
    return f'{value:.3g}'


def _ratio(value: float) -> str:
    return f'{value:.2f}x'


def _divide(numerator: float, denominator: float) -> str:
    return _ratio(numerator / denominator) if denominator > 0 else '-'


def _figure(name: str, values: list[float], fmt: Any = _number) -> list[str]:
    return ['', name, *map(fmt, values)] + [_divide(values[0], v) for v in values[1:]]


def table_rows(results: Results) -> list[list[str]]:
    series = results.series
    lines: list[list[str]] = []
    for row in results.rows:
        ops = [series[row, client].median_ops() for client in CLIENTS]
        batches = [series[row, client].batches for client in CLIENTS]
        lines.append(
            [row, 'ops/s', *map(_number, ops)]
            + [_ratio(measure.median_ratio(batches[0], b)) for b in batches[1:]]
        )
        lines.append(_figure('CPU µs/op', [series[row, client].median_cpu() for client in CLIENTS]))
        if series[row, 'consulate'].latencies:
            for name, share in (('p50 µs', 0.5), ('p99 µs', 0.99)):
                values = [1e6 * series[row, client].percentile(share) for client in CLIENTS]
                lines.append(_figure(name, values))
        if (row, 'consulate') in results.memory:
            lines.append(
                _figure('peak KiB', [results.memory[row, client] / 1024 for client in CLIENTS])
            )
        if row in results.counts:
            lines.append(['', 'requests/op', str(results.counts[row]), '', '', '', ''])
    for row in results.skipped:
        lines.append([row, 'skipped: not in consulate yet', '', '', '', '', ''])
    imports = results.imports
    if imports and all(module in imports for module in IMPORTS.values()):
        costs = [imports[IMPORTS[c]] for c in CLIENTS]
        one = '{:.1f}'.format
        label = 'import ' + ' / '.join(IMPORTS[c].split()[0] for c in CLIENTS)
        lines.append([label, *_figure('ms', [cost.seconds * 1000 for cost in costs], one)[1:]])
        lines.append(_figure('CPU ms', [cost.cpu_seconds * 1000 for cost in costs], one))
        lines.append(_figure('RSS MiB', [cost.rss_kib / 1024 for cost in costs], one))
    return lines


def render(lines: list[list[str]]) -> str:
    header = ['workload', 'figure', *CLIENTS, 'consulate/floor', 'consulate/py-consul']
    table = [header, *lines]
    widths = [max(len(line[i]) for line in table) for i in range(len(header))]

    def fmt(line: list[str]) -> str:
        cells = [
            cell.ljust(width) if i < 2 else cell.rjust(width)
            for i, (cell, width) in enumerate(zip(line, widths, strict=True))
        ]
        return '  '.join(cells).rstrip()

    rule = '  '.join('-' * w for w in widths)
    out = [fmt(header), rule]
    previous = ''
    for line in lines:
        if line[0] and previous:
            out.append('')
        out.append(fmt(line))
        previous = line[0] or previous
    return '\n'.join(out)


def targets(results: Results) -> list[str]:
    """The targets, each ``[met]`` or ``[missed]`` with the figure that decides it."""
    checks: list[tuple[str, bool, str]] = []
    rows, series, names = results.rows, results.series, results.names

    def time_of(row: str) -> float:
        """consulate's time for one operation of ``row`` over the floor's (median per round)."""
        return 1 / results.ratio(row, FLOOR)

    if 'kv get' in rows:
        cpu = series['kv get', CONSULATE].median_cpu() / series['kv get', FLOOR].median_cpu()
        checks.append(
            ('kv get, one thread: CPU µs/op <= 1.15x the requests floor', cpu <= 1.15, _ratio(cpu))
        )
        value = results.ratio('kv get', PY_CONSUL)
        checks.append(('kv get: >= 1.5x the ops/s of py-consul', value >= 1.5, _ratio(value)))
    for count in THREADS:
        row = names.threaded[count]
        if row not in rows:
            continue
        value = results.ratio(row, FLOOR)
        checks.append(
            (f'{row}: >= 0.9x the ops/s of the requests floor', value >= 0.9, _ratio(value))
        )
        if 'kv get' in rows:
            own = measure.median_ratio(
                series[row, CONSULATE].batches, series['kv get', CONSULATE].batches
            )
            checks.append(
                (f'{row}: >= consulate on one thread', own >= 1.0, f'{_ratio(own)} its ops/s')
            )
    for row, limit in ((names.read, 1.3), (names.mixed, 1.3), (names.bulk, 1.1)):
        if row in rows:
            value = time_of(row)
            checks.append(
                (
                    f'{row}: within {limit}x the time of the requests floor',
                    value <= limit,
                    f'{value:.2f}x the time',
                )
            )
    if names.watched in rows and 'kv get' in rows:
        with_watches = series[names.watched, CONSULATE].percentile(0.99)
        without = series['kv get', CONSULATE].percentile(0.99)
        value = with_watches / without
        checks.append(
            (
                f'{names.watched}: p99 <= 2x the p99 with none',
                value <= 2,
                f'{_ratio(value)} ({1e6 * with_watches:.0f} µs vs {1e6 * without:.0f} µs)',
            )
        )
    for row in ('kv get', 'kv set', 'kv get (missing)', names.read):
        if row in results.counts:
            count = results.counts[row]
            checks.append((f'{row}: one HTTP request', count == 1, str(count)))
    checks.extend(_import_checks(results.imports))
    return [f'  [{"met" if ok else "missed"}] {what}: {value}' for what, ok, value in checks]


def _import_checks(imports: dict[str, measure.ImportCost]) -> list[tuple[str, bool, str]]:
    if not imports:
        return []
    ours = imports['consulate']
    if 'requests' not in imports:
        return []
    extra = (ours.seconds - imports['requests'].seconds) * 1000
    checks = [('import consulate <= import requests + 30 ms', extra <= 30, f'{extra:+.1f} ms')]
    before = imports.get('consulate (baseline)')
    if before is not None:
        # Fresh interpreters on a shared machine vary by a few per cent either way.
        slower = ours.seconds / before.seconds
        grown = (ours.rss_kib - before.rss_kib) / 1024
        checks.append(
            (
                'import time no worse than the baseline checkout (within 5%)',
                slower <= 1.05,
                f'{ours.seconds * 1000:.1f} ms vs {before.seconds * 1000:.1f} ms',
            )
        )
        checks.append(
            (
                'import RSS no worse than the baseline checkout (within 0.2 MiB)',
                grown <= 0.2,
                f'{ours.rss_kib / 1024:.1f} MiB vs {before.rss_kib / 1024:.1f} MiB',
            )
        )
    return checks


def notes(results: Results) -> list[str]:
    """What the table does not show."""
    lines = []
    names = results.names
    if results.per_key and names.bulk in results.rows:
        update = 1 / results.series[names.bulk, CONSULATE].median_ops()
        lines.append(
            f"  {names.bulk}: consulate's kv.update took {update:.3f} s, one kv[k] = v per key"
            f' {results.per_key:.2f} s ({results.per_key / update:.1f}x as long)'
        )
    if results.pool_full:
        counts = ', '.join(f'{name} {count}' for name, count in results.pool_full.items())
        lines.append(
            '  urllib3 logged "Connection pool is full, discarding connection", by client: '
            + counts
            + f' (pools keep: consulate and the requests floor {FLOOR_POOL},'
            " py-consul requests' default of 10, shared by up to 32 threads)"
        )
    return lines
