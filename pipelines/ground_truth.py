"""Upload fraud labels as Model Monitor ground truth, after validating them; optionally check capture coverage.

Model quality and bias monitors merge captured predictions with ground-truth records, hour by hour: on the
capture's ``inferenceId`` when it has one, else on its ``eventId`` (AWS docs, "Ingest Ground Truth labels and merge
them with predictions"). Records must be JSON lines under ``<GroundTruthInput>/yyyy/mm/dd/hh/`` of the hour the
labels were collected (UTC); the record's ``eventId`` carries the join key:

    {"groundTruthData": {"data": "1", "encoding": "CSV"}, "eventMetadata": {"eventId": "<id>"}, "eventVersion": "0"}

The input file is read once, row by row. Valid rows go to a private temporary SQLite database on disk (a UNIQUE
index on the id finds duplicates), together with what S3 already holds for the touched hours; the comparison with
S3, the coverage join and the upload read it back. Memory holds SQLite's page cache, one batch of rows and one
object being written, so it does not grow with the number of rows.

Example:
    python -m pipelines.ground_truth labels.csv --stage prod --dry-run
"""

from __future__ import annotations

import argparse
import csv
import json
import logging
import re
import sqlite3
import sys
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from itertools import islice
from operator import itemgetter
from typing import TYPE_CHECKING, Any, Iterable, Iterator

from pipelines import aws
from pipelines.errors import ConfigError, UsageError, ValidationError, run_guarded
from pipelines.stage_config import load_stage_params, missing_parameter
from utils import (
    JsonTooDeep, S3UriError, decode_utf8, env_argument, json_loads, parse_s3_uri, parse_with_env, s3_uri, sha256_hex,
)

if TYPE_CHECKING:  # typing only
    from mypy_boto3_s3 import S3Client

log = logging.getLogger("pipelines.ground_truth")

DEFAULT_POSITIVE = "1,true,fraud,chargeback"
DEFAULT_NEGATIVE = "0,false,legit,genuine"
DEFAULT_BATCH_SIZE = 10_000
MAX_LINES_SHOWN = 5
MAX_EXAMPLES_SHOWN = 3
STORE_CHUNK = 20_000  # rows per executemany into the label store (ids sorted within a chunk: B-tree locality)
STORE_CACHE_KIB = 8 * 1024  # SQLite page cache of the label store; the rest of it lives in a temporary file
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

# One ground-truth record; %s are the label ("1"/"0") and the JSON-quoted id. Formatting beats json.dumps per row.
_RECORD = ('{"groundTruthData": {"data": "%s", "encoding": "CSV"}, "eventMetadata": {"eventId": %s}, '
           '"eventVersion": "0"}\n')
_HOUR_RE = re.compile(r"(?:^|/)(\d{4}/\d{2}/\d{2}/\d{2})/[^/]+$")


# ---- shapes --------------------------------------------------------------------------------------------------------


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


class LabelStore:
    """The valid rows of a label file, what S3 already holds for their hours, and captured ids, in SQLite.

    A private temporary on-disk database (``sqlite3.connect("")``): SQLite keeps at most ``STORE_CACHE_KIB`` of it
    in memory and spills the rest to a temporary file that is deleted on ``close()``. A Python set of ids costs about
    85 bytes per id; this costs disk, not memory. Ids compare as SQLite BINARY text, i.e. by UTF-8 bytes, which
    orders and matches exactly like Python strings.

    ``ids``: id -> line of its first valid row (INSERT OR IGNORE in id order finds duplicates; random ids such as
    UUIDs insert twice as fast sorted). ``labels``: the accepted rows, rowid = line number (appended in file order),
    hour as an index into ``hour_names``, data "1"/"0", ``upload`` cleared for rows already in S3.
    """

    def __init__(self) -> None:
        self.db = sqlite3.connect("", isolation_level=None)
        self.hour_names: list[str] = []
        self._hour_ids: dict[str, int] = {}
        for pragma in ("page_size = 16384", "journal_mode = OFF", "synchronous = OFF", "locking_mode = EXCLUSIVE",
                       "temp_store = FILE", f"cache_size = -{STORE_CACHE_KIB}"):
            self.db.execute(f"PRAGMA {pragma}")
        self.db.executescript("""
            CREATE TABLE ids (id TEXT PRIMARY KEY, line INTEGER NOT NULL) WITHOUT ROWID;
            CREATE TABLE chunk (id TEXT NOT NULL, line INTEGER NOT NULL);
            CREATE TABLE labels (line INTEGER PRIMARY KEY, id TEXT NOT NULL, hour INTEGER NOT NULL,
                                 data TEXT NOT NULL, upload INTEGER NOT NULL DEFAULT 1);
            CREATE TABLE uploaded (id TEXT NOT NULL, hour TEXT NOT NULL, data TEXT NOT NULL, key TEXT NOT NULL);
            CREATE INDEX uploaded_id ON uploaded (id);
            CREATE TABLE captured (id TEXT PRIMARY KEY) WITHOUT ROWID;
            CREATE TABLE shadowed (id TEXT PRIMARY KEY) WITHOUT ROWID;
            BEGIN;""")  # one transaction, never committed: the database is thrown away

    def close(self) -> None:
        self.db.close()

    def hour_id(self, hour: str) -> int:
        try:
            return self._hour_ids[hour]
        except KeyError:
            self._hour_ids[hour] = len(self.hour_names)
            self.hour_names.append(hour)
            return self._hour_ids[hour]

    def add_labels(self, rows: list[tuple[int, str, int, str]]) -> set[int]:
        """Store (line, id, hour id, data) rows given in line order; returns the lines whose id came earlier."""
        keyed = sorted(((ident, line) for line, ident, _, _ in rows), key=itemgetter(0))  # stable: first line first
        duplicates: set[int] = set()
        if self.db.executemany("INSERT OR IGNORE INTO ids (id, line) VALUES (?, ?)", keyed).rowcount < len(rows):
            self.db.execute("DELETE FROM chunk")
            self.db.executemany("INSERT INTO chunk (id, line) VALUES (?, ?)", keyed)
            duplicates = {line for (line,) in self.db.execute(
                "SELECT c.line FROM chunk AS c JOIN ids AS i ON i.id = c.id WHERE i.line <> c.line")}
            rows = [row for row in rows if row[0] not in duplicates]
        self.db.executemany("INSERT INTO labels (line, id, hour, data) VALUES (?, ?, ?, ?)", rows)
        return duplicates

    def add_uploaded(self, hour: str, key: str, records: Iterable[tuple[str, str]]) -> int:
        """Record (id, data) found in S3 object ``key`` of an hour; returns how many."""
        rows = ((ident, hour, data, key) for ident, data in records)
        count = 0
        while chunk := list(islice(rows, STORE_CHUNK)):
            self.db.executemany("INSERT INTO uploaded (id, hour, data, key) VALUES (?, ?, ?, ?)", chunk)
            count += len(chunk)
        return count

    def in_s3(self) -> Iterator[tuple[int, str, str, str, list[tuple[str, str, str]]]]:
        """(line, id, hour, data, [(data, hour, key) in S3]) of rows whose id is already uploaded in the look-back
        window (any hour: a rerun an hour later must find them), in line order."""
        names = self.hour_names
        current: tuple[int, str, str, str] | None = None
        found: list[tuple[str, str, str]] = []
        for line, ident, hour, data, u_data, u_hour, u_key in self.db.execute(
                "SELECT l.line, l.id, l.hour, l.data, u.data, u.hour, u.key FROM labels AS l CROSS JOIN uploaded "
                "AS u ON u.id = l.id ORDER BY l.line, u.hour, u.key"):
            if current and current[0] != line:
                yield (*current, found)
                found = []
            current = (line, ident, names[hour], data)
            found.append((u_data, u_hour, u_key))
        if current:
            yield (*current, found)

    def skip_in_s3(self, *, keep_conflicts: bool = False) -> None:
        """Rows whose id is already in S3 are not uploaded again; with ``keep_conflicts``, rows whose S3 label
        differs still are (they replace it)."""
        differs = (" AND NOT EXISTS (SELECT 1 FROM uploaded AS u WHERE u.id = labels.id AND u.data <> labels.data)"
                   if keep_conflicts else "")
        self.db.execute("UPDATE labels SET upload = 0 WHERE EXISTS "
                        "(SELECT 1 FROM uploaded AS u WHERE u.id = labels.id)" + differs)

    def to_upload(self) -> Iterator[tuple[str, str, str]]:
        """(id, data, hour) of the rows to write, hour by hour (in first-seen order), file order within an hour."""
        order = "line" if len(self.hour_names) <= 1 else "hour, line"
        names = self.hour_names
        for ident, data, hour in self.db.execute(f"SELECT id, data, hour FROM labels WHERE upload ORDER BY {order}"):
            yield ident, data, names[hour]

    def count(self) -> int:
        return self.db.execute("SELECT count(*) FROM ids").fetchone()[0]

    def has(self, ident: str) -> bool:
        """Whether a captured event's join key is a label id."""
        return bool(self.db.execute("SELECT EXISTS (SELECT 1 FROM ids WHERE id = ?)", (ident,)).fetchone()[0])

    def add_captured(self, ids: list[tuple[str]], shadowed: list[tuple[str]] = ()) -> None:
        """Join keys of captured events, and eventIds Model Monitor ignores (their record has an inferenceId)."""
        self.db.executemany("INSERT OR IGNORE INTO captured (id) VALUES (?)", ids)
        self.db.executemany("INSERT OR IGNORE INTO shadowed (id) VALUES (?)", shadowed)

    def labels_on_shadowed(self) -> int:
        """Label ids that are the eventId of a captured record carrying an inferenceId: they match nothing."""
        return self.db.execute("SELECT count(*) FROM ids WHERE id IN (SELECT id FROM shadowed) "
                               "AND id NOT IN (SELECT id FROM captured)").fetchone()[0]

    def unmatched(self, examples: int) -> tuple[int, list[str]]:
        """Label ids with no captured event: how many, and the smallest few."""
        where = "FROM ids WHERE id NOT IN (SELECT id FROM captured)"
        count = self.db.execute(f"SELECT count(*) {where}").fetchone()[0]
        smallest = [i for (i,) in self.db.execute(f"SELECT id {where} ORDER BY id LIMIT ?", (examples,))]
        return count, smallest


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
    existing_objects: int = 0
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


# ---- reading the label file ----------------------------------------------------------------------------------------


def detect_format(path: Path, fmt: str | None) -> str:
    """csv or jsonl, from --format or the file extension."""
    if fmt:
        return fmt
    suffixes = [s.lower() for s in path.suffixes]
    if ".gz" in suffixes:
        raise UsageError(f"{path} is compressed; decompress it first (gunzip {path})")
    if suffixes and suffixes[-1] == ".csv":
        return "csv"
    if suffixes and suffixes[-1] in (".jsonl", ".ndjson", ".json"):
        return "jsonl"
    raise UsageError(f"cannot tell the format of {path} from its extension; pass --format csv or --format jsonl")


def _cell(value: Any) -> str:
    """A CSV cell or JSON value as trimmed text (JSON true -> 'true', 1 -> '1', null -> '')."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value).strip()


def iter_rows(spec: LabelSpec) -> Iterator[tuple[int, str | None, str, str]]:
    """Yield (line, id, label, time) per row, or (line, None, problem detail, '') for a malformed row.

    Raises UsageError when the file cannot be opened or lacks a configured column.
    """
    try:
        handle = open(spec.path, "rb")
    except OSError as exc:
        raise UsageError(f"cannot read {spec.path}: {exc.strerror}; check the path") from exc
    with handle:
        lines = _text_lines(spec.path, handle)
        if spec.fmt == "csv":
            yield from _iter_csv(spec, lines)
        else:
            yield from _iter_jsonl(spec, lines)


def _text_lines(path: Path, handle: Any) -> Iterator[str]:
    """The file's lines as text (a UTF-8 BOM dropped); bytes that are not UTF-8 are one UsageError with the line."""
    for number, raw in enumerate(handle, start=1):
        yield decode_utf8(raw, path.name, UsageError, bom=number == 1, first_line=number).replace("\r\n", "\n")


def _iter_csv(spec: LabelSpec, handle: Any) -> Iterator[tuple[int, str | None, str, str]]:
    reader = csv.reader(handle)
    header: list[str] | None = None
    for row in reader:
        if not row or (len(row) == 1 and not row[0].strip()):
            continue
        if header is None:
            header = [name.strip() for name in row]
            wanted = [spec.id_column, spec.label_column] + ([spec.time_column] if spec.time_column else [])
            flags = {spec.id_column: "--id-column", spec.label_column: "--label-column",
                     spec.time_column: "--time-column"}
            for name in wanted:
                if name not in header:
                    raise UsageError(f"{spec.path.name} has no column '{name}' (columns: {', '.join(header)}); "
                                     f"pass {flags[name]} with one of them")
            i_id = header.index(spec.id_column)
            i_label = header.index(spec.label_column)
            i_time = header.index(spec.time_column) if spec.time_column else -1
            width = len(header)
            continue
        line = reader.line_num
        if len(row) != width:
            yield line, None, f"{len(row)} fields, header has {width}", ""
            continue
        yield line, row[i_id].strip(), row[i_label].strip().lower(), row[i_time].strip() if i_time >= 0 else ""
    if header is None:
        raise UsageError(f"{spec.path.name} is empty; expected a header row with '{spec.id_column}' and "
                         f"'{spec.label_column}'")


def _iter_jsonl(spec: LabelSpec, handle: Any) -> Iterator[tuple[int, str | None, str, str]]:
    for line, text in enumerate(handle, start=1):
        if not text.strip():
            continue
        try:
            obj = json_loads(text)
        except ValueError as exc:
            yield line, None, str(exc) if isinstance(exc, JsonTooDeep) else "not valid JSON", ""
            continue
        if not isinstance(obj, dict):
            yield line, None, "not a JSON object", ""
            continue
        missing = [c for c in (spec.id_column, spec.label_column, spec.time_column) if c and c not in obj]
        if missing:
            yield line, None, f"no field '{missing[0]}'", ""
            continue
        if isinstance(obj[spec.id_column], (dict, list)):  # str() would make an "id" no capture can ever match
            yield line, None, f"'{spec.id_column}' is a JSON {'object' if isinstance(obj[spec.id_column], dict) else 'array'}, not an id", ""
            continue
        time_raw = _cell(obj[spec.time_column]) if spec.time_column else ""
        ident, label = _cell(obj[spec.id_column]), _cell(obj[spec.label_column]).lower()
        try:  # JSON may escape a lone surrogate ("\ud800"), which no UTF-8 record can carry
            (ident + label + time_raw).encode("utf-8")
        except UnicodeEncodeError:
            yield line, None, "not valid UTF-8 text (a lone surrogate escape)", ""
            continue
        yield line, ident, label, time_raw


def label_hour(raw: str, default: datetime) -> str | None:
    """'yyyy/mm/dd/hh' (UTC) of an ISO-8601 time; naive times count as UTC; '' means ``default``; None if bad."""
    if not raw:
        when = default
    else:
        try:
            when = datetime.fromisoformat(raw)
        except ValueError:
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
    return when.astimezone(timezone.utc).strftime("%Y/%m/%d/%H")


class HourOf:
    """label_hour with a bounded cache: label times repeat a lot (no time column, daily exports)."""

    def __init__(self, default: datetime) -> None:
        self.default = default
        self.cache: dict[str, str | None] = {}

    def __call__(self, raw: str) -> str | None:
        try:
            return self.cache[raw]
        except KeyError:
            hour = label_hour(raw, self.default)
            if len(self.cache) < 4096:
                self.cache[raw] = hour
            return hour


# ---- validation ----------------------------------------------------------------------------------------------------


def validate(spec: LabelSpec, now: datetime, lookback_hours: int = DEFAULT_LOOKBACK_HOURS) -> Validation:
    """The one pass over the file: every row checked; valid rows go to the label store in chunks, whose UNIQUE id
    index finds duplicates. Counts are taken when a chunk is stored, so they never include a duplicate.

    A label hour after now's is in the future (a clock or time-zone error); one before the look-back window is
    never merged by a future monitoring job and could not be checked against earlier uploads."""
    result = Validation()
    hour_of = HourOf(now)
    newest, oldest = label_hour("", now), label_hour("", now - timedelta(hours=lookback_hours))
    hour_id = result.store.hour_id
    pending: list[tuple[int, str, int, str]] = []
    try:
        for line, ident, label, time_raw in iter_rows(spec):
            result.rows += 1
            if ident is None:
                result.reject("malformed", line, label)
                continue
            if not ident:
                result.reject("empty_id", line)
                continue
            if label in spec.positive:
                data = "1"
            elif label in spec.negative:
                data = "0"
            else:
                result.reject("unknown_label", line, label)
                continue
            hour = hour_of(time_raw)
            if hour is None:
                result.reject("bad_time", line, time_raw)
                continue
            if hour > newest or hour < oldest:  # 'yyyy/mm/dd/hh' strings order like the times
                result.reject("future_time" if hour > newest else "too_old", line, time_raw)
                continue
            pending.append((line, ident, hour_id(hour), data))
            if len(pending) >= STORE_CHUNK:
                _store_rows(result, pending)
                pending.clear()
        if pending:
            _store_rows(result, pending)
    except BaseException:
        result.close()
        raise
    return result


def _store_rows(result: Validation, rows: list[tuple[int, str, int, str]]) -> None:
    """Store a chunk of valid rows; count the new ones, reject the rest as duplicates (in line order)."""
    duplicates = result.store.add_labels(rows)
    names = result.store.hour_names
    hours = result.hours
    positive = 0
    for line, ident, hour_id, data in rows:
        if duplicates and line in duplicates:
            result.reject("duplicate", line, ident)
            continue
        hour = names[hour_id]
        hours[hour] = hours.get(hour, 0) + 1
        positive += data == "1"
    result.positive += positive
    result.negative += len(rows) - len(duplicates) - positive


def hour_prefix(gt_key_prefix: str, hour: str) -> str:
    """S3 key prefix of one label hour below GroundTruthInput."""
    base = gt_key_prefix.strip("/")
    return f"{base}/{hour}/" if base else f"{hour}/"


def list_keys(s3: "S3Client", bucket: str, prefix: str, *, delimiter: str | None = None) -> Iterator[dict[str, Any]]:
    """Every object (or, with a delimiter, every CommonPrefix) under a prefix, page by page."""
    kwargs: dict[str, Any] = {"Bucket": bucket, "Prefix": prefix}
    if delimiter:
        kwargs["Delimiter"] = delimiter
    for page in aws.paginate(s3, "ListObjectsV2", s3_uri(bucket, prefix), **kwargs):
        yield from (page.get("CommonPrefixes", []) if delimiter else page.get("Contents", []))


def iter_s3_json_lines(s3: "S3Client", bucket: str, key: str) -> Iterator[Any]:
    """Parsed JSON per non-empty line of an S3 object, streamed; unparseable lines yield None."""
    for raw in aws.iter_object_lines(s3, bucket, key):
        if raw.strip():
            try:
                yield json_loads(raw)
            except ValueError:
                yield None


def existing_labels(s3: "S3Client", bucket: str, key: str) -> Iterator[tuple[str, str]]:
    """(eventId, data) of each ground-truth record in one S3 object, streamed."""
    for record in iter_s3_json_lines(s3, bucket, key):
        try:
            yield str(record["eventMetadata"]["eventId"]), str(record["groundTruthData"]["data"])
        except (TypeError, KeyError):
            log.warning("skipping a line that is not a ground-truth record in s3://%s/%s", bucket, key)


def lookback_days(now: datetime, hours: int) -> list[str]:
    """'yyyy/mm/dd' of every day the look-back window touches, oldest first (one listing each)."""
    first = (now - timedelta(hours=hours)).astimezone(timezone.utc).date()
    last = now.astimezone(timezone.utc).date()
    return [(first + timedelta(days=i)).strftime("%Y/%m/%d") for i in range((last - first).days + 1)]


def check_existing(result: Validation, s3: "S3Client", gt_uri: str, *, now: datetime,
                   lookback_hours: int = DEFAULT_LOOKBACK_HOURS, replace: bool = False) -> None:
    """Compare valid rows with every label uploaded in the look-back window, in any hour (read into the label
    store, not memory).

    Same id and label anywhere in the window: counted as already uploaded and skipped (a rerun, even hours later,
    uploads nothing twice). Same id, other label: a conflict, since the merge job would see two labels for one
    event; refused, or with ``replace`` the earlier record is removed when the new one is uploaded.
    """
    bucket, key_prefix = parse_s3_uri(gt_uri, key_required=False)
    store = result.store
    found = 0
    base = key_prefix.strip("/")
    for day in lookback_days(now, lookback_hours):
        for obj in list_keys(s3, bucket, f"{base}/{day}/" if base else f"{day}/"):
            match = _HOUR_RE.search(obj["Key"])
            if not match:
                continue
            result.existing_objects += 1
            found += store.add_uploaded(match.group(1), obj["Key"], existing_labels(s3, bucket, obj["Key"]))
    if not found:
        return
    for line, ident, hour, data, uploaded in store.in_s3():
        other = next(((u_data, u_key) for u_data, _, u_key in uploaded if u_data != data), None)
        if other is None:
            result.already_uploaded += 1
            continue
        if len(result.conflicts) < MAX_EXAMPLES_SHOWN:
            result.conflicts.append((ident, other[0], other[1]))
        if replace:
            for u_data, _, u_key in uploaded:
                result.replace.setdefault(u_key, set()).add(ident)
            continue
        result.reject("conflict", line, ident)
        result.positive -= data == "1"
        result.negative -= data != "1"
        result.hours[hour] -= 1
    store.skip_in_s3(keep_conflicts=replace)


# ---- writing -------------------------------------------------------------------------------------------------------


def object_key(prefix: str, body: bytes) -> str:
    """Content-addressed object key: the same labels always land in the same object."""
    return f"{prefix}labels-{sha256_hex(body)[:20]}.jsonl"


def upload(result: Validation, s3: "S3Client | None", gt_uri: str, *, batch_size: int = DEFAULT_BATCH_SIZE,
           dry_run: bool = False) -> UploadResult:
    """Write valid, not yet uploaded rows in batches of ``batch_size`` per hour (file order), one PutObject each.

    Rows come from the label store hour by hour, so memory holds one batch, whatever the number of hours.
    Earlier records being replaced (``--replace-conflicting``) are removed first: a failure in between leaves an
    id with no label (the rerun uploads it), never with two.
    """
    bucket, key_prefix = parse_s3_uri(gt_uri, key_required=False)
    replaced = {key: remove_records(s3, bucket, key, ids, dry_run=dry_run)
                for key, ids in sorted(result.replace.items())}
    written: dict[str, list[tuple[str, int]]] = {}
    lines: list[str] = []
    current = ""

    def flush() -> None:
        body = "".join(lines).encode("utf-8")
        key = object_key(hour_prefix(key_prefix, current), body)
        if not dry_run:
            aws.call(s3, "PutObject", s3_uri(bucket, key), Bucket=bucket, Key=key, Body=body,
                     ContentType="application/jsonlines")
            log.debug("wrote s3://%s/%s (%d records)", bucket, key, len(lines))
        written.setdefault(current, []).append((key, len(lines)))
        lines.clear()

    for ident, data, hour in result.store.to_upload():
        if hour != current:
            if lines:
                flush()
            current = hour
        lines.append(_RECORD % (data, json.dumps(ident, ensure_ascii=False)))
        if len(lines) >= batch_size:
            flush()
    if lines:
        flush()
    return UploadResult(objects={hour: written[hour] for hour in sorted(written)}, replaced=replaced)


def remove_records(s3: "S3Client | None", bucket: str, key: str, ids: set[str], *,
                   dry_run: bool = False) -> tuple[str | None, int]:
    """Rewrite one ground-truth object without the records of ``ids``: (new key or None if none left, records left).

    The kept lines are copied byte for byte; the new object is content-addressed like every other, written before
    the old one is deleted.
    """
    body = aws.read_object(s3, bucket, key)
    kept = [line for line in body.decode("utf-8").splitlines(keepends=True)
            if line.strip() and _record_id(line) not in ids]
    new_key = None
    if kept:
        new_body = "".join(line if line.endswith("\n") else line + "\n" for line in kept).encode("utf-8")
        new_key = object_key(key.rsplit("/", 1)[0] + "/", new_body)
    if not dry_run:
        if new_key:
            aws.call(s3, "PutObject", s3_uri(bucket, new_key), Bucket=bucket, Key=new_key, Body=new_body,
                     ContentType="application/jsonlines")
        aws.call(s3, "DeleteObject", s3_uri(bucket, key), Bucket=bucket, Key=key)
    return new_key, len(kept)


def _record_id(line: str) -> str | None:
    """The eventId of one ground-truth line (None when it is not a record)."""
    try:
        return str(json.loads(line)["eventMetadata"]["eventId"])
    except (ValueError, TypeError, KeyError):
        return None


# ---- coverage ------------------------------------------------------------------------------------------------------


def window_hours(end: datetime, hours: int) -> list[str]:
    """'yyyy/mm/dd/hh' of the ``hours`` hours ending with the hour of ``end`` (UTC), oldest first."""
    top = end.astimezone(timezone.utc).replace(minute=0, second=0, microsecond=0)
    return [(top - timedelta(hours=i)).strftime("%Y/%m/%d/%H") for i in range(hours - 1, -1, -1)]


def capture_coverage(s3: "S3Client", capture_uri: str, endpoint: str, labels: LabelStore, *,
                     end: datetime, hours: int) -> Coverage:
    """Read data-capture files of the window and join them with the label ids exactly as Model Monitor's merge
    does: on the record's ``inferenceId`` when it has one, on its ``eventId`` only otherwise.

    Captured ids go to the label store in chunks (not a set), so memory does not grow with the captures either.
    The eventIds of records that carry an inferenceId are kept aside: a label equal to one of them matches nothing.
    """
    bucket, key = parse_s3_uri(capture_uri, key_required=False)
    key = key.strip("/")
    if key.split("/")[-1] != endpoint:  # DestinationS3Uri is the root; captures live under <endpoint>/<variant>/
        key = f"{key}/{endpoint}" if key else endpoint
    endpoint_prefix = key + "/"
    variants = [p["Prefix"] for p in list_keys(s3, bucket, endpoint_prefix, delimiter="/")]
    captured_ids: list[tuple[str]] = []
    shadowed: list[tuple[str]] = []
    captured = with_label = with_inference_id = files = unreadable = 0
    examples: list[str] = []
    for variant in variants:
        for hour in window_hours(end, hours):
            for obj in list_keys(s3, bucket, f"{variant}{hour}/"):
                files += 1
                for record in iter_s3_json_lines(s3, bucket, obj["Key"]):
                    meta = record.get("eventMetadata") if isinstance(record, dict) else None
                    if not isinstance(meta, dict) or not (meta.get("eventId") or meta.get("inferenceId")):
                        unreadable += 1
                        continue
                    join_key = str(meta.get("inferenceId") or meta["eventId"])
                    if meta.get("inferenceId"):
                        with_inference_id += 1
                        if meta.get("eventId"):
                            shadowed.append((str(meta["eventId"]),))
                    captured += 1
                    captured_ids.append((join_key,))
                    if len(captured_ids) >= STORE_CHUNK or len(shadowed) >= STORE_CHUNK:
                        labels.add_captured(captured_ids, shadowed)
                        captured_ids.clear()
                        shadowed.clear()
                    if len(examples) < MAX_EXAMPLES_SHOWN:
                        examples.append(join_key)
                    if labels.has(join_key):
                        with_label += 1
    labels.add_captured(captured_ids, shadowed)
    unmatched_count, smallest = labels.unmatched(MAX_EXAMPLES_SHOWN)
    window = window_hours(end, hours)
    start = datetime.strptime(window[0], "%Y/%m/%d/%H").replace(tzinfo=timezone.utc)
    stop = datetime.strptime(window[-1], "%Y/%m/%d/%H").replace(tzinfo=timezone.utc) + timedelta(hours=1)
    return Coverage(window_start=start, window_end=stop, capture_prefix=s3_uri(bucket, endpoint_prefix),
                    files=files, variants=len(variants), captured=captured, captured_with_label=with_label,
                    with_inference_id=with_inference_id, labels_on_event_ids=labels.labels_on_shadowed(),
                    labels=labels.count(), labels_unmatched=unmatched_count, unmatched_examples=smallest,
                    capture_examples=examples, unreadable_lines=unreadable)


# ---- rendering -----------------------------------------------------------------------------------------------------


def _lines_text(problem: Problem) -> str:
    more = ", ..." if problem.count > len(problem.lines) else ""
    word = "line" if len(problem.lines) == 1 else "lines"
    return f"{word} {', '.join(map(str, problem.lines))}{more}"


def render_validation(spec: LabelSpec, result: Validation, gt_uri: str) -> str:
    """The validation summary printed before anything is written."""
    out = [f"labels: {spec.path.name} ({spec.fmt}, {result.rows} rows)",
           f"  valid:   {result.valid} ({result.positive} positive, {result.negative} negative)",
           f"  invalid: {result.invalid}"]
    for key, text in PROBLEMS:
        problem = result.problems[key]
        if problem.count:
            detail = _lines_text(problem)
            if key in ("unknown_label", "bad_time", "malformed"):
                detail += ": " + ", ".join(repr(v) if key != "malformed" else v for v in problem.values)
            out.append(f"    {text}: {problem.count} ({detail})")
    if result.already_uploaded:
        out.append(f"  already uploaded: {result.already_uploaded} (same id and label in the look-back window; "
                   "skipped)")
    for ident, data, key in result.conflicts:
        verb = "replaces" if result.replace else "conflicts with"
        out.append(f"    id {ident} {verb} label {data} in s3://{parse_s3_uri(gt_uri, key_required=False)[0]}/{key}")
    out.append(f"destination: {gt_uri.rstrip('/')}/")
    for hour in sorted(result.hours):
        out.append(f"  {hour}/  {result.hours[hour]} labels")
    return "\n".join(out) + "\n"


def validation_error(spec: LabelSpec, result: Validation) -> ValidationError:
    """The one-line error for a file with invalid rows."""
    parts = [f"{p.count} {_PROBLEM_LABELS[k]}{'s' if p.count != 1 else ''} ({_lines_text(p)})"
             for k, p in result.problems.items() if p.count]
    replace = (", pass --replace-conflicting to replace the earlier labels," if result.problems["conflict"].count
               else ",")
    return ValidationError([f"{spec.path.name} has {result.invalid} invalid row{'s' if result.invalid != 1 else ''}: "
                            f"{', '.join(parts)}; fix them{replace} or pass --skip-invalid to upload the "
                            f"{result.valid} valid rows"])


def render_upload(result: UploadResult, bucket: str, *, dry_run: bool) -> str:
    """What was (or would be) written."""
    objects = sum(len(v) for v in result.objects.values())
    verb = "would write" if dry_run else "wrote"
    head = f"{'dry run: ' if dry_run else ''}{verb} {result.records} records in {objects} object" \
           f"{'s' if objects != 1 else ''}"
    out = []
    for old, (new, left) in result.replaced.items():
        kept = f"rewritten as {s3_uri(bucket, new)} ({left} records kept)" if new else "deleted (no records left)"
        out.append(f"{'would replace' if dry_run else 'replaced'} earlier labels: {s3_uri(bucket, old)} {kept}")
    if not result.records:
        return "".join(f"{line}\n" for line in out) + f"{head} (nothing new to upload)\n"
    out.append(head + ":")
    for hour, objs in result.objects.items():
        for key, count in objs:
            out.append(f"  {s3_uri(bucket, key)}  {count} records")
    return "\n".join(out) + "\n"


def render_coverage(cov: Coverage) -> str:
    """Coverage summary: captured events with a label, labels with no captured event."""
    def pct(part: int, whole: int) -> str:
        return f"{100.0 * part / whole:.1f}%" if whole else "n/a"

    out = [f"coverage: captures {cov.window_start:%Y-%m-%dT%H:%MZ} to {cov.window_end:%Y-%m-%dT%H:%MZ} under "
           f"{cov.capture_prefix} ({cov.files} files, {cov.variants} variant{'s' if cov.variants != 1 else ''})",
           f"  captured events:             {cov.captured}",
           f"  captured events with label:  {cov.captured_with_label} ({pct(cov.captured_with_label, cov.captured)})",
           f"  labels with no captured event: {cov.labels_unmatched} of {cov.labels} "
           f"({pct(cov.labels_unmatched, cov.labels)})"]
    if cov.unreadable_lines:
        out.append(f"  unreadable capture lines:    {cov.unreadable_lines}")
    if cov.labels_unmatched and cov.unmatched_examples:
        out.append(f"  unmatched label ids, e.g.:   {', '.join(cov.unmatched_examples)}")
        if cov.capture_examples:
            out.append(f"  captured ids look like:      {', '.join(cov.capture_examples)}")
    if cov.labels_on_event_ids:
        out.append(f"  labels keyed by eventId:     {cov.labels_on_event_ids} match the eventId of captured events "
                   "that carry an inferenceId; Model Monitor joins those on inferenceId, so these labels match "
                   "nothing: label by the InferenceId the endpoint was invoked with (pass the transaction id as "
                   "InferenceId to InvokeEndpoint)")
    return "\n".join(out) + "\n"


# ---- CLI -----------------------------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Flags, each falling back to an environment variable (checked like the flag itself)."""
    parser = argparse.ArgumentParser(
        prog="python -m pipelines.ground_truth",
        description="Validate a label file and upload it as SageMaker Model Monitor ground truth.")
    add = parser.add_argument
    add("labels", type=Path, help="CSV or JSON-lines label file")
    env_argument(parser, "--stage", "STAGE", choices=("staging", "prod"),
                 help="stage whose GroundTruthInput receives the labels (env STAGE)")
    env_argument(parser, "--params-file", "PARAMS_FILE",
                 help="template configuration of the stage (env PARAMS_FILE; default "
                      "<stage>-config-export.json, then <stage>-monitoring-schedule-config.json)")
    env_argument(parser, "--ground-truth-s3-uri", "GROUND_TRUTH_S3_URI",
                 help="override the stage's GroundTruthInput (env GROUND_TRUTH_S3_URI)")
    env_argument(parser, "--format", "LABELS_FORMAT", choices=("csv", "jsonl"),
                 help="input format (env LABELS_FORMAT; default: from the extension)")
    env_argument(parser, "--id-column", "LABELS_ID_COLUMN", default="inference_id",
                 help="column with the inference id or capture event id (env LABELS_ID_COLUMN)")
    env_argument(parser, "--label-column", "LABELS_LABEL_COLUMN", default="is_fraud",
                 help="column with the label (env LABELS_LABEL_COLUMN)")
    env_argument(parser, "--time-column", "LABELS_TIME_COLUMN",
                 help="ISO-8601 label collection time column (env LABELS_TIME_COLUMN; default: now, UTC)")
    env_argument(parser, "--positive-values", "LABELS_POSITIVE_VALUES", default=DEFAULT_POSITIVE,
                 help="comma-separated values meaning fraud, case-insensitive (env LABELS_POSITIVE_VALUES)")
    env_argument(parser, "--negative-values", "LABELS_NEGATIVE_VALUES", default=DEFAULT_NEGATIVE,
                 help="comma-separated values meaning not fraud (env LABELS_NEGATIVE_VALUES)")
    env_argument(parser, "--batch-size", "LABELS_BATCH_SIZE", type=int, default=DEFAULT_BATCH_SIZE,
                 help="records per S3 object (env LABELS_BATCH_SIZE)")
    add("--skip-invalid", action="store_true", help="upload the valid rows of a file with errors")
    add("--dry-run", action="store_true", help="validate and show what would be written")
    add("--check-coverage", action="store_true",
        help="join the labels with the endpoint's data-capture files of a time window")
    env_argument(parser, "--capture-s3-uri", "CAPTURE_S3_URI",
                 help="the endpoint's DataCaptureConfig DestinationS3Uri (env CAPTURE_S3_URI)")
    env_argument(parser, "--endpoint-name", "ENDPOINT_NAME",
                 help="endpoint whose captures are read (env ENDPOINT_NAME; default: the stage's)")
    env_argument(parser, "--window-hours", "COVERAGE_WINDOW_HOURS", type=int, default=24,
                 help="capture hours to read, ending with --window-end (env COVERAGE_WINDOW_HOURS)")
    env_argument(parser, "--window-end", "COVERAGE_WINDOW_END",
                 help="ISO-8601 end of the capture window (env COVERAGE_WINDOW_END; default: now)")
    add("--replace-conflicting", action="store_true",
        help="replace an earlier upload's different label for an id instead of refusing the file")
    add("--lookback-hours", type=int, default=DEFAULT_LOOKBACK_HOURS,
        help="hours of earlier uploads compared for duplicates and conflicts; older label times are "
             "rejected (default: %(default)s, the -P8D ground-truth offset plus a day)")
    env_argument(parser, "--log-level", "LOG_LEVEL", default="WARNING", choices=("DEBUG", "INFO", "WARNING", "ERROR"),
                 help="(env LOG_LEVEL)")
    return parse_with_env(parser, argv)


def _values(text: str, flag: str) -> frozenset[str]:
    values = frozenset(v.strip().lower() for v in text.split(",") if v.strip())
    if not values:
        raise UsageError(f"{flag} is empty; give comma-separated values such as {DEFAULT_POSITIVE}")
    return values


def _parse_time(text: str, flag: str) -> datetime:
    try:
        when = datetime.fromisoformat(text)
    except ValueError as exc:
        raise UsageError(f"{flag} '{text}' is not an ISO-8601 time; use e.g. 2026-11-27T10:00:00Z") from exc
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)


def resolve_targets(args: argparse.Namespace) -> tuple[str, str | None]:
    """(GroundTruthInput, EndpointName) from flags, else the stage's parameter file."""
    gt_uri, endpoint = args.ground_truth_s3_uri, args.endpoint_name
    if not gt_uri or (args.check_coverage and not endpoint):
        if not args.stage and not args.params_file:
            raise UsageError("no destination: pass --stage (or --params-file), or --ground-truth-s3-uri")
        params, source = load_stage_params(args.stage, args.params_file)
        if not gt_uri:
            if "GroundTruthInput" not in params:
                raise missing_parameter("GroundTruthInput", source, "pass --ground-truth-s3-uri")
            gt_uri = params["GroundTruthInput"]
            if not gt_uri:
                raise ConfigError(f"GroundTruthInput is empty in {source} (model quality and bias monitors are "
                                  "off); set it in the stage config or pass --ground-truth-s3-uri")
        endpoint = endpoint or params.get("EndpointName") or None
    try:
        parse_s3_uri(gt_uri, key_required=False)
    except S3UriError as exc:
        raise UsageError(f"ground truth destination {exc}; pass --ground-truth-s3-uri s3://<bucket>/<prefix>") from exc
    return gt_uri, endpoint


def run(args: argparse.Namespace, *, s3: Any = None, now: datetime | None = None, out: Any = None) -> int:
    """Validate, optionally check coverage, then upload; returns the exit code."""
    out = out or sys.stdout
    now = now or datetime.now(timezone.utc)
    if args.batch_size < 1:
        raise UsageError(f"--batch-size {args.batch_size} must be at least 1")
    if args.window_hours < 1 or args.window_hours > 24 * 31:
        raise UsageError(f"--window-hours {args.window_hours} must be between 1 and 744")
    positive = _values(args.positive_values, "--positive-values")
    negative = _values(args.negative_values, "--negative-values")
    if positive & negative:
        raise UsageError(f"{', '.join(sorted(positive & negative))} is both a positive and a negative value; "
                         "fix --positive-values / --negative-values")
    if args.check_coverage and not args.capture_s3_uri:
        raise UsageError("--check-coverage needs --capture-s3-uri (the endpoint's data capture destination)")
    spec = LabelSpec(path=args.labels, fmt=detect_format(args.labels, args.format), id_column=args.id_column,
                     label_column=args.label_column, time_column=args.time_column or None,
                     positive=positive, negative=negative)
    gt_uri, endpoint = resolve_targets(args)
    if args.check_coverage and not endpoint:
        raise UsageError("--check-coverage needs the endpoint name; pass --endpoint-name or --stage")
    window_end = _parse_time(args.window_end, "--window-end") if args.window_end else now

    if args.lookback_hours < 1:
        raise UsageError(f"--lookback-hours {args.lookback_hours} must be at least 1")
    result = validate(spec, now, args.lookback_hours)
    try:
        if s3 is None:
            s3 = aws.make_client(aws.make_session(), "s3")
        check_existing(result, s3, gt_uri, now=now, lookback_hours=args.lookback_hours,
                       replace=args.replace_conflicting)
        out.write(render_validation(spec, result, gt_uri))
        if args.check_coverage:
            cov = capture_coverage(s3, args.capture_s3_uri, endpoint or "", result.store, end=window_end,
                                   hours=args.window_hours)
            out.write(render_coverage(cov))
        if result.invalid and not args.skip_invalid:
            raise validation_error(spec, result)
        if result.invalid:
            print(f"warning: skipping {result.invalid} invalid rows of {spec.path.name} (--skip-invalid)",
                  file=sys.stderr)
        written = upload(result, s3, gt_uri, batch_size=args.batch_size, dry_run=args.dry_run)
    finally:
        result.close()
    out.write(render_upload(written, parse_s3_uri(gt_uri, key_required=False)[0], dry_run=args.dry_run))
    return 0


def main(argv: list[str] | None = None) -> int:
    """CLI entry point: 0 ok, 2 usage/config/validation, 1 AWS/runtime."""
    try:
        args = parse_args(argv)
    except SystemExit as exc:  # argparse: --help exits 0, a bad flag or environment variable exits 2
        return int(exc.code or 0)
    logging.basicConfig(level=args.log_level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    return run_guarded(lambda: run(args), interrupted="rerun the upload (objects are content-addressed, re-uploading "
                                                      "is safe)")


if __name__ == "__main__":
    sys.exit(main())
