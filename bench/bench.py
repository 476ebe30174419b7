#!/usr/bin/env python3
"""Cold-start benchmark of the real CLI against moto_server (run it with `make bench`).

For each scenario a fresh moto_server on 127.0.0.1 is started and seeded through boto3, then
`python get_baselines_and_configs.py` runs as a whole new process with the environment CodeBuild gives it:

1. a counting run on the freshly seeded registry (bench/_count_calls.py records every HTTP request botocore sends,
   with its status; it is never timed),
2. one warm-up run (timed, reported, excluded from the statistics: it writes the derived baselines, so every
   later run is the steady-state rerun CodeBuild makes on each pipeline execution),
3. N timed runs (wall time around the process; peak RSS of that process only, from os.wait4),
4. a second counting run (the rerun),
5. scenario 1 only: one run under `python -X importtime` (top import costs) and, with --profile, pyinstrument.

Scenarios: (1) 1 group with 4 versions and 2 stages; (2) the same group with 10,000 versions (registry calls must
not change). Targets are checked and a missed one is printed as MISSED; the exit status is non-zero only when the
harness itself fails (server, seeding, or a CLI run that does not exit 0). Results: bench/results/latest.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from devtools.moto import moto_server  # noqa: E402
from devtools.seed import DEFAULT_VERSIONS, cli_env, seed  # noqa: E402

CLI = ROOT / "get_baselines_and_configs.py"
COUNTER = ROOT / "bench" / "_count_calls.py"
RESULTS = ROOT / "bench" / "results" / "latest.json"
TARGET_WALL_S = 1.2
TARGET_RSS_MIB = 100.0
REGISTRY_SERVICE = "sagemaker"


class HarnessError(RuntimeError):
    """The benchmark could not measure (not a missed target)."""


# ---------------------------------------------------------------------------------------------------- running


def cli_args(out_dir: Path) -> list[str]:
    """The CLI's flags: defaults for everything (as CodeBuild runs it) except outputs, kept out of the repo."""
    return ["--export-staging-config", str(out_dir / "staging-config-export.json"),
            "--export-prod-config", str(out_dir / "prod-config-export.json")]


def run_measured(command: list[str], env: dict[str, str], log: Path) -> dict[str, Any]:
    """Run one process; wall seconds around it, its own peak RSS (os.wait4 rusage: this child only) and exit code."""
    with open(log, "wb") as output:
        start = time.perf_counter()
        proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)  # already reaped: keep Popen from waiting again
    return {"wall_s": wall, "rss_mib": usage.ru_maxrss / 1024.0, "exit": proc.returncode,
            "user_s": usage.ru_utime, "sys_s": usage.ru_stime}


def check_exit(result: dict[str, Any], what: str, log: Path) -> None:
    if result["exit"] != 0:
        tail = log.read_text(errors="replace")[-2000:]
        raise HarnessError(f"{what}: the CLI exited {result['exit']}; its output ends with:\n{tail}")


def counting_run(env: dict[str, str], out_dir: Path, work: Path, label: str) -> dict[str, Any]:
    """One CLI run under the request-counting wrapper; per-operation counts, failures, GetObject per key."""
    calls_file = work / f"calls-{label}.json"
    log = work / f"count-{label}.log"
    result = run_measured([sys.executable, str(COUNTER), str(CLI), *cli_args(out_dir)],
                          env | {"BENCH_CALLS_FILE": str(calls_file)}, log)
    check_exit(result, f"counting run {label}", log)
    recorded = json.loads(calls_file.read_text())
    requests = recorded["requests"]
    by_operation = Counter(f"{r['service']}:{r['operation']}" for r in requests)
    get_object = Counter(r["path"] for r in requests if r["service"] == "s3" and r["operation"] == "GetObject")
    failing = [f"{r['service']}:{r['operation']} {r['method']} {r['path']} -> {r['status']}" for r in requests
               if not isinstance(r["status"], int) or r["status"] >= 400]
    return {"total": len(requests), "by_operation": dict(sorted(by_operation.items())),
            "registry": {op: n for op, n in sorted(by_operation.items()) if op.startswith(REGISTRY_SERVICE + ":")},
            "failing": failing, "get_object_max_per_key": max(get_object.values(), default=0),
            "get_object_repeated": sorted(k for k, n in get_object.items() if n > 1),
            "clients": Counter(recorded["clients"]), "sessions": recorded["sessions"]}


IMPORT_LINE = re.compile(r"^import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)")


def import_profile(env: dict[str, str], out_dir: Path, work: Path) -> dict[str, Any]:
    """`python -X importtime` on one real run: total, top-level imports by cumulative time, packages by own time."""
    log = work / "importtime.log"
    result = run_measured([sys.executable, "-X", "importtime", str(CLI), *cli_args(out_dir)], env, log)
    check_exit(result, "import-time run", log)
    entries = []
    for line in log.read_text(errors="replace").splitlines():
        match = IMPORT_LINE.match(line)
        if match:
            entries.append((int(match.group(1)), int(match.group(2)), len(match.group(3)) // 2, match.group(4)))
    total_us = sum(self_us for self_us, _, _, _ in entries)
    top_level = sorted(((cum, name) for _, cum, depth, name in entries if depth == 0), reverse=True)
    packages: Counter[str] = Counter()
    for self_us, _, _, name in entries:
        packages[name.split(".")[0]] += self_us
    modules = sorted(name for _, _, _, name in entries)
    return {
        "run_wall_s": result["wall_s"], "modules": len(entries), "total_import_s": total_us / 1e6,
        "top_level_cumulative_ms": [[name, round(cum / 1000, 1)] for cum, name in top_level[:12]],
        "packages_self_ms": [[name, round(us / 1000, 1)] for name, us in packages.most_common(12)],
        "sagemaker_modules": [m for m in modules if m == "sagemaker" or m.startswith("sagemaker.")],
        "other_heavy_modules": [m for m in modules if m.split(".")[0] in ("yaml", "cfnlint", "moto", "pyinstrument",
                                                                         "pandas", "numpy")],
    }


def pyinstrument_profile(env: dict[str, str], out_dir: Path, work: Path) -> str | None:
    """A pyinstrument text profile of one run (bench/results/profile.txt), when pyinstrument is installed."""
    target = RESULTS.with_name("profile.txt")
    target.parent.mkdir(parents=True, exist_ok=True)
    log = work / "pyinstrument.log"
    result = run_measured([sys.executable, "-m", "pyinstrument", "-r", "text", "--show-all", "-o", str(target),
                           str(CLI), *cli_args(out_dir)], env, log)
    if result["exit"] != 0:
        print(f"  (pyinstrument profile skipped: exit {result['exit']}: {log.read_text(errors='replace')[-300:]})")
        return None
    return str(target.relative_to(ROOT))


FLOOR_CODE = ("import boto3; s = boto3.session.Session(region_name='us-east-1'); "
              "s.client('sagemaker'); s.client('s3')")


def floor(runs: int, work: Path) -> dict[str, Any]:
    """The floor the CLI cannot go under: Python + importing boto3 + building its two clients, no request."""
    work.mkdir(parents=True, exist_ok=True)
    results = []
    for index in range(runs + 1):
        log = work / f"floor-{index}.log"
        result = run_measured([sys.executable, "-c", FLOOR_CODE], os.environ | {"AWS_DEFAULT_REGION": "us-east-1"},
                              log)
        check_exit(result, "floor run", log)
        results.append(result)
    timed = results[1:]
    return {"wall_s": spread([r["wall_s"] for r in timed]), "rss_mib": spread([r["rss_mib"] for r in timed])}


# ---------------------------------------------------------------------------------------------------- scenarios


def seed_registry(url: str, extra_versions: int) -> float:
    import boto3

    kwargs = {"endpoint_url": url, "region_name": "us-east-1", "aws_access_key_id": "testing",
              "aws_secret_access_key": "testing", "aws_session_token": "testing"}
    sm = boto3.client("sagemaker", **kwargs)
    s3 = boto3.client("s3", **kwargs)
    start = time.perf_counter()
    seed(sm, s3, extra_versions=extra_versions)
    return time.perf_counter() - start


def spread(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    quartiles = statistics.quantiles(ordered, n=4) if len(ordered) > 1 else [ordered[0]] * 3
    return {"median": statistics.median(ordered), "min": ordered[0], "max": ordered[-1],
            "q1": quartiles[0], "q3": quartiles[2]}


def run_scenario(name: str, extra_versions: int, runs: int, work_root: Path, *, imports: bool,
                 profile: bool) -> dict[str, Any]:
    work = work_root / name
    out_dir = work / "out"
    out_dir.mkdir(parents=True)
    versions = len(DEFAULT_VERSIONS) + extra_versions
    print(f"\n== scenario {name}: 1 group, {versions:,} versions, 2 stages (staging, prod)", flush=True)
    with moto_server(work / "moto_server.log") as url:
        env = {key: value for key, value in os.environ.items() if not key.startswith(("AWS_", "PYTHON"))}
        env |= cli_env(url)
        seed_s = seed_registry(url, extra_versions)
        print(f"  seeded in {seed_s:.1f} s through moto_server at {url}", flush=True)
        first = counting_run(env, out_dir, work, "first")
        warm = run_measured([sys.executable, str(CLI), *cli_args(out_dir)], env, work / "warmup.log")
        check_exit(warm, "warm-up run", work / "warmup.log")
        timed = []
        for index in range(runs):
            log = work / f"run-{index}.log"
            result = run_measured([sys.executable, str(CLI), *cli_args(out_dir)], env, log)
            check_exit(result, f"timed run {index + 1}", log)
            timed.append(result)
            print(f"  run {index + 1}/{runs}: {result['wall_s']:.3f} s, {result['rss_mib']:.1f} MiB", flush=True)
        rerun = counting_run(env, out_dir, work, "rerun")
        imported = import_profile(env, out_dir, work) if imports else None
        profiled = pyinstrument_profile(env, out_dir, work) if profile else None
    return {
        "name": name, "versions": versions, "stages": 2, "seed_s": round(seed_s, 2), "runs": runs,
        "warmup": {"wall_s": warm["wall_s"], "rss_mib": warm["rss_mib"]},
        "wall_s": spread([r["wall_s"] for r in timed]), "rss_mib": spread([r["rss_mib"] for r in timed]),
        "cpu_s": spread([r["user_s"] + r["sys_s"] for r in timed]),
        "requests_first_run": first, "requests_rerun": rerun, "imports": imported, "profile": profiled,
    }


# ---------------------------------------------------------------------------------------------------- report


def targets(scenarios: list[dict[str, Any]]) -> list[dict[str, Any]]:
    checks = []

    def check(name: str, ok: bool, measured: str) -> None:
        checks.append({"target": name, "ok": bool(ok), "measured": measured})

    small = scenarios[0]
    check(f"median wall <= {TARGET_WALL_S} s (scenario {small['name']})", small["wall_s"]["median"] <= TARGET_WALL_S,
          f"{small['wall_s']['median']:.3f} s")
    worst = max(s["rss_mib"]["max"] for s in scenarios)
    check(f"peak RSS <= {TARGET_RSS_MIB:.0f} MiB (every timed run)", worst <= TARGET_RSS_MIB, f"{worst:.1f} MiB max")
    imported = small["imports"]
    if imported is not None:
        check("no sagemaker* module imported on the run path", not imported["sagemaker_modules"],
              ", ".join(imported["sagemaker_modules"][:5]) or "none")
    if len(scenarios) > 1:
        registry = {s["name"]: s["requests_rerun"]["registry"] for s in scenarios}
        first = {s["name"]: s["requests_first_run"]["registry"] for s in scenarios}
        same = len({json.dumps(r, sort_keys=True) for r in registry.values()}) == 1 and \
            len({json.dumps(r, sort_keys=True) for r in first.values()}) == 1
        sizes = " and ".join(format(s["versions"], ",") for s in scenarios)
        check(f"registry calls identical at {sizes} versions", same,
              " vs ".join(str(sum(r.values())) for r in registry.values()) + " calls")
    for s in scenarios:
        for label in ("requests_first_run", "requests_rerun"):
            calls = s[label]
            run = "first run" if label == "requests_first_run" else "rerun"
            check(f"each S3 object read at most once ({s['name']}, {run})", calls["get_object_max_per_key"] <= 1,
                  f"max {calls['get_object_max_per_key']} GetObject per key")
            check(f"no failing request ({s['name']}, {run})", not calls["failing"],
                  f"{len(calls['failing'])} failing" + (f": {calls['failing'][0]}" if calls["failing"] else ""))
    return checks


def print_report(report: dict[str, Any]) -> None:
    scenarios = report["scenarios"]
    print("\n" + "=" * 100)
    print(f"CLI cold start, {report['runs']} timed runs per scenario after 1 warm-up "
          f"({report['machine']['cpus']} CPUs, Python {report['machine']['python']}, boto3 {report['machine']['boto3']})")
    load = report["machine"]["load_average"]
    print(f"load average (1 min) {load['start']:.2f} at start, {load['end']:.2f} at end (wall times grow with load; "
          "the CPU time column is less sensitive to it)")
    print(f"{'scenario':<13}{'versions':>8}{'seed s':>8}   {'wall s: median  min-max  (IQR)':<36}"
          f"{'CPU s: median':<15}{'peak RSS MiB: median max':<26}{'warm-up s':>9}")
    for s in scenarios:
        w, r = s["wall_s"], s["rss_mib"]
        wall = f"{w['median']:.3f}  {w['min']:.3f}-{w['max']:.3f}  ({w['q1']:.3f}-{w['q3']:.3f})"
        rss = f"{r['median']:.1f}  {r['max']:.1f}"
        print(f"{s['name']:<13}{s['versions']:>8,}{s['seed_s']:>8.1f}   {wall:<36}{s['cpu_s']['median']:<15.3f}"
              f"{rss:<26}{s['warmup']['wall_s']:>9.3f}")
    fl = report["floor"]
    print(f"{'floor':<13}{'':>8}{'':>8}   {fl['wall_s']['median']:.3f}  {fl['wall_s']['min']:.3f}-{fl['wall_s']['max']:.3f}"
          f"{'':<22}{'':<15}{fl['rss_mib']['median']:.1f}  (python + import boto3 + 2 clients, no request)")
    print("\nAWS requests per run (HTTP attempts, from botocore events in the CLI process)")
    operations = sorted({op for s in scenarios for key in ("requests_first_run", "requests_rerun")
                         for op in s[key]["by_operation"]})
    columns = [(s["name"], key) for s in scenarios for key in ("requests_first_run", "requests_rerun")]
    print(f"{'operation':<36}" + "".join(f"{name:>20}" for name, _ in columns))
    print(f"{'':<36}" + "".join(f"{'first run' if k.endswith('first_run') else 'rerun':>20}" for _, k in columns))
    for op in operations:
        print(f"{op:<36}" + "".join(f"{s_by(scenarios, name)[k]['by_operation'].get(op, 0):>20}" for name, k in columns))
    print(f"{'total':<36}" + "".join(f"{s_by(scenarios, name)[k]['total']:>20}" for name, k in columns))
    print(f"{'failing (status >= 400)':<36}" + "".join(f"{len(s_by(scenarios, name)[k]['failing']):>20}"
                                                     for name, k in columns))
    print(f"{'clients created':<36}" + "".join(
        f"{clients_text(s_by(scenarios, name)[k]['clients']):>20}" for name, k in columns))
    for s in scenarios:
        for key in ("requests_first_run", "requests_rerun"):
            for failure in s[key]["failing"]:
                print(f"  failing in {s['name']} {key.split('_', 1)[1]}: {failure}")
    imported = scenarios[0]["imports"]
    if imported:
        print(f"\nImports on the run path (python -X importtime, one run): {imported['modules']} modules, "
              f"{imported['total_import_s']:.3f} s of the {imported['run_wall_s']:.3f} s run (importtime adds overhead)")
        print("  top-level imports, cumulative ms: " + ", ".join(f"{n} {ms}" for n, ms in imported["top_level_cumulative_ms"][:8]))
        print("  packages, own ms:                 " + ", ".join(f"{n} {ms}" for n, ms in imported["packages_self_ms"][:8]))
        print(f"  sagemaker* modules: {len(imported['sagemaker_modules'])}; "
              f"yaml/cfnlint/moto/pandas/numpy modules: {len(imported['other_heavy_modules'])}")
    if scenarios[0].get("profile"):
        print(f"  pyinstrument profile: {scenarios[0]['profile']}")
    print("\nTargets")
    for item in report["targets"]:
        print(f"  {'ok    ' if item['ok'] else 'MISSED'}  {item['target']}: {item['measured']}")
    missed = sum(not item["ok"] for item in report["targets"])
    print(f"\n{'all targets met' if not missed else f'MISSED {missed} target(s)'}; "
          f"total bench time {report['bench_s']:.0f} s; results in {RESULTS.relative_to(ROOT)}")


def clients_text(clients: dict[str, int]) -> str:
    return " ".join(f"{service}:{count}" for service, count in sorted(clients.items()))


def s_by(scenarios: list[dict[str, Any]], name: str) -> dict[str, Any]:
    return next(s for s in scenarios if s["name"] == name)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7, help="timed runs per scenario after the warm-up (default 7)")
    parser.add_argument("--large-versions", type=int, default=10_000,
                        help="versions in the large scenario (default 10,000; 0 skips it)")
    parser.add_argument("--profile", action="store_true", help="also write a pyinstrument profile of one run")
    parser.add_argument("--keep", action="store_true", help="keep the work directory (logs, server log, outputs)")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    started = time.perf_counter()
    load_start = os.getloadavg()[0]
    work_root = Path(tempfile.mkdtemp(prefix="bench-"))
    try:
        import boto3

        floor_result = floor(args.runs, work_root / "floor")
        scenarios = [run_scenario("4-versions", 0, args.runs, work_root, imports=True, profile=args.profile)]
        if args.large_versions > len(DEFAULT_VERSIONS):
            name = f"{args.large_versions // 1000}k-versions" if args.large_versions >= 1000 else \
                f"{args.large_versions}-versions"
            scenarios.append(run_scenario(name, args.large_versions - len(DEFAULT_VERSIONS), args.runs, work_root,
                                          imports=False, profile=False))
        report = {
            "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "boto3": boto3.__version__,
                        "platform": platform.platform(),
                        "load_average": {"start": load_start, "end": os.getloadavg()[0]}},
            "runs": args.runs, "floor": floor_result, "scenarios": scenarios, "targets": targets(scenarios),
            "bench_s": time.perf_counter() - started,
        }
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(json.dumps(report, indent=2, default=dict) + "\n")
        print_report(report)
        return 0
    except (HarnessError, RuntimeError, OSError) as exc:
        print(f"\nbench: harness failure: {exc}", file=sys.stderr)
        print(f"bench: logs kept in {work_root}", file=sys.stderr)
        args.keep = True
        return 1
    finally:
        if args.keep:
            print(f"work directory: {work_root}")
        else:
            shutil.rmtree(work_root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
