"""What the ground-truth tool passes around: the label spec, problems found, validation, coverage and upload results,
and the constants they share."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from pipelines.ground_truth.store import LabelStore

DEFAULT_POSITIVE = "1,true,fraud,chargeback"
DEFAULT_NEGATIVE = "0,false,legit,genuine"
DEFAULT_BATCH_SIZE = 10_000
MAX_LINES_SHOWN = 5
MAX_EXAMPLES_SHOWN = 3
# How far back uploads are compared (dedup, conflicts) and how old a label time may be. The model quality and bias
# jobs read captures GroundTruthStartTimeOffset ago (template default -P8D) and merge labels collected from then
# on: 9 days cover that offset plus a day. Cost per run: one ListObjectsV2 per day prefix (10, plus one per 1,000
# objects) and one GetObject per ground-truth object in the window. Longer offsets: pass --lookback-hours.
DEFAULT_LOOKBACK_HOURS = 9 * 24

# Problem kinds, in the order they are reported. Each is (key, label in the summary).
PROBLEMS = (
    ("malformed", "malformed row"),
    ("empty_id", "empty id"),
    ("unknown_label", "unknown label value"),
    ("bad_time", "unreadable label time"),
    ("duplicate", "duplicate id in file"),
    ("future_time", "label time in the future"),
    ("too_old", "label time older than the look-back window"),
    ("conflict", "id already uploaded with another label"),
)
_PROBLEM_LABELS = dict(PROBLEMS)

@dataclass(frozen=True)
class LabelSpec:
    """How to read the label file."""

    path: Path
    fmt: str  # "csv" or "jsonl"
    id_column: str = "inference_id"
    label_column: str = "is_fraud"
    time_column: str | None = None
    positive: frozenset[str] = frozenset(DEFAULT_POSITIVE.split(","))
    negative: frozenset[str] = frozenset(DEFAULT_NEGATIVE.split(","))


@dataclass
class Problem:
    """Count and first line numbers of one kind of invalid row."""

    count: int = 0
    lines: list[int] = field(default_factory=list)
    values: list[str] = field(default_factory=list)  # distinct offending values, first seen first

    def add(self, line: int, value: str | None = None) -> None:
        self.count += 1
        if len(self.lines) < MAX_LINES_SHOWN:
            self.lines.append(line)
        if value is not None and value not in self.values and len(self.values) < MAX_LINES_SHOWN:
            self.values.append(value)


@dataclass
class Validation:
    """What a validation pass found; ``store`` holds the valid rows, ``hours`` records per label hour."""

    rows: int = 0
    positive: int = 0
    negative: int = 0
    problems: dict[str, Problem] = field(default_factory=lambda: {key: Problem() for key, _ in PROBLEMS})
    store: LabelStore = field(default_factory=LabelStore)
    hours: dict[str, int] = field(default_factory=dict)
    already_uploaded: int = 0  # same id and label already uploaded in the look-back window: skipped, not an error
    conflicts: list[tuple[str, str, str]] = field(default_factory=list)  # (id, label in S3, s3 key), first few
    replace: dict[str, set[str]] = field(default_factory=dict)  # s3 key -> ids whose earlier label is replaced

    def close(self) -> None:
        """Delete the temporary label store."""
        self.store.close()

    @property
    def invalid(self) -> int:
        return sum(p.count for p in self.problems.values())

    @property
    def valid(self) -> int:
        return self.rows - self.invalid

    def reject(self, kind: str, line: int, value: str | None = None) -> None:
        self.problems[kind].add(line, value)


@dataclass(frozen=True)
class Coverage:
    """How captured events and labels join."""

    window_start: datetime
    window_end: datetime
    capture_prefix: str
    files: int
    variants: int
    captured: int
    captured_with_label: int
    with_inference_id: int  # captured events that carry an inferenceId (Model Monitor joins those on it)
    labels_on_event_ids: int  # labels equal to such an event's eventId: they match nothing
    labels: int
    labels_unmatched: int
    unmatched_examples: list[str]
    capture_examples: list[str]
    unreadable_lines: int


@dataclass(frozen=True)
class UploadResult:
    """Objects written (or that would be written) per label hour."""

    objects: dict[str, list[tuple[str, int]]]  # hour -> [(key, records)]
    replaced: dict[str, tuple[str | None, int]] = field(default_factory=dict)  # old key -> (new key, records left)

    @property
    def records(self) -> int:
        return sum(n for objs in self.objects.values() for _, n in objs)
