#!/usr/bin/env python3
"""Data quality at a million records a second? (issue 19, part of `make bench`). Side by side, in one run, on the
same captured records (20 numeric features, CSV, SageMaker's compact capture lines, one feature drifted):

- reference: `python -m pipelines.analyze data-quality` with ANALYZER_FAST=0 (the reference reader: today's path);
- fast: the same command with the fast reader (pipelines/analyze/fastcsv.py and its C library, `make native`);
- evidently: the peer a team would pick (AWS points new customers to Evidently): the JSON lines read with pandas,
  the CSV split into columns, Evidently's DataDriftPreset report against the baseline sample (.venv-bench only);
- floor: only reading the bytes and JSON-decoding every line with the fastest decoder measured (msgspec), on both
  cores (one process per core, files split between them).

Each is a fresh process, measured from outside (os.wait4): wall time, CPU time (user + system, all its threads and
children) and peak RSS. Records/s is given per wall second and per CPU second: the machine is shared, so the CPU
figure is the steadier one. Each measurement is repeated (--repeat, default 3) and the median reported, with the
load average at the start. Data: 1M records (10 hour files of 100,000), generated once under out/bench-throughput/;
the 10M window is the same 10 files linked into 100 hour folders (the bytes are read 10 times; the page cache holds
484 MB, so this measures CPU, not disk).

Target: >= 1,000,000 records/s wall at 1M and 10M records (fast reader). Prints ok/MISSED; exits non-zero only
when the harness fails. Results: bench/results/throughput.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics as stats
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_analyzer import _fast_line  # noqa: E402
from devtools.seed_captures import baseline, feature_names, start_of_day, traffic  # noqa: E402

DATA = ROOT / "out" / "bench-throughput"
RESULTS = ROOT / "bench" / "results" / "throughput.json"
BENCH_PY = ROOT / ".venv-bench" / "bin" / "python"
FEATURES, DRIFTED, PER_HOUR, HOURS = 20, 7, 100_000, 10
TARGET = 1_000_000

FLOOR = r"""
import sys, msgspec
from concurrent.futures import ProcessPoolExecutor
def decode(paths):
    n = 0
    decoder = msgspec.json.Decoder()
    for path in paths:
        with open(path, "rb") as handle:
            for line in handle:
                decoder.decode(line)
                n += 1
    return n
paths = sys.argv[1:]
with ProcessPoolExecutor(2) as pool:
    print(sum(pool.map(decode, [paths[0::2], paths[1::2]])))
"""

EVIDENTLY = r"""
import json, sys
import pandas as pd
from evidently import Report
from evidently.presets import DataDriftPreset
baseline_csv, paths = sys.argv[1], sys.argv[2:]
reference = pd.read_csv(baseline_csv)
frames = []
for path in paths:
    lines = pd.read_json(path, lines=True, dtype=False)
    capture = pd.json_normalize(lines["captureData"].tolist())
    rows = capture["endpointOutput.data"] + "," + capture["endpointInput.data"]
    frames.append(rows.str.split(",", expand=True).astype(float))
current = pd.concat(frames, ignore_index=True)
current.columns = reference.columns
result = Report([DataDriftPreset()]).run(reference_data=reference, current_data=current)
drifted = [m["value"] for m in result.dict()["metrics"] if "DriftedColumnsCount" in str(m.get("metric_name"))]
print(len(current), json.dumps(drifted[:1], default=str)[:200])
"""


class HarnessError(RuntimeError):
    """The benchmark could not measure (not a missed target)."""


def generate(folder: Path) -> None:
    """1M captures in 10 hour files, the baseline (with the score column first, as Model Monitor lines them up),
    the baseline sample as CSV for Evidently, and the 10M window as links."""
    if (folder / "done").exists():
        return
    import uuid

    shutil.rmtree(folder, ignore_errors=True)
    names = feature_names(FEATURES)
    sample = traffic(100_000, FEATURES, seed=1)
    statistics, constraints = baseline(sample.features, names, sample.scores)
    (folder / "baseline").mkdir(parents=True)
    (folder / "baseline" / "statistics.json").write_text(json.dumps(statistics))
    (folder / "baseline" / "constraints.json").write_text(json.dumps(constraints))
    with open(folder / "baseline" / "sample.csv", "w") as handle:
        handle.write(",".join(["score", *names]) + "\n")
        for score, row in zip(sample.scores.tolist(), sample.features.tolist(), strict=True):
            handle.write(f"{score:.6f}," + ",".join(f"{v:.2f}" for v in row) + "\n")
    start = start_of_day()
    row_format = ",".join(["%.2f"] * FEATURES)
    files = []
    for hour in range(HOURS):
        data = traffic(PER_HOUR, FEATURES, seed=100 + hour, drift={DRIFTED: 0.5})
        when = start + timedelta(hours=hour)
        target = folder / "1m" / "fraud-detect-prod" / "AllTraffic" / when.strftime("%Y/%m/%d/%H")
        target.mkdir(parents=True)
        lines = []
        for offset, (row, score) in enumerate(zip(data.features.tolist(), data.scores.tolist(), strict=True)):
            stamp = when + timedelta(seconds=offset * 0.036)
            text = stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}Z"
            lines.append(_fast_line(row_format % tuple(row), score, hour * PER_HOUR + offset, text))
        path = target / f"00-00-000-{uuid.UUID(int=hour)}.jsonl"
        path.write_text("\n".join(lines) + "\n")
        files.append(path)
    for copy in range(10):
        for hour, path in enumerate(files):
            when = start + timedelta(hours=copy * HOURS + hour)
            target = folder / "10m" / "fraud-detect-prod" / "AllTraffic" / when.strftime("%Y/%m/%d/%H")
            target.mkdir(parents=True)
            os.symlink(path, target / path.name)
    (folder / "done").write_text("ok\n")


def run(argv: list[str], env: dict[str, str] | None = None) -> dict[str, float]:
    """One fresh process: wall, CPU (user + system of it, its threads and the children it waited for) and peak RSS
    (os.wait4), and its output."""
    started = time.perf_counter()
    process = subprocess.Popen(argv, cwd=ROOT, env=os.environ | {"PYTHONPATH": str(ROOT)} | (env or {}),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    out, err = process.stdout.read().decode(), process.stderr.read().decode()
    return {"exit": os.waitstatus_to_exitcode(status), "wall_s": wall, "cpu_s": usage.ru_utime + usage.ru_stime,
            "peak_rss_mib": usage.ru_maxrss / 1024, "stdout": out, "stderr": err}


def analyzer(size: str, fast: bool) -> dict[str, float]:
    folder = DATA
    result = run([sys.executable, "-m", "pipelines.analyze", "data-quality", "--capture", str(folder / size),
                  "--statistics", str(folder / "baseline" / "statistics.json"), "--constraints",
                  str(folder / "baseline" / "constraints.json"), "--output", str(folder / f"out-{size}-{fast}")],
                 {"ANALYZER_FAST": "1" if fast else "0"})
    if result["exit"] != 3:
        raise HarnessError(f"analyzer exited {result['exit']} (expected 3: one drifted feature): "
                           f"{result['stderr'][-1500:]}")
    return result


def _files(size: str) -> list[str]:
    return sorted(str(path) for path in (DATA / size).rglob("*.jsonl"))


def floor(size: str) -> dict[str, float]:
    result = run([str(BENCH_PY), "-c", FLOOR, *_files(size)])
    if result["exit"] != 0:
        raise HarnessError(f"floor failed: {result['stderr'][-1500:]}")
    return result


def evidently(size: str) -> dict[str, float]:
    result = run([str(BENCH_PY), "-c", EVIDENTLY, str(DATA / "baseline" / "sample.csv"), *_files(size)])
    if result["exit"] != 0:
        raise HarnessError(f"evidently failed: {result['stderr'][-1500:]}")
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", default=["1m", "10m"], choices=["1m", "10m"])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--only", nargs="+", default=["reference", "fast", "evidently", "floor"],
                        choices=["reference", "fast", "evidently", "floor"])
    parser.add_argument("--evidently-sizes", nargs="+", default=["1m"], choices=["1m", "10m"],
                        help="Evidently holds every record in memory: 10M needs ~15 GiB (default: 1M only)")
    parser.add_argument("--generate-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.generate_only:
        generate(DATA)
        return 0
    if ("evidently" in args.only or "floor" in args.only) and not BENCH_PY.exists():
        print("bench_throughput: .venv-bench is missing (make bench creates it from requirements-bench.txt)",
              file=sys.stderr)
        return 1
    if "fast" in args.only and not (ROOT / "pipelines" / "analyze" / "_native.so").exists():
        print("bench_throughput: the fast reader's library is not built (make native): the fast column would measure "
              "the reference reader", file=sys.stderr)
        return 1
    print(f"generating the captures under {DATA} (once; cached) ...", flush=True)
    # in its own process: a child forked from a parent that held the generated data would report the parent's
    # pages as its own peak RSS
    subprocess.run([sys.executable, __file__, "--generate-only"], check=True)
    runners = {"reference": lambda size: analyzer(size, False), "fast": lambda size: analyzer(size, True),
               "evidently": evidently, "floor": floor}
    rows = []
    try:
        for size in args.sizes:
            records = 1_000_000 if size == "1m" else 10_000_000
            # round-robin: each round runs every reader once, so all of them see the same phases of this VM's speed
            # (it drifts by up to 2x over minutes; docs/performance.md) and the paired ratios below compare like
            # with like
            plan = {who: 1 if who == "evidently" or (who == "reference" and size == "10m") else args.repeat
                    for who in args.only if who != "evidently" or size in args.evidently_sizes}
            runs: dict[str, list[dict]] = {who: [] for who in plan}
            for round_ in range(max(plan.values(), default=0)):
                for who, repeat in plan.items():
                    if round_ >= repeat:
                        continue
                    load = os.getloadavg()[0]
                    result = runners[who](size)
                    runs[who].append({key: result[key] for key in ("wall_s", "cpu_s", "peak_rss_mib")} |
                                     {"load": load, "round": round_})
                    print(f"  {records:>10,} {who:<9} wall {result['wall_s']:7.2f} s  cpu {result['cpu_s']:7.2f} s  "
                          f"peak RSS {result['peak_rss_mib']:7.1f} MiB  (load {load:.1f})", flush=True)
            for who, done in runs.items():
                rows.append({"records": records, "who": who, "runs": done,
                             **{key: stats.median(run[key] for run in done) for key in ("wall_s", "cpu_s",
                                                                                        "peak_rss_mib")}})
    except HarnessError as exc:
        print(f"bench_throughput: harness failure: {exc}", file=sys.stderr)
        return 1
    print()
    print(table(rows))
    for row in rows:
        if row["who"] == "fast":
            rate = row["records"] / row["wall_s"]
            print(f"target >= {TARGET:,} records/s wall at {row['records']:,}: {rate:,.0f} "
                  f"{'ok' if rate >= TARGET else 'MISSED'}")
            floor_row = next((other for other in rows if other["who"] == "floor" and
                              other["records"] == row["records"]), None)
            if floor_row:
                print(f"  fast / floor wall time, paired by round, at {row['records']:,}: median "
                      f"{paired_ratio(row, floor_row):.2f} (below 1: faster than only decoding the lines)")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({"machine": f"{os.cpu_count()} cpu", "rows": rows}, indent=2) + "\n")
    return 0


def paired_ratio(row: dict, other: dict) -> float:
    """The median over rounds of row's wall time over other's in the same round."""
    walls = {run["round"]: run["wall_s"] for run in other["runs"]}
    return stats.median(run["wall_s"] / walls[run["round"]] for run in row["runs"] if run["round"] in walls)


def table(rows: list[dict]) -> str:
    """Markdown: records/s per wall second and per CPU second, peak RSS; median of the repeats."""
    lines = ["| records | reader | records/s (wall) | records/s (per CPU s) | wall s | CPU s | peak RSS |",
             "|---|---|---|---|---|---|---|"]
    for row in rows:
        lines.append(f"| {row['records']:,} | {row['who']} | {row['records'] / row['wall_s']:,.0f} | "
                     f"{row['records'] / row['cpu_s']:,.0f} | {row['wall_s']:.2f} | {row['cpu_s']:.2f} | "
                     f"{row['peak_rss_mib']:.0f} MiB |")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
