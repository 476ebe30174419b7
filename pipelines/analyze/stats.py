"""Streaming per-feature statistics of a capture window, written in Model Monitor's statistics.json schema.

Schema: https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-byoc-statistics.html . Columns are the
baseline's features in the baseline's order (CSV captures have no header; Model Monitor maps them by position).
Memory is bounded: per feature a few numbers, a KLL sketch (at most ~3k items) or, for String features, the
distinct values; the records themselves are seen once, batch by batch, and dropped.

Value types follow Deequ's DataType analyzer (awslabs/deequ src/main/scala/com/amazon/deequ/analyzers/catalyst/
StatefulDataType.scala): an empty field is null; ``^(-|\\+)? ?\\d+$`` is Integral;
``^(-|\\+)? ?\\d+((\\.\\d+)|((?:\\.\\d+)?[Ee][-+]?\\d+))$`` is Fractional; ``true``/``false`` is Boolean; anything
else is String. So "3" in a Fractional column is Integral, which is why real Model Monitor violations report
data-type ratios like 0.4995 for fare amounts (aws/sagemaker-python-sdk tests/data/monitor/constraint_violations.json).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from pipelines.analyze.capture import Batch, Problems
from pipelines.analyze.kll import KLL, buckets
from pipelines.core.files import json_loads

INTEGRAL_RE = re.compile(r"^(-|\+)? ?\d+$")
FRACTIONAL_RE = re.compile(r"^(-|\+)? ?\d+((\.\d+)|((?:\.\d+)?[Ee][-+]?\d+))$")
BOOLEAN_RE = re.compile(r"^(true|false)$")
NUMERIC_TYPES = ("Integral", "Fractional")


def value_type(token: str) -> str:
    """Deequ's type of one non-empty CSV token."""
    if INTEGRAL_RE.match(token):
        return "Integral"
    if FRACTIONAL_RE.match(token):
        return "Fractional"
    if BOOLEAN_RE.match(token):
        return "Boolean"
    return "String"


def determine_type(types: Counter) -> str:
    """Deequ DataTypeHistogram.determineType over the non-null values' types."""
    if not sum(types.values()):
        return "Unknown"
    if types["String"] or (types["Boolean"] and (types["Integral"] or types["Fractional"])):
        return "String"
    if types["Boolean"]:
        return "Boolean"
    return "Fractional" if types["Fractional"] else "Integral"


@dataclass
class FeatureProfile:
    """Running statistics of one feature."""

    name: str
    baseline_type: str
    missing: int = 0
    types: Counter = field(default_factory=Counter)  # non-null values by Deequ type
    count: int = 0  # numeric values in the moments and the sketch
    mean: float = 0.0
    m2: float = 0.0
    total: float = 0.0
    low: float = math.inf
    high: float = -math.inf
    sketch: KLL = field(default_factory=KLL)
    categories: Counter = field(default_factory=Counter)

    @property
    def numeric(self) -> bool:
        return self.baseline_type in NUMERIC_TYPES

    @property
    def present(self) -> int:
        return sum(self.types.values())

    def add_numbers(self, values: np.ndarray) -> None:
        """Merge a batch of finite numbers (Chan et al. parallel variance, so one pass and stable)."""
        if not len(values):
            return
        with np.errstate(over="ignore", invalid="ignore"):  # sums past 1.8e308 are inf: written as "Infinity"
            self._add_moments(values)
        self.low, self.high = min(self.low, float(values.min())), max(self.high, float(values.max()))
        self.sketch.update(values)

    def _add_moments(self, values: np.ndarray) -> None:
        n, mean = len(values), float(values.mean())
        m2 = float(((values - mean) ** 2).sum())
        total = self.count + n
        delta = mean - self.mean
        self.m2 += m2 + delta * delta * self.count * n / total
        self.mean += delta * n / total
        self.count = total
        self.total += float(values.sum())

    def add_tokens(self, tokens: list[str]) -> None:
        """Slow path: one column of raw CSV tokens ('' is null)."""
        distinct = Counter(tokens)
        self.missing += distinct.pop("", 0)
        numbers: list[float] = []
        for token, count in distinct.items():
            kind = value_type(token)
            self.types[kind] += count
            if self.numeric and kind in NUMERIC_TYPES:
                numbers.extend([float(token)] * count)
        if self.numeric:
            self.add_numbers(np.asarray(numbers, dtype=np.float64))
        else:
            self.categories.update(distinct)

    def to_json(self) -> dict[str, Any]:
        """This feature in statistics.json."""
        common = {"num_present": self.present, "num_missing": self.missing}
        entry: dict[str, Any] = {"name": self.name, "inferred_type": determine_type(self.types)}
        if not self.numeric:
            entry["string_statistics"] = {
                "common": common, "distinct_count": float(len(self.categories)),
                "distribution": {"categorical": {"buckets": [{"value": value, "count": count} for value, count
                                                             in sorted(self.categories.items())]}}}
            return entry
        numbers: dict[str, Any] = {"common": common}
        if self.count:
            # Deequ StandardDeviation is the population standard deviation (stddev_pop)
            numbers.update(mean=self.mean, sum=self.total, std_dev=math.sqrt(self.m2 / self.count), min=self.low,
                           max=self.high, distribution={"kll": {
                               "buckets": buckets(self.sketch.rank_table(), self.low, self.high),
                               "sketch": self.sketch.to_json()}})
        entry["numerical_statistics"] = numbers
        return entry


class Profile:
    """Statistics of the window's inputs, feature by feature in the baseline's order."""

    def __init__(self, features: list[tuple[str, str]]) -> None:
        self.features = [FeatureProfile(name, kind) for name, kind in features]
        self.width = len(features)
        self.items = 0
        self.column_counts: Counter = Counter()  # CSV rows by number of columns
        self._all_numeric = all(item.numeric for item in self.features)

    def add_batch(self, batch: Batch, problems: Problems) -> None:
        """Split a batch into CSV rows and JSON rows; everything that is neither is a counted problem."""
        text = _plain_csv(batch)
        if text is not None:
            self.add_csv(batch.inputs, problems, text)  # type: ignore[arg-type]
            return
        rows: list[str] = []
        for text, content_type, line in zip(batch.inputs, batch.input_types, batch.lines, strict=True):
            if text is None:
                problems.add("capture without endpointInput data", line)
            elif "json" in content_type.lower():
                self._add_json(text, line, problems)
            elif text[:1] in ("{", "["):
                problems.add("JSON data where CSV is expected (observedContentType is not JSON)", line)
            elif "\n" in text:
                rows.extend(row for row in text.replace("\r", "").split("\n") if row)
            else:
                rows.append(text)
        self.add_csv(rows, problems)

    def add_csv(self, rows: list[str], problems: Problems, text: str | None = None) -> None:
        """CSV rows: those with the baseline's number of columns are profiled; others are counted problems.
        ``text``: the rows already joined by newlines, when the caller has it."""
        if rows and self._all_numeric and self._add_numeric_fast(rows, text):  # loadtxt checks every row's width
            self.column_counts[self.width] += len(rows)
            self.items += len(rows)
            return
        widths = [row.count(",") + 1 for row in rows]
        self.column_counts.update(widths)
        if any(width != self.width for width in widths):
            for row, width in zip(rows, widths, strict=True):
                if width != self.width:
                    problems.add(f"{width} CSV columns where the baseline has {self.width}", row)
            rows = [row for row, width in zip(rows, widths, strict=True) if width == self.width]
        if not rows:
            return
        self.items += len(rows)
        if not (self._all_numeric and self._add_numeric_fast(rows)):  # rows with an empty or non-numeric field
            columns = list(zip(*(row.split(",") for row in rows), strict=True))
            for feature, column in zip(self.features, columns, strict=True):
                self._add_column(feature, list(column))

    def _add_numeric_fast(self, rows: list[str], joined: str | None = None) -> bool:
        """All-numeric rows in one C call; False (nothing added) if any field is empty or not a number."""
        try:
            values = np.loadtxt(rows, delimiter=",", dtype=np.float64, ndmin=2, comments=None)
            text = ("\n".join(rows) if joined is None else joined).encode("ascii")
        except (ValueError, UnicodeEncodeError):
            return False
        if values.shape != (len(rows), self.width):  # another width throughout, or blank rows loadtxt skipped
            return False
        fractional = fractional_fields(text, self.width)
        finite = np.isfinite(values)
        for index, feature in enumerate(self.features):
            column = values[:, index]
            ok = finite[:, index]
            n_finite = int(ok.sum())
            feature.types["Fractional"] += int(fractional[index])
            feature.types["Integral"] += n_finite - int(fractional[index])
            feature.types["String"] += len(column) - n_finite  # nan, inf: not numbers to Deequ's regexes
            feature.add_numbers(column if n_finite == len(column) else column[ok])
        return True

    def _add_column(self, feature: FeatureProfile, column: list[str]) -> None:
        if feature.numeric:
            try:
                values = np.array(column, dtype=np.float64)
            except ValueError:
                feature.add_tokens(column)
                return
            fractional = int(fractional_fields(",".join(column).encode("ascii", errors="replace"), 1)[0])
            finite = np.isfinite(values)
            feature.types["Fractional"] += fractional
            feature.types["Integral"] += int(finite.sum()) - fractional
            feature.types["String"] += int((~finite).sum())
            feature.add_numbers(values[finite])
        else:
            feature.add_tokens(column)

    def _add_json(self, text: str, line: str, problems: Problems) -> None:
        """JSON inputs: a row, a list of rows, {"instances": [...]} or an object keyed by feature name."""
        try:
            document = json_loads(text)
        except ValueError:  # not JSON, or nested too deep
            problems.add("JSON input that is not valid JSON", line)
            return
        try:
            rows = json_rows(document, [item.name for item in self.features])
            tokens = [",".join(_token(value) for value in row) for row in rows]
        except (ValueError, TypeError):
            problems.add("JSON input that is not a row of features (expected [..], [[..]], {\"instances\": ..}, "
                         "{\"features\": [..]} or an object keyed by feature name)", line)
            return
        self.add_csv(tokens, problems)

    def to_json(self) -> dict[str, Any]:
        """statistics.json for the window."""
        return {"version": 0.0, "dataset": {"item_count": self.items},
                "features": [feature.to_json() for feature in self.features]}

    @property
    def dataset_width(self) -> int:
        """The window's number of columns: the most common row width (0 when nothing was read)."""
        return self.column_counts.most_common(1)[0][0] if self.column_counts else 0


def _plain_csv(batch: Batch) -> str | None:
    """The inputs joined by newlines if every one is one CSV row (no JSON content type, no JSON-looking data, no
    multi-row request, none missing); else None."""
    if None in batch.inputs or any("json" in content_type.lower() for content_type in set(batch.input_types)):
        return None
    joined = "\n".join(batch.inputs)  # type: ignore[arg-type]
    if joined[:1] in ("{", "[") or "\n{" in joined or "\n[" in joined or "\r" in joined or \
            joined.count("\n") != len(batch.inputs) - 1:
        return None
    return joined


def fractional_fields(text: bytes, width: int) -> np.ndarray:
    """Per column, how many fields of ``text`` (rows of ``width`` fields, ',' or '\\n' between fields) hold '.', 'e'
    or 'E': Deequ's Fractional among tokens that parse as numbers; the other numbers are Integral. Works on the
    bytes: a marker's field is the number of separators before it (a running count over the batch's bytes)."""
    buffer = np.frombuffer(text, dtype=np.uint8)
    field_of_byte = np.cumsum((buffer == 44) | (buffer == 10), dtype=np.int32)  # < 2^31 fields a batch
    fields = field_of_byte[(buffer == 46) | (buffer == 101) | (buffer == 69)]
    if not len(fields):
        return np.zeros(width, dtype=np.int64)
    fields = fields[np.r_[True, fields[1:] != fields[:-1]]]  # in order: count each field once
    return np.bincount(fields % width, minlength=width)


def _token(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value).replace(",", " ")


def json_rows(document: Any, names: list[str]) -> list[list[Any]]:
    """Rows from the JSON request shapes SageMaker's built-in containers accept; ValueError for anything else."""
    if isinstance(document, dict) and "instances" in document:
        document = document["instances"]
    if isinstance(document, dict):
        if "features" in document:
            return [document["features"]]
        if any(name in document for name in names):
            return [[document.get(name) for name in names]]
        raise ValueError("no 'instances', 'features' or feature-name keys")
    if isinstance(document, list):
        if document and all(isinstance(item, list) for item in document):
            return document
        if document and all(isinstance(item, dict) for item in document):
            return [row for item in document for row in json_rows(item, names)]
        if all(not isinstance(item, (list, dict)) for item in document):
            return [document]
    raise ValueError("not a list of values")
