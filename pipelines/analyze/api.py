"""The analyzer's three commands as Python functions, for notebooks: results as objects, nothing written unless asked.

    from pipelines.analyze import api

    dq = api.data_quality("s3://bucket/data-capture/fraud-detect-prod",
                          statistics="s3://.../statistics.json", constraints="s3://.../constraints.json",
                          start="2026-11-27T00:00:00Z", end="2026-11-28T00:00:00Z")
    dq.violations              # [{"feature_name", "constraint_check_type", "description"}, ...] (Model Monitor's)
    dq.statistics              # the window's statistics.json as a dict
    dq.feature("transaction_amount")   # one feature's statistics entry
    dq.write("out/dq")         # statistics.json + constraint_violations.json, as the CLI writes them

Each function does what ``python -m pipelines.analyze <command>`` does (same code: pipelines/analyze/commands.py)
and raises the CLI's exceptions instead of exiting: ``UsageError`` for bad input (its message is the CLI's error
line), ``MonitorError``/``AwsError`` for S3. Locations are local paths or ``s3://`` URIs; times are ISO-8601 strings
or aware datetimes (a naive one is UTC). ``s3``: a boto3 S3 client to use (default: the standard AWS chain).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from pipelines.analyze import commands
from pipelines.analyze.capture import Window
from pipelines.analyze.sources import Reader
from pipelines.core.errors import UsageError
from pipelines.formats.times import parse_time_flag

__all__ = ["Result", "data_quality", "estimate", "model_quality"]


@dataclass
class Result:
    """What one analysis found: Model Monitor's two documents, plus what the CLI prints."""

    command: str
    statistics: dict[str, Any]
    violations: list[dict[str, Any]]
    lines: list[str] = field(default_factory=list)  # the CLI's summary lines
    warnings: list[str] = field(default_factory=list)  # records skipped and why, checks not run
    metrics: list[dict[str, Any]] = field(default_factory=list)  # the CloudWatch metrics the container would emit
    failed_assumption: bool = False  # estimate: the calibration check failed (the estimate is not trusted)
    _outcome: Any = field(default=None, repr=False)

    @property
    def ok(self) -> bool:
        """No violation (and, for an estimate, the calibration assumption did not fail): the CLI's exit 0."""
        return not self.violations and not self.failed_assumption

    def feature(self, name: str) -> dict[str, Any]:
        """One feature's entry of a data quality statistics.json; KeyError naming the features there are."""
        features = {item.get("name"): item for item in self.statistics.get("features") or []}
        if name not in features:
            raise KeyError(f"no feature {name!r} in the statistics; features: {', '.join(map(str, features))}")
        return features[name]

    def metric(self, name: str) -> float | str:
        """One binary classification metric's value (model quality, estimate), e.g. ``metric("recall")``."""
        return self.statistics["binary_classification_metrics"][name]["value"]

    def write(self, directory: str | Path) -> list[Path]:
        """Write statistics.json and constraint_violations.json as the CLI does (both or neither)."""
        return commands.write_outputs(self._outcome, str(directory))


def _window(start: str | datetime | None, end: str | datetime | None) -> Window:
    def when(value: str | datetime | None, flag: str) -> datetime | None:
        if value is None or isinstance(value, datetime):
            return value if value is None or value.tzinfo else value.replace(tzinfo=timezone.utc)
        return parse_time_flag(value, flag)

    window = Window(when(start, "start"), when(end, "end"))
    if window.start and window.end and window.end <= window.start:
        raise UsageError(f"end {end} is not after start {start}")
    return window


def _threshold(threshold: float) -> float:
    if not 0.0 < threshold < 1.0:
        raise UsageError(f"threshold {threshold} is not between 0 and 1")
    return threshold


def _result(command: str, outcome: Any) -> Result:
    return Result(command=command, statistics=outcome.files["statistics.json"], violations=outcome.violations,
                  lines=outcome.lines, warnings=outcome.warnings, metrics=outcome.metrics,
                  failed_assumption=outcome.failed_assumption, _outcome=outcome)


def data_quality(capture: str, *, statistics: str, constraints: str, start: str | datetime | None = None,
                 end: str | datetime | None = None, output_columns_position: str = "START", s3: Any = None) -> Result:
    """Model Monitor's six data quality checks on the window's captures against the baseline
    (``output_columns_position``: where the captured output columns go in each row, as the CLI's flag).

    Raises:
        UsageError: a missing or malformed baseline, no captures, or no readable record in the window.
    """
    return _result("data-quality", commands.data_quality(Reader(s3), capture, _window(start, end), statistics,
                                                         constraints, output_columns_position))


def model_quality(capture: str, *, ground_truth: str, constraints: str | None = None, threshold: float = 0.5,
                  start: str | datetime | None = None, end: str | datetime | None = None, s3: Any = None) -> Result:
    """Captures merged with ground truth as Model Monitor merges them; binary classification metrics."""
    return _result("model-quality", commands.model_quality(Reader(s3), capture, _window(start, end), ground_truth,
                                                           constraints, _threshold(threshold)))


def estimate(capture: str, *, threshold: float = 0.5, ground_truth: str | None = None, statistics: str | None = None,
             constraints: str | None = None, start: str | datetime | None = None, end: str | datetime | None = None,
             s3: Any = None) -> Result:
    """Recall/precision/F1 estimated from the captured scores (no labels needed), with the calibration check."""
    return _result("estimate", commands.estimate(Reader(s3), capture, _window(start, end), _threshold(threshold),
                                                 ground_truth, statistics, constraints))
