"""Golden cases for data-quality: deterministic capture folders and baselines, and the sha256 of the files the
reference reader writes for them (tests/fixtures/analyzer/golden.json). tests/test_analyze_fast.py runs each case
with the reference reader and with the fast reader (pipelines/analyze/fastcsv.py) and asks for those bytes.

_source: our own analyzer's outputs (the reference reader, ANALYZER_FAST=0) on synthetic captures written in AWS's
Data Capture layout by devtools/seed_captures.py; they pin today's behaviour, they are not Model Monitor's outputs.

Regenerate after a deliberate change of the analyzer's outputs: ``python -m devtools.golden_analyzer`` (writes the
hashes), ``python -m devtools.golden_analyzer --check`` (exit 1 when they differ).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Callable

from devtools.seed_captures import (FRAUD_FEATURES, baseline, feature_names, fraud_rows, start_of_day, traffic,
                                    write_captures)

ROOT = Path(__file__).resolve().parents[1]


def golden_path() -> Path:
    return ROOT / "tests" / "fixtures" / "analyzer" / "golden.json"


def _write_baseline(folder: Path, statistics: dict, constraints: dict) -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "statistics.json").write_text(json.dumps(statistics))
    (folder / "constraints.json").write_text(json.dumps(constraints))
    return folder / "statistics.json", folder / "constraints.json"


def _numeric(root: Path, n: int, n_features: int, drift: dict[int, float] | None = None,
             extra: list[str] | None = None) -> list[str]:
    sample = traffic(4000, n_features, seed=1)
    statistics, constraints = _write_baseline(root / "baseline", *baseline(sample.features, feature_names(n_features),
                                                                            sample.scores))
    write_captures(root / "capture", traffic(n, n_features, seed=101, drift=drift), start_of_day())
    if extra:
        hour = root / "capture" / "fraud-detect-prod" / "AllTraffic" / "2026" / "11" / "27" / "00"
        with open(hour / "59-59-999-extra.jsonl", "a", encoding="utf-8") as handle:
            handle.writelines(line + "\n" for line in extra)
    return ["data-quality", "--capture", str(root / "capture"), "--statistics", str(statistics), "--constraints",
            str(constraints)]


def _fraud(root: Path) -> list[str]:
    """The fraud features (a String column: the reference reader's per-column path), amount shifted."""
    from pipelines.analyze.capture import Problems
    from pipelines.analyze.stats import Profile

    base = fraud_rows(5000, seed=5)
    scores = traffic(5000, 1, seed=5).scores
    profile = Profile([("score", "Fractional"), *FRAUD_FEATURES])
    profile.add_csv([f"{s:.6f},{row}" for s, row in zip(scores.tolist(), base, strict=True)], Problems())
    statistics = profile.to_json()
    constraints = {"version": 0.0, "features": [
        {"name": name, "inferred_type": kind, "completeness": 1.0,
         **({"string_constraints": {"domains": ["fuel", "grocery", "online", "travel"]}} if kind == "String" else {})}
        for name, kind in [("score", "Fractional"), *FRAUD_FEATURES]],
        "monitoring_config": {"distribution_constraints": {"comparison_threshold": 0.1}}}
    paths = _write_baseline(root / "baseline", statistics, constraints)
    rows = fraud_rows(30000, seed=77, amount_shift=3.0)
    write_captures(root / "capture", traffic(len(rows), 1, seed=77), start_of_day(), rows=rows)
    return ["data-quality", "--capture", str(root / "capture"), "--statistics", str(paths[0]), "--constraints",
            str(paths[1])]


_ODD = ['{"captureData":{"endpointInput":{"observedContentType":"application/json","mode":"INPUT","data":'
        '"[1.5,2,3,4]","encoding":"JSON"}},"eventMetadata":{"eventId":"j-1","inferenceTime":'
        '"2026-11-27T00:59:00.000Z"},"eventVersion":"0"}', "", "not json at all", '{"captureData": 1}',
        '{"captureData":{"endpointInput":{"observedContentType":"text/csv","mode":"INPUT","data":"1.5,,3,4",'
        '"encoding":"CSV"}},"eventMetadata":{"eventId":"e-2","inferenceTime":"2026-11-27T00:59:01.000Z"},'
        '"eventVersion":"0"}']

CASES: dict[str, Callable[[Path], list[str]]] = {
    "numeric-small": lambda root: _numeric(root, 2000, 4),
    "numeric-drift-many-hours": lambda root: _numeric(root, 45000, 5, drift={2: 0.5}),
    "numeric-partial-hours": lambda root: _numeric(root, 30000, 3) + ["--start", "2026-11-27T00:30:00Z", "--end",
                                                                     "2026-11-27T02:15:00Z"],
    "numeric-odd-lines": lambda root: _numeric(root, 12000, 3, extra=_ODD),
    "fraud-mixed-types": _fraud,
}


def build(name: str, root: Path) -> list[str]:
    """Lay out the case under ``root``; its data-quality arguments (without --output)."""
    return CASES[name](root)


def run_case(name: str, fast: bool) -> dict:
    """Exit code and sha256 of the two files for one case, with the reference or the fast reader."""
    from pipelines.analyze.__main__ import main

    with tempfile.TemporaryDirectory() as folder:
        args = build(name, Path(folder))
        os.environ["ANALYZER_FAST"] = "1" if fast else "0"
        try:
            code = main([*args, "--output", str(Path(folder) / "out")])
        finally:
            os.environ.pop("ANALYZER_FAST", None)
        return {"exit": code, "sha256": {file: hashlib.sha256((Path(folder) / "out" / file).read_bytes()).hexdigest()
                                         for file in ("statistics.json", "constraint_violations.json")}}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare with the recorded hashes instead of writing")
    args = parser.parse_args(argv)
    found = {name: run_case(name, fast=False) for name in sorted(CASES)}
    text = json.dumps(found, indent=2, sort_keys=True) + "\n"
    if args.check:
        same = golden_path().read_text() == text
        print("golden hashes match" if same else "golden hashes differ: rerun without --check after a deliberate "
              "change")
        return 0 if same else 1
    golden_path().write_text(text)
    print(f"wrote {golden_path()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
