r"""Streaming per-feature statistics of a capture window, written in Model Monitor's statistics.json schema.

Schema: https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-byoc-statistics.html . Columns are the
baseline's features in the baseline's order (CSV captures have no header; Model Monitor maps them by position).
Memory is bounded: per feature a few numbers, a KLL sketch (at most ~3k items) or, for String features, the
distinct values; the records themselves are seen once, batch by batch, and dropped.

Value types follow Deequ's DataType analyzer (awslabs/deequ
src/main/scala/com/amazon/deequ/analyzers/catalyst/StatefulDataType.scala, commit 0b8cea54):
FRACTIONAL ``^(-|\+)? ?\d+((\.\d+)|((?:\.\d+)?[Ee][-+]?\d+))$``, INTEGRAL ``^(-|\+)? ?\d+$``,
BOOLEAN ``^(true|false)$`` (Scala triple-quoted strings), tried in that order by a Scala pattern match
(``Regex.unapplySeq``, i.e. Java's ``Matcher.matches()``: the whole string), anything else String, a null value
null (an empty CSV field is null to Spark's CSV reader). Java's ``\d`` is ASCII [0-9] unless
UNICODE_CHARACTER_CLASS is set, so ``.5``, ``3.``, ``1_000``, ``5 `` and non-ASCII digits (Arabic-Indic U+0661..,
fullwidth U+FF11..) are all String, although Python's float() and numpy read them as numbers: the type is decided
by these regexes on every path (``value_type`` per token, ``deequ_numbers``
over a whole batch), never by whether a parser accepts the text. So "3" in a Fractional column is Integral, which
is why real Model Monitor violations report data-type ratios like 0.4995 for fare amounts
(aws/sagemaker-python-sdk tests/data/monitor/constraint_violations.json).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from pipelines.analyze import exact
from pipelines.analyze.capture import Batch, Problems, join_output, split_fields
from pipelines.analyze.kll import KLL, buckets
from pipelines.core.files import json_loads

# Deequ's regexes with Java's meaning: \d is [0-9], and fullmatch stands for Matcher.matches() (Python's $ would also
# match before a final newline)
INTEGRAL_RE = re.compile(r"(-|\+)? ?[0-9]+")
FRACTIONAL_RE = re.compile(r"(-|\+)? ?[0-9]+((\.[0-9]+)|((?:\.[0-9]+)?[Ee][-+]?[0-9]+))")
BOOLEAN_RE = re.compile(r"(true|false)")
# bytes of a batch that only Deequ numbers (and the separators) are made of; a space is allowed by Deequ only after
# the sign, so any space sends the batch to the per-token path
_NUMBER_BYTES = b"0123456789.eE+-,\n"
NUMERIC_TYPES = ("Integral", "Fractional")
MOMENT_BLOCK = 4096  # values per mean/M2 block (FeatureProfile.add_numbers)


def value_type(token: str) -> str:
    """Deequ's type of one non-empty CSV token."""
    if FRACTIONAL_RE.fullmatch(token):  # Deequ's order: Fractional, Integral, Boolean
        return "Fractional"
    if INTEGRAL_RE.fullmatch(token):
        return "Integral"
    if BOOLEAN_RE.fullmatch(token):
        return "Boolean"
    return "String"


def deequ_numbers(text: bytes) -> bool:
    """True if every field of ``text`` (',' and '\\n' between fields) that numpy reads as a number is also a number
    to Deequ's regexes; False sends the batch to the per-token path, which decides each field by ``value_type``.
    Beyond the bytes, the one thing numpy takes and Deequ does not is a '.' without a digit on both sides (".5",
    "3.", "1.e5"): Deequ's numbers have ``\\d+`` before and ``\\.\\d+`` after a dot."""
    if not text or text.translate(None, _NUMBER_BYTES):
        return False
    buffer = np.frombuffer(text, dtype=np.uint8)
    dots = buffer == 46
    if dots[0] or dots[-1]:
        return False
    digits = (buffer - np.uint8(48)) < 10  # uint8 wraps: only '0'..'9' land below 10
    return not bool((dots[1:-1] & ~(digits[:-2] & digits[2:])).any())


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
    mean: float = 0.0  # running mean for m2 (Chan); the mean written is exact_mean
    m2: float = 0.0
    moment_count: int = 0  # values folded into mean/m2 (count, once flushed)
    _pending: list = field(default_factory=list, repr=False)  # values not yet folded into mean/m2
    _pending_count: int = 0
    exact: int = 0  # exact sum of the finite values, in units of 2^-1074 (pipelines/analyze/exact.py)
    special: float = 0.0  # sum of the non-finite values (inf, nan), kept apart from the exact sum
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

    @property
    def total(self) -> float:
        """The sum, correctly rounded from the exact sum: the same however the values were batched or sharded."""
        return exact.to_float(self.exact) + self.special

    @property
    def exact_mean(self) -> float:
        """The mean, correctly rounded from the exact sum (same for one pass and for merged shards)."""
        return exact.to_float(self.exact, self.count) + self.special if self.count else 0.0

    def add_numbers(self, values: np.ndarray, exact_total: int | None = None) -> None:
        """Add a batch of numbers. Every statistic is independent of how the values were batched: count, min, max,
        the exact sum and the KLL sketch (its updates equal item-by-item ones) trivially; mean/M2 for std_dev are
        folded in blocks of MOMENT_BLOCK values (Chan et al.), whatever the batches were, so the fast reader and the
        reference reader, and any batch size, write the same std_dev."""
        if not len(values):
            return
        self.count += len(values)
        if exact_total is not None:  # the fast reader summed these finite values already (exact.from_bins)
            self.exact += exact_total
        elif (finite := np.isfinite(values)).all():
            self.exact += exact.exact_sum(values)
        else:
            self.exact += exact.exact_sum(values[finite])
            self.special += float(values[~finite].sum())
        self.low, self.high = min(self.low, float(values.min())), max(self.high, float(values.max()))
        self.sketch.update(values)
        self.add_moments(values)

    def add_moments(self, values: np.ndarray, borrowed: bool = False, fold: Any = None) -> None:
        """Queue values for mean/M2, folding every full block of MOMENT_BLOCK (add_numbers; the fast reader's
        fastcsv.Columns calls it with the rest of the statistics done in compiled code). ``borrowed``: ``values``
        is reused after the call, so what is queued is copied. ``fold(blocks, (moment_count, mean, m2))``: the
        state after folding the full blocks ``blocks`` as ``_fold`` does one by one (the fast reader's C)."""
        if borrowed and self._pending_count + len(values) < MOMENT_BLOCK:
            values = values.copy()
        self._pending.append(values)
        self._pending_count += len(values)
        if self._pending_count >= MOMENT_BLOCK:
            joined = np.concatenate(self._pending) if len(self._pending) > 1 else self._pending[0]
            full = len(joined) - len(joined) % MOMENT_BLOCK
            if fold is not None:
                self.moment_count, self.mean, self.m2 = fold(joined[:full], (self.moment_count, self.mean, self.m2))
            else:
                for start in range(0, full, MOMENT_BLOCK):
                    self._fold(joined[start:start + MOMENT_BLOCK])
            rest = joined[full:]
            if borrowed and rest.base is not None and len(rest):
                rest = rest.copy()
            self._pending, self._pending_count = ([rest] if len(rest) else []), len(rest)

    def _fold(self, values: np.ndarray) -> None:
        """Chan et al.'s parallel update of (moment_count, mean, M2) with one block."""
        with np.errstate(over="ignore", invalid="ignore"):  # values near 1.8e308: inf, written as "Infinity"
            n, mean = len(values), float(values.mean())
            m2 = float(((values - mean) ** 2).sum())
        total = self.moment_count + n
        delta = mean - self.mean
        self.m2 += m2 + delta * delta * self.moment_count * n / total
        self.mean += delta * n / total
        self.moment_count = total

    def flush(self) -> None:
        """Fold the last, short block into mean/M2 (before writing; no value may be added after)."""
        if self._pending_count:
            self._fold(np.concatenate(self._pending))
            self._pending, self._pending_count = [], 0

    def add_tokens(self, tokens: list[str]) -> None:
        """Slow path: one column of raw CSV tokens ('' is null)."""
        distinct = Counter(tokens)
        self.missing += distinct.pop("", 0)
        numbers: list[float] = []
        for token, count in distinct.items():
            kind = value_type(token)
            self.types[kind] += count
            if self.numeric and kind in NUMERIC_TYPES:
                value = _spark_double(token)
                if value is not None:
                    numbers.extend([value] * count)
        if self.numeric:
            self.add_numbers(np.asarray(numbers, dtype=np.float64))
        else:
            self.categories.update(distinct)

    def to_json(self) -> dict[str, Any]:
        """This feature in statistics.json."""
        self.flush()
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
            numbers.update(mean=self.exact_mean, sum=self.total, std_dev=math.sqrt(self.m2 / self.count), min=self.low,
                           max=self.high, distribution={"kll": {
                               "buckets": buckets(self.sketch.rank_table(), self.low, self.high),
                               "sketch": self.sketch.to_json()}})
        entry["numerical_statistics"] = numbers
        return entry


class Profile:
    """Statistics of the window's rows, feature by feature in the baseline's order.

    ``position``: where a record's output columns go (capture.OUTPUT_POSITIONS). Rows of another width than the
    baseline are profiled as Spark's CSV reader reads them in its default PERMISSIVE mode: missing trailing fields are
    null, extra fields are dropped; the window's own width (its most common row width) decides the column checks, and
    a baseline feature beyond it is absent (not profiled, not checked).
    """

    def __init__(self, features: list[tuple[str, str]], position: str = "START") -> None:
        self.features = [FeatureProfile(name, kind) for name, kind in features]
        self.width = len(features)
        self.position = position
        self.items = 0
        self.column_counts: Counter = Counter()  # CSV rows by number of columns
        self._all_numeric = all(item.numeric for item in self.features)

    @property
    def all_numeric(self) -> bool:
        return self._all_numeric

    def add_batch(self, batch: Batch, problems: Problems) -> None:
        """Each record's rows (output columns joined at ``position``); what is neither CSV nor JSON is a problem."""
        plain = _plain_csv(batch)
        if plain is not None:
            inputs, outputs = plain
            parts = [inputs] if outputs is None else [outputs, inputs] if self.position == "START" else \
                [inputs, outputs]
            if self._all_numeric and self._add_numeric_fast(parts):  # no joined rows needed
                self.items += len(inputs[0])
                self.column_counts[self.width] += len(inputs[0])
                return
            rows = inputs[0] if outputs is None else list(map(",".join, zip(*(part[0] for part in parts),
                                                                              strict=True)))
            self.add_csv(rows, problems, fast=False)
            return
        rows: list[str] = []
        for record in zip(batch.inputs, batch.input_types, batch.outputs or [None] * len(batch),
                          batch.output_types or [""] * len(batch), batch.lines, strict=True):
            joined = self._record_rows(*record, problems)
            if joined is not None:
                rows.extend(joined)
        self.add_csv(rows)

    def _record_rows(self, text: str | None, content_type: str, output: str | None, output_type: str, line: str,
                     problems: Problems) -> list[str] | None:
        if text is None:
            problems.add("capture without endpointInput data", line)
            return None
        names = [item.name for item in self.features]
        outputs = None if output is None else self._rows(output, output_type, names, line, problems, "endpointOutput")
        if output is not None and outputs is None:
            return None
        if outputs:  # a JSON input keyed by feature name names the input columns only
            taken = len(split_fields(outputs[0]))
            names = names[taken:] if self.position == "START" else names[:len(names) - taken]
        inputs = self._rows(text, content_type, names, line, problems, "endpointInput")
        if inputs is None:
            return None
        joined = join_output(inputs, outputs, self.position)
        if isinstance(joined, str):
            problems.add(joined, line)
            return None
        return joined

    @staticmethod
    def _rows(text: str, content_type: str, names: list[str], line: str, problems: Problems,
              part: str) -> list[str] | None:
        """CSV rows of one capture part (a JSON part's values become CSV fields)."""
        if "json" in content_type.lower():
            try:
                document = json_loads(text)
            except ValueError:  # not JSON, or nested too deep
                problems.add(f"{part} JSON that is not valid JSON", line)
                return None
            try:
                rows = [[document]] if _scalar(document) else \
                    [list(document.values())] if part == "endpointOutput" and isinstance(document, dict) and \
                    all(_scalar(value) for value in document.values()) else json_rows(document, names)
                return [",".join(_token(value) for value in row) for row in rows]
            except (ValueError, TypeError):  # fixed reasons: 1,000 bad records are one line, not one each
                problems.add(f"{part} JSON that is not a row of values (expected [..], [[..]], {{\"instances\": ..}}, "
                             "{\"features\": [..]} or an object keyed by feature name)", line)
                return None
        if text[:1] in ("{", "["):
            problems.add(f"JSON data where CSV is expected ({part} observedContentType is not JSON)", line)
            return None
        if "\n" in text or "\r" in text:
            return [row for row in text.replace("\r", "").split("\n") if row]
        return [text]

    def add_csv(self, rows: list[str], problems: Problems | None = None, text: str | None = None, *,
                fast: bool = True) -> None:
        """CSV rows, each in the baseline's column order. ``text``: the rows already joined by newlines, when the
        caller has it; ``fast``: try the all-numeric path first. ``problems`` is kept for callers; every row is
        profiled (Spark PERMISSIVE, see the class)."""
        if not rows:
            return
        self.items += len(rows)
        if fast and self._all_numeric and self._add_numeric_fast([(rows, text)]):  # checks every row's width
            self.column_counts[self.width] += len(rows)
            return
        split = [split_fields(row) for row in rows]
        self.column_counts.update(len(fields) for fields in split)
        width = self.width
        if any(len(fields) != width for fields in split):
            split = [fields[:width] if len(fields) >= width else fields + [""] * (width - len(fields))
                     for fields in split]
        columns = list(zip(*split, strict=True))
        for feature, column in zip(self.features, columns, strict=True):
            self._add_column(feature, list(column))

    def _add_numeric_fast(self, parts: list[tuple[list[str], str | None]]) -> bool:
        """All-numeric rows in one C call per part (the output columns and the input columns of the same records,
        side by side; (rows, rows joined by newlines or None)); False (nothing added) if any field is empty, not a
        number to numpy, or a number to numpy that Deequ's regexes call String (``deequ_numbers``)."""
        blocks, fractions = [], []
        for rows, joined in parts:
            try:
                text = ("\n".join(rows) if joined is None else joined).encode("ascii")
            except UnicodeEncodeError:
                return False
            if not deequ_numbers(text):
                return False
            try:
                values = np.loadtxt(rows, delimiter=",", dtype=np.float64, ndmin=2, comments=None)
            except ValueError:
                return False
            if values.shape[0] != len(rows):  # blank rows loadtxt skipped
                return False
            blocks.append(values)
            fractions.append(fractional_fields(text, values.shape[1]))
        values = blocks[0] if len(blocks) == 1 else np.hstack(blocks)
        if values.shape[1] != self.width:  # another width throughout
            return False
        fractional = fractions[0] if len(fractions) == 1 else np.concatenate(fractions)
        finite = np.isfinite(values)
        for index, feature in enumerate(self.features):
            column = values[:, index]
            ok = finite[:, index]
            n_finite = int(ok.sum())
            feature.types["Fractional"] += int(fractional[index])
            feature.types["Integral"] += len(column) - int(fractional[index])
            feature.add_numbers(column if n_finite == len(column) else column[ok])  # 1e999: Fractional, not a moment
        return True

    def _add_column(self, feature: FeatureProfile, column: list[str]) -> None:
        if feature.numeric:
            try:
                text = "\n".join(column).encode("ascii")
            except UnicodeEncodeError:
                feature.add_tokens(column)
                return
            if "" in column or not deequ_numbers(text):
                feature.add_tokens(column)
                return
            try:
                values = np.array(column, dtype=np.float64)
            except ValueError:
                feature.add_tokens(column)
                return
            fractional = int(fractional_fields(text, 1)[0])
            finite = np.isfinite(values)
            feature.types["Fractional"] += fractional
            feature.types["Integral"] += len(column) - fractional
            feature.add_numbers(values[finite])
        else:
            feature.add_tokens(column)

    @property
    def absent(self) -> list[FeatureProfile]:
        """Baseline features beyond the window's width (the window has fewer columns than the baseline)."""
        seen = self.dataset_width
        return self.features[seen:] if seen else []

    def to_json(self) -> dict[str, Any]:
        """statistics.json for the window (the columns it has)."""
        absent = {id(item) for item in self.absent}
        return {"version": 0.0, "dataset": {"item_count": self.items},
                "features": [feature.to_json() for feature in self.features if id(feature) not in absent]}

    @property
    def dataset_width(self) -> int:
        """The window's number of columns: the most common row width (0 when nothing was read). Our reading: Spark
        takes the first row's width, and the first row of a window depends on the listing order, so the most common
        width stands for it."""
        return self.column_counts.most_common(1)[0][0] if self.column_counts else 0


def _plain_csv(batch: Batch) -> tuple[tuple[list[str], str], tuple[list[str], str] | None] | None:
    """(inputs, outputs), each as (one row per record, those rows joined by newlines), outputs None when no record
    has one, if every input and output is one plain CSV row (no JSON content type, no JSON-looking data, no
    multi-row request, no input missing, outputs in all records or none); else None."""
    if None in batch.inputs or any("json" in content_type.lower()
                                   for content_type in set(batch.input_types) | set(batch.output_types)):
        return None
    outputs = batch.outputs or [None] * len(batch)
    missing = outputs.count(None)
    if missing and missing != len(outputs):
        return None
    parts = []
    for rows in (batch.inputs,) if missing else (batch.inputs, outputs):
        joined = "\n".join(rows)  # type: ignore[arg-type]
        # one-character scans (memchr): any brace or bracket anywhere sends the batch to the per-record path, which
        # tells JSON-looking data from a String value that holds one
        if joined[:1] == "," or "{" in joined or "[" in joined or "\r" in joined or \
                joined.count("\n") != len(rows) - 1:
            return None
        parts.append((rows, joined))
    return parts[0], (parts[1] if len(parts) > 1 else None)  # type: ignore[return-value]


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


def _scalar(value: Any) -> bool:
    return not isinstance(value, (list, dict))


def _spark_double(token: str) -> float | None:
    """The number in a token Deequ typed Integral/Fractional, as Spark's cast to double reads it: None for what the
    cast makes null ("- 5": Deequ's regex allows the space, the cast does not) and for overflow to infinity."""
    try:
        value = float(token)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _token(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    return f'"{text.replace(chr(34), chr(34) * 2)}"' if "," in text or '"' in text else text


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
