#!/usr/bin/env python3
"""Fuzz pass over the shapes the analyzer reads: every field of a capture record, a ground truth record, the data
quality and model quality baselines, replaced by values of the wrong type (or removed), each run through
``python -m pipelines.analyze`` in-process.

A shape fails the pass when the run ends in a traceback (an exception that is not the project's MonitorError), or
when it exits 0/3 with a file that is not strict JSON (NaN or Infinity). Exit 2 with one ``error:`` line is the
right answer for a bad baseline; a bad record is counted in a warning and the run goes on.

The valid documents come from the real producers: the baselines are the SageMaker SDK-built fixtures in
tests/fixtures/sdk/ (see its README), the records are AWS's documented capture / ground truth layouts
(devtools/seed_captures.py). Usage: ``python devtools/fuzz_analyzer.py [--verbose]``; exit 1 when a shape failed.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import io
import json
import math
import sys
import tempfile
import traceback
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any, Iterator

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from devtools.seed_captures import capture_line, fraud_rows, start_of_day  # noqa: E402

SDK = ROOT / "tests" / "fixtures" / "sdk"
# wrong-typed values: each replaces one field in turn (NaN and Infinity: Python's json module reads them)
MUTANTS: list[Any] = [None, "abc", "", [], {}, [1, "x"], {"a": None}, 0, -1, 1e308, True, math.nan, math.inf,
                      "NaN"]
DELETE = object()


def paths(document: Any, prefix: tuple = ()) -> Iterator[tuple]:
    """Every path into ``document`` (lists: their first two items only)."""
    yield prefix
    if isinstance(document, dict):
        for key, value in document.items():
            yield from paths(value, prefix + (key,))
    elif isinstance(document, list):
        for index, value in enumerate(document[:2]):
            yield from paths(value, prefix + (index,))


def mutate(document: Any, path: tuple, value: Any) -> Any:
    """A copy of ``document`` with the value at ``path`` replaced (or removed with DELETE)."""
    if not path:
        return value
    copied = copy.deepcopy(document)
    holder = copied
    for step in path[:-1]:
        holder = holder[step]
    if value is DELETE:
        del holder[path[-1]]
    else:
        holder[path[-1]] = value
    return copied


def strict(text: str) -> None:
    def refuse(token: str) -> None:
        raise ValueError(f"non-strict JSON constant {token}")
    json.loads(text, parse_constant=refuse)


class Run:
    """One analyzer run in-process: its exit code, stderr, or the traceback it ended in."""

    def __init__(self, argv: list[str]) -> None:
        from pipelines.analyze.__main__ import main

        err, out = io.StringIO(), io.StringIO()
        self.crash = ""
        self.code = -1
        try:
            with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
                self.code = main(argv)
        except Exception as exc:  # noqa: BLE001 - that is what the pass looks for
            frame = traceback.extract_tb(exc.__traceback__)[-1]
            self.crash = f"{type(exc).__name__} at {Path(frame.filename).name}:{frame.lineno}"
        self.err = err.getvalue()


def _capture_records(n: int = 60) -> list[dict[str, Any]]:
    when = start_of_day() + timedelta(minutes=5)
    rows = fraud_rows(n, seed=3)
    return [json.loads(capture_line(row, 0.02 + 0.9 * (index % 7 == 0), f"e-{index}", when, f"txn-{index}"))
            for index, row in enumerate(rows)]


def _write_jsonl(path: Path, documents: list[Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(document) + "\n" for document in documents))


def _label(index: int) -> dict[str, Any]:
    return {"groundTruthData": {"data": str(int(index % 7 == 0)), "encoding": "CSV"},
            "eventMetadata": {"eventId": f"txn-{index}"}, "eventVersion": "0"}


def _check(run: Run, output: Path) -> str:
    """'' when the run ended as the contract says; else what went wrong."""
    if run.crash:
        return run.crash
    if run.code not in (0, 2, 3):
        return f"exit {run.code}"
    if run.code == 2 and (len(run.err.splitlines()) != 1 or not run.err.startswith("error: ")):
        return f"exit 2 without one error line: {run.err[:200]!r}"
    if run.code in (0, 3):
        for name in ("statistics.json", "constraint_violations.json"):
            try:
                strict((output / name).read_text())
            except (OSError, ValueError) as exc:
                return f"{name}: {exc}"
    return ""


def fuzz(verbose: bool) -> Counter:
    failures: Counter = Counter()
    examples: dict[str, str] = {}
    records = _capture_records()
    dq_statistics = json.loads((SDK / "data_quality_statistics.json").read_text())
    dq_constraints = json.loads((SDK / "data_quality_constraints.json").read_text())
    mq_statistics = json.loads((SDK / "model_quality_statistics.json").read_text())
    mq_constraints = json.loads((SDK / "model_quality_constraints.json").read_text())
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        hour = start_of_day().strftime("%Y/%m/%d/%H")
        capture_file = root / "capture" / "ep" / "AllTraffic" / hour / "a.jsonl"
        label_file = root / "gt" / (start_of_day() + timedelta(days=1)).strftime("%Y/%m/%d/%H") / "l.jsonl"
        files = {name: root / f"{name}.json" for name in ("dqs", "dqc", "mqs", "mqc")}
        output = root / "out"

        def reset() -> None:
            _write_jsonl(capture_file, records)
            _write_jsonl(label_file, [_label(index) for index in range(len(records))])
            for name, document in (("dqs", dq_statistics), ("dqc", dq_constraints), ("mqs", mq_statistics),
                                   ("mqc", mq_constraints)):
                files[name].write_text(json.dumps(document))

        common = ["--capture", str(root / "capture"), "--output", str(output)]
        commands = {
            "data-quality": ["data-quality", *common, "--statistics", str(files["dqs"]), "--constraints",
                             str(files["dqc"])],
            "model-quality": ["model-quality", *common, "--ground-truth", str(root / "gt"), "--constraints",
                              str(files["mqc"])],
            "estimate": ["estimate", *common, "--statistics", str(files["mqs"]), "--constraints", str(files["mqc"])],
            "estimate+labels": ["estimate", *common, "--ground-truth", str(root / "gt"), "--statistics",
                                str(files["mqs"])]}
        targets = [("capture record", records[0], lambda doc: _write_jsonl(capture_file, [doc] + records[1:]),
                    list(commands)),
                   ("ground truth record", _label(0), lambda doc: _write_jsonl(
                       label_file, [doc] + [_label(i) for i in range(1, len(records))]),
                    ["model-quality", "estimate+labels"]),
                   ("data quality statistics", dq_statistics, lambda doc: files["dqs"].write_text(json.dumps(doc)),
                    ["data-quality"]),
                   ("data quality constraints", dq_constraints, lambda doc: files["dqc"].write_text(json.dumps(doc)),
                    ["data-quality"]),
                   ("model quality statistics", mq_statistics, lambda doc: files["mqs"].write_text(json.dumps(doc)),
                    ["estimate"]),
                   ("model quality constraints", mq_constraints,
                    lambda doc: files["mqc"].write_text(json.dumps(doc)), ["model-quality", "estimate"])]
        cases = 0
        for what, document, write, command_names in targets:
            for path in paths(document):
                for value in MUTANTS + ([DELETE] if path else []):
                    reset()
                    write(mutate(document, path, value))
                    for command in command_names:
                        cases += 1
                        run = Run(commands[command])
                        problem = _check(run, output)
                        if problem:
                            shown = "<removed>" if value is DELETE else repr(value)
                            key = f"{what} [{command}]: {problem}"
                            failures[key] += 1
                            examples.setdefault(key, f"{'.'.join(map(str, path)) or '<document>'} = {shown}")
                            if verbose:
                                print(f"{key}: {'.'.join(map(str, path))} = {shown}")
    print(f"{cases} runs, {sum(failures.values())} failed, {len(failures)} distinct failure sites")
    for key, count in sorted(failures.items()):
        print(f"  {count:4d}x {key}  (e.g. {examples[key]})")
    return failures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args(argv)
    return 1 if fuzz(args.verbose) else 0


if __name__ == "__main__":
    sys.exit(main())
