#!/usr/bin/env python3
"""Benchmark of `python -m pipelines.analyze data-quality` on 1,000,000 captured records (part of `make bench`).

Data: 20 features, CSV-encoded captures in SageMaker's layout, one feature drifted by half a standard deviation,
100,000 records an hour over 10 hour folders (cached under out/bench-analyzer/, generated once). Windows of 1, 3
and 10 hours give 100k, 300k and 1M records, so peak RSS can be compared across sizes (streaming: it must not grow).

Each run is a fresh process pinned to one CPU (taskset when available; numpy's thread pools set to 1), measured
from outside: wall time, CPU time (user + system) and peak RSS of that process only (os.wait4). records/s is given
per CPU second (what the code costs on one core; this machine is shared, so wall time carries other jobs' load) and
per wall second. Next to it, in the same run and on the same files, a naive pandas read: read_json(lines=True),
normalize captureData, split the CSV into 20 float columns, describe().

Wide case: 2,000 features x 20,000 records (out/bench-analyzer-wide/, 240 MB of captures): batches are bounded by
bytes, not records, so peak RSS stays bounded however wide a record is; its peak RSS is printed and kept.

Targets: >= 100,000 records per CPU second at 1M records; peak RSS at 1M within 25% of peak RSS at 100k; the wide
case under WIDE_RSS_LIMIT_MIB.
Missed targets print MISSED; the exit status is non-zero only when the harness fails. Results:
bench/results/analyzer.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from devtools.seed_captures import baseline, capture_line, feature_names, start_of_day, traffic  # noqa: E402

DATA = ROOT / "out" / "bench-analyzer"
RESULTS = ROOT / "bench" / "results" / "analyzer.json"
RECORDS, FEATURES, DRIFTED, PER_HOUR = 1_000_000, 20, 7, 100_000
TARGET_RECORDS_PER_CPU_S = 100_000
RSS_GROWTH_LIMIT = 1.25
WIDE = ROOT / "out" / "bench-analyzer-wide"
WIDE_FEATURES, WIDE_RECORDS, WIDE_RSS_LIMIT_MIB = 2_000, 20_000, 1024
ONE_CORE_ENV = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}

NAIVE_PANDAS = r"""
import glob, sys
import pandas as pd
files = sorted(sys.argv[2:])
frames = [pd.read_json(path, lines=True) for path in files]
frame = pd.concat(frames, ignore_index=True)
inputs = pd.json_normalize(frame["captureData"].tolist())["endpointInput.data"]
table = inputs.str.split(",", expand=True).astype(float)
summary = table.describe()
print(len(table), int(sys.argv[1]))
"""


class HarnessError(RuntimeError):
    """The benchmark could not measure (not a missed target)."""


def _fast_line(row: str, score: float, index: int, when_text: str) -> str:
    """capture_line's exact bytes by string formatting (json.dumps of a million records takes minutes)."""
    event_id = f"00000000-0000-0001-0000-{index:012x}"
    return ('{"captureData":{"endpointInput":{"observedContentType":"text/csv","mode":"INPUT","data":"' + row +
            '","encoding":"CSV"},"endpointOutput":{"observedContentType":"text/csv; charset=utf-8","mode":"OUTPUT",'
            '"data":"' + f"{score:.6f}" + '","encoding":"CSV"}},"eventMetadata":{"eventId":"' + event_id +
            '","inferenceId":"txn-' + f"{index:08d}" + '","inferenceTime":"' + when_text + '"},"eventVersion":"0"}')


def generate(folder: Path) -> None:
    """The baseline (100k training rows) and 1M captures, one file per hour folder."""
    import uuid

    if (folder / "done").exists() and (folder / "done").read_text() == "output first\n":
        return
    shutil.rmtree(folder, ignore_errors=True)
    names = feature_names(FEATURES)
    sample = traffic(100_000, FEATURES, seed=1)
    # the endpoint's output (score) is the baseline's first column: Model Monitor's output_columns_position START
    statistics, constraints = baseline(sample.features, names, sample.scores)
    (folder / "baseline").mkdir(parents=True)
    (folder / "baseline" / "statistics.json").write_text(json.dumps(statistics))
    (folder / "baseline" / "constraints.json").write_text(json.dumps(constraints))
    start = start_of_day()
    row_format = ",".join(["%.2f"] * FEATURES)
    for hour in range(RECORDS // PER_HOUR):
        data = traffic(PER_HOUR, FEATURES, seed=100 + hour, drift={DRIFTED: 0.5})
        when = start + timedelta(hours=hour)
        target = folder / "capture" / "fraud-detect-prod" / "AllTraffic" / when.strftime("%Y/%m/%d/%H")
        target.mkdir(parents=True)
        lines = []
        for offset, (row, score) in enumerate(zip(data.features.tolist(), data.scores.tolist(), strict=True)):
            index = hour * PER_HOUR + offset
            stamp = when + timedelta(seconds=offset * 0.036)
            stamp_text = stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}Z"
            lines.append(_fast_line(row_format % tuple(row), score, index, stamp_text))
            if index == 0:  # the fast writer must write what the reference writer writes
                reference = capture_line(row_format % tuple(row), score, str(uuid.UUID(int=(1 << 64) + index)),
                                         stamp, f"txn-{index:08d}")
                if reference != lines[0]:
                    raise HarnessError(f"fast capture writer differs from capture_line:\n{lines[0]}\n{reference}")
        (target / f"00-00-000-{uuid.UUID(int=hour)}.jsonl").write_text("\n".join(lines) + "\n")
    (folder / "done").write_text("output first\n")  # cache marker: a baseline with the output column first


def generate_wide(folder: Path) -> None:
    """2,000 features: a baseline of 5,000 rows and 20,000 captures (one feature drifted), one hour folder."""
    if (folder / "done").exists() and (folder / "done").read_text() == "output first\n":
        return
    shutil.rmtree(folder, ignore_errors=True)
    names = feature_names(WIDE_FEATURES)
    sample = traffic(5_000, WIDE_FEATURES, seed=1)
    statistics, constraints = baseline(sample.features, names, sample.scores)  # the output column first (START)
    (folder / "baseline").mkdir(parents=True)
    (folder / "baseline" / "statistics.json").write_text(json.dumps(statistics))
    (folder / "baseline" / "constraints.json").write_text(json.dumps(constraints))
    start = start_of_day()
    target = folder / "capture" / "fraud-detect-prod" / "AllTraffic" / start.strftime("%Y/%m/%d/%H")
    target.mkdir(parents=True)
    row_format = ",".join(["%.2f"] * WIDE_FEATURES)
    with open(target / "00-00-000-wide.jsonl", "w", encoding="utf-8") as handle:
        for first in range(0, WIDE_RECORDS, 2_000):
            data = traffic(2_000, WIDE_FEATURES, seed=200 + first, drift={DRIFTED: 0.5})
            for offset, (row, score) in enumerate(zip(data.features.tolist(), data.scores.tolist(), strict=True)):
                index = first + offset
                stamp = start + timedelta(seconds=index * 0.1)
                stamp_text = stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}Z"
                handle.write(_fast_line(row_format % tuple(row), score, index, stamp_text) + "\n")
    (folder / "done").write_text("output first\n")  # cache marker, as generate()


def run_wide(folder: Path) -> dict[str, float]:
    result = measure([sys.executable, "-m", "pipelines.analyze", "data-quality", "--capture", str(folder / "capture"),
                      "--statistics", str(folder / "baseline" / "statistics.json"),
                      "--constraints", str(folder / "baseline" / "constraints.json"), "--output", str(folder / "out")])
    if result["exit"] != 3:
        raise HarnessError(f"analyzer exited {result['exit']} on the wide case (expected 3): {result['stderr']}")
    violations = json.loads((folder / "out" / "constraint_violations.json").read_text())["violations"]
    if feature_names(WIDE_FEATURES)[DRIFTED] not in {v["feature_name"] for v in violations}:
        raise HarnessError(f"wide case: no violation on the drifted feature: {violations[:3]}")
    return result


def measure(argv: list[str]) -> dict[str, float]:
    """Run one process; its wall time, CPU time and peak RSS (os.wait4), and its stdout."""
    pin = ["taskset", "-c", "0"] if shutil.which("taskset") else []
    env = os.environ | ONE_CORE_ENV | {"PYTHONPATH": str(ROOT)}
    started = time.perf_counter()
    process = subprocess.Popen(pin + argv, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    out, err = process.stdout.read(), process.stderr.read()
    process.returncode = os.waitstatus_to_exitcode(status)
    return {"exit": process.returncode, "wall_s": wall, "cpu_s": usage.ru_utime + usage.ru_stime,
            "peak_rss_mib": usage.ru_maxrss / 1024, "stdout": out, "stderr": err}


def run_analyzer(folder: Path, hours: int) -> dict[str, float]:
    end = (start_of_day() + timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M:%SZ")
    result = measure([sys.executable, "-m", "pipelines.analyze", "data-quality", "--capture", str(folder / "capture"),
                      "--end", end, "--statistics", str(folder / "baseline" / "statistics.json"),
                      "--constraints", str(folder / "baseline" / "constraints.json"),
                      "--output", str(folder / f"out-{hours}h")])
    if result["exit"] != 3:
        raise HarnessError(f"analyzer exited {result['exit']} (expected 3: one drifted feature): {result['stderr']}")
    violations = json.loads((folder / f"out-{hours}h" / "constraint_violations.json").read_text())["violations"]
    drifted = feature_names(FEATURES)[DRIFTED]
    if [(v["feature_name"], v["constraint_check_type"]) for v in violations] != [(drifted, "baseline_drift_check")]:
        raise HarnessError(f"expected exactly one baseline_drift_check on {drifted}, got {violations}")
    return result


def run_pandas(folder: Path, hours: int) -> dict[str, float]:
    files = sorted(str(path) for path in (folder / "capture").rglob("*.jsonl"))[:hours]
    result = measure([sys.executable, "-c", NAIVE_PANDAS, str(hours * PER_HOUR), *files])
    if result["exit"] != 0:
        raise HarnessError(f"naive pandas read failed: {result['stderr'][-2000:]}")
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hours", type=int, nargs="+", default=[1, 3, 10], help="windows to measure (1 = 100k)")
    parser.add_argument("--no-pandas", action="store_true", help="skip the naive pandas comparison")
    parser.add_argument("--no-wide", action="store_true", help="skip the 2,000-feature case")
    parser.add_argument("--wide-only", action="store_true", help="only the 2,000-feature case")
    parser.add_argument("--generate-only", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--generate-wide-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.generate_only:
        generate(DATA)
        return 0
    if args.generate_wide_only:
        generate_wide(WIDE)
        return 0
    wide = None
    if not args.no_wide:
        try:
            print(f"generating {WIDE_RECORDS:,} captured records of {WIDE_FEATURES:,} features under {WIDE} (once) ...",
                  flush=True)
            subprocess.run([sys.executable, __file__, "--generate-wide-only"], check=True)
            wide = run_wide(WIDE)
        except (HarnessError, subprocess.CalledProcessError) as exc:
            print(f"bench_analyzer: harness failure: {exc}", file=sys.stderr)
            return 1
        print(_line(WIDE_RECORDS, f"{WIDE_FEATURES:,} feat.", wide), flush=True)
        verdict = "ok" if wide["peak_rss_mib"] <= WIDE_RSS_LIMIT_MIB else "MISSED"
        print(f"target peak RSS with {WIDE_FEATURES:,} features under {WIDE_RSS_LIMIT_MIB:,} MiB: "
              f"{wide['peak_rss_mib']:.0f} MiB {verdict}")
        if args.wide_only:
            return 0
    try:
        print(f"generating {RECORDS:,} captured records under {DATA} (once; cached) ...", flush=True)
        # in its own process: a child forked from a parent that held the generated data would report the
        # parent's pages as its own peak RSS
        subprocess.run([sys.executable, __file__, "--generate-only"], check=True)
        rows = []
        for hours in args.hours:
            records = hours * PER_HOUR
            ours = run_analyzer(DATA, hours)
            naive = None if args.no_pandas else run_pandas(DATA, hours)
            rows.append({"records": records, "analyzer": _public(ours), "pandas": _public(naive) if naive else None})
            print(_line(records, "analyzer", ours), flush=True)
            if naive:
                print(_line(records, "naive pandas", naive), flush=True)
    except (HarnessError, subprocess.CalledProcessError) as exc:
        print(f"bench_analyzer: harness failure: {exc}", file=sys.stderr)
        return 1
    print()
    print(table(rows))
    _targets(rows)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({"machine": f"{platform.machine()} {os.cpu_count()} cpu, "
                                              f"{platform.python_implementation()} {platform.python_version()}",
                                   "rows": rows, "wide": {"features": WIDE_FEATURES, "records": WIDE_RECORDS,
                                                          "analyzer": _public(wide) if wide else None}},
                                  indent=2) + "\n")
    return 0


def _public(result: dict[str, float]) -> dict[str, float]:
    return {key: round(value, 3) for key, value in result.items() if key in ("wall_s", "cpu_s", "peak_rss_mib")}


def _line(records: int, who: str, result: dict[str, float]) -> str:
    return (f"  {records:>9,} records  {who:<13} {result['cpu_s']:6.2f} s CPU {result['wall_s']:6.2f} s wall "
            f"{result['peak_rss_mib']:7.1f} MiB peak RSS")


def table(rows: list[dict]) -> str:
    """The README table."""
    lines = ["| records | analyzer: records/s per CPU s (wall) | analyzer peak RSS | naive pandas: records/s per CPU s "
             "(wall) | pandas peak RSS |", "|---|---|---|---|---|"]
    for row in rows:
        ours, naive = row["analyzer"], row["pandas"]
        cells = [f"{row['records']:,}", _rate(row["records"], ours), f"{ours['peak_rss_mib']:.0f} MiB"]
        cells += [_rate(row["records"], naive), f"{naive['peak_rss_mib']:.0f} MiB"] if naive else ["-", "-"]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _rate(records: int, result: dict[str, float]) -> str:
    return f"{records / result['cpu_s']:,.0f} ({records / result['wall_s']:,.0f})"


def _targets(rows: list[dict]) -> None:
    by_size = {row["records"]: row["analyzer"] for row in rows}
    largest, smallest = max(by_size), min(by_size)
    rate = largest / by_size[largest]["cpu_s"]
    verdict = "ok" if rate >= TARGET_RECORDS_PER_CPU_S else "MISSED"
    print(f"target >= {TARGET_RECORDS_PER_CPU_S:,} records per CPU second at {largest:,}: {rate:,.0f} {verdict}")
    if largest != smallest:
        growth = by_size[largest]["peak_rss_mib"] / by_size[smallest]["peak_rss_mib"]
        verdict = "ok" if growth <= RSS_GROWTH_LIMIT else "MISSED"
        print(f"target peak RSS at {largest:,} within {RSS_GROWTH_LIMIT:.2f}x of {smallest:,}: {growth:.2f}x {verdict}")


if __name__ == "__main__":
    sys.exit(main())
