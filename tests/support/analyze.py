"""Helpers for the analyzer tests: a capture folder with baselines, and running the CLI in-process."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from devtools.seed_captures import Traffic, baseline, capture_line, feature_names, start_of_day, traffic, write_captures

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "analyzer"


@dataclass
class Case:
    """A capture folder, its baseline files and an output folder."""

    root: Path
    capture: Path
    statistics: Path
    constraints: Path
    output: Path
    ids: list[str]
    data: Traffic

    def dq_args(self, *extra: str) -> list[str]:
        return ["data-quality", "--capture", str(self.capture), "--statistics", str(self.statistics),
                "--constraints", str(self.constraints), "--output", str(self.output), *extra]


def make_case(tmp_path: Path, n: int = 2000, n_features: int = 4, *, drift: dict[int, float] | None = None,
              baseline_n: int = 4000, seed: int = 1, edit_constraints: Any = None) -> Case:
    """Baseline from one sample, captures of another (optionally drifted), in SageMaker's layout."""
    names = feature_names(n_features)
    sample = traffic(baseline_n, n_features, seed=seed)
    statistics, constraints = baseline(sample.features, names, sample.scores)  # the output column first (START)
    if edit_constraints:
        edit_constraints(constraints)
    (tmp_path / "baseline").mkdir(parents=True, exist_ok=True)
    statistics_path = tmp_path / "baseline" / "statistics.json"
    constraints_path = tmp_path / "baseline" / "constraints.json"
    statistics_path.write_text(json.dumps(statistics))
    constraints_path.write_text(json.dumps(constraints))
    data = traffic(n, n_features, seed=seed + 100, drift=drift)
    ids = write_captures(tmp_path / "capture", data, start_of_day())
    return Case(tmp_path, tmp_path / "capture", statistics_path, constraints_path, tmp_path / "out", ids, data)


def append_lines(case: Case, lines: list[str], hour: str = "2026/11/27/00") -> Path:
    """Extra raw lines in the case's endpoint folder (hour folder ``hour``)."""
    folder = case.capture / "fraud-detect-prod" / "AllTraffic" / hour
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "59-59-999-extra.jsonl"
    with open(path, "a", encoding="utf-8") as handle:
        handle.writelines(line + "\n" for line in lines)
    return path


def csv_capture(row: str, event: str = "e-1", when: str = "2026-11-27T00:30:00.000Z",
                output: float | str | None = 0.1) -> str:
    """One capture line with a CSV input ``row`` and output ``output`` (score 0.1; None: no endpointOutput)."""
    from datetime import datetime

    return capture_line(row, output, event, datetime.fromisoformat(when.replace("Z", "+00:00")))


def run_cli(argv: list[str], capsys: Any, now: Any = None) -> tuple[int, str, str]:
    """``python -m pipelines.analyze`` in-process: (exit code, stdout, stderr); ``now`` is the injected clock."""
    from pipelines.analyze.__main__ import main

    code = main(argv, now=now) if now else main(argv)
    out = capsys.readouterr()
    return code, out.out, out.err


def read(path: Path) -> Any:
    return json.loads(path.read_text())


def structure(value: Any) -> Any:
    """Key structure of a JSON value (leaf values dropped, first list item only)."""
    if isinstance(value, dict):
        return {key: structure(item) for key, item in value.items()}
    if isinstance(value, list):
        return [structure(value[0])] if value else []
    return None


__all__ = ["Case", "FIXTURES", "append_lines", "csv_capture", "make_case", "read", "run_cli", "start_of_day", "structure"]
