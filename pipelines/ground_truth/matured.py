"""Negatives at maturity and the label development curve (``--matured-negatives``, issue 18).

Model Monitor drops captured records without a label and writes no negatives by itself (facts.md), so precision and
false-positive rate are undefined on fraud data where only frauds get labelled. Once a day of transactions is older
than ``LabelMaturityDays`` (+ the day itself), every captured id of that day without any label is, by the business
rule "no chargeback by maturity", legitimate: this writes a ``0`` record for each, in Model Monitor's ground-truth
format, under the hour folder of the run (the hour the label is "collected"; AWS docs, "Ingest Ground Truth labels
and merge them with predictions"). Which ground-truth hour folders the merge reads for a window is not documented:
the matured schedule relies on it reading folders after the window (not verified, no account).

Idempotent: objects are named ``matured-negatives-<day>-<sha256>.jsonl``; a rerun finds the day's earlier negatives
(and every other label) and writes nothing. The same pass measures the day's entry of the label development curve
(label_development.py): each positive label's age (its hour folder minus the capture's ``inferenceTime``) and
whether the model caught it (score at or above ``ProbabilityThresholdAttribute``).

Captured ids live in a private temporary SQLite database, so memory does not grow with the day's traffic.
"""

from __future__ import annotations

import base64
import json
import sqlite3
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any

from pipelines.core import aws
from pipelines.core.errors import ConfigError, NotFoundError, UsageError
from pipelines.core.files import canonical_json, json_loads, sha256_hex
from pipelines.core.s3uri import parse_s3_uri, s3_uri
from pipelines.formats.capture import join_key
from pipelines.formats.ground_truth import read_record, record_line
from pipelines.formats.label_development import CurveError, curve_uri, day_counts, label_age_days, summarize
from pipelines.formats.times import days_between, hour_folder, hour_of_path, hours_ending, parse_hour_folder, parse_iso8601
from pipelines.ground_truth.s3_labels import hour_prefix, iter_s3_json_lines, list_keys

NEGATIVES = "matured-negatives-"
CHUNK = 20_000


@dataclass
class MaturedResult:
    """What one matured day held and what was (or would be) written."""

    day: date
    maturity_days: int
    capture_files: int = 0
    captured_ids: int = 0
    positives: int = 0
    caught: int = 0
    other_labels: int = 0  # ids with a 0 label uploaded by people (e.g. analyst-cleared)
    earlier_negatives: int = 0  # ids this mode already wrote a 0 for
    late_positives: int = 0  # ids with our 0 and a positive uploaded after maturity
    after_maturity: int = 0  # positives labelled more than maturity_days after the transaction (not in the curve)
    written: list[tuple[str, int]] = field(default_factory=list)  # (key, records)
    curve_uri: str = ""
    curve_changed: bool = False
    labelled_by_early: int = 0
    early_age: int = 0

    @property
    def negatives(self) -> int:
        return sum(n for _, n in self.written)


def latest_matured_day(now: datetime, maturity_days: int) -> date:
    """The newest day whose labels are mature: it ended ``maturity_days`` days before today (UTC) began."""
    return now.astimezone(timezone.utc).date() - timedelta(days=maturity_days + 1)


def parse_day(text: str) -> date:
    try:
        return parse_iso8601(text).date()
    except ValueError as exc:
        raise UsageError(f"--day '{text}' is not a date; use yyyy-mm-dd, e.g. 2026-09-01") from exc


def score_reader(probability_attribute: str, inference_attribute: str, threshold: float):
    """A function (endpointOutput dict) -> caught? True/False, None when the output cannot be read.

    CSV outputs are read by index (``ProbabilityAttribute`` "0" = the first value), JSON outputs by key, as Model
    Monitor's EndpointInput attributes are; with only an ``InferenceAttribute`` the predicted label decides.
    """
    attribute = probability_attribute or inference_attribute
    is_probability = bool(probability_attribute)

    def caught(output: Any) -> bool | None:
        if not isinstance(output, dict) or not isinstance(output.get("data"), str):
            return None
        text = output["data"]
        if output.get("encoding") == "BASE64":
            try:
                text = base64.b64decode(text).decode("utf-8")
            except (ValueError, UnicodeDecodeError):
                return None
        value: Any
        if output.get("encoding") == "JSON" or text.lstrip().startswith(("{", "[")):
            try:
                document = json.loads(text)
            except ValueError:
                return None
            value = document.get(attribute) if isinstance(document, dict) else (
                document[int(attribute)] if isinstance(document, list) and attribute.isdigit()
                and int(attribute) < len(document) else None)
        else:
            parts = text.strip().split(",")
            value = parts[int(attribute)] if attribute.isdigit() and int(attribute) < len(parts) else None
        try:
            number = float(value)
        except (TypeError, ValueError):
            return None
        return number >= threshold if is_probability else number >= 1

    return caught


def _seconds(text: Any, fallback: float) -> float:
    try:
        return parse_iso8601(text).timestamp()
    except ValueError:
        return fallback


def read_day_captures(s3: Any, capture_uri: str, endpoint: str, day: date, db: sqlite3.Connection,
                      caught: Any) -> tuple[int, str]:
    """Captured (join key, inference time, caught) of one day into ``captured``; (files read, capture prefix)."""
    bucket, key = parse_s3_uri(capture_uri, key_required=False)
    key = key.strip("/")
    if key.split("/")[-1] != endpoint:  # DestinationS3Uri is the root; captures live under <endpoint>/<variant>/
        key = f"{key}/{endpoint}" if key else endpoint
    prefix = key + "/"
    end = datetime(day.year, day.month, day.day, 23, tzinfo=timezone.utc)
    files = 0
    rows: list[tuple[str, float, int]] = []
    for variant in [p["Prefix"] for p in list_keys(s3, bucket, prefix, delimiter="/")]:
        for hour in hours_ending(end, 24):
            hour_start = parse_hour_folder(hour).timestamp()
            for obj in list_keys(s3, bucket, f"{variant}{hour}/"):
                files += 1
                for record in iter_s3_json_lines(s3, bucket, obj["Key"]):
                    meta = record.get("eventMetadata") if isinstance(record, dict) else None
                    ident = join_key(meta)
                    if ident is None:
                        continue
                    hit = caught(((record.get("captureData") or {}).get("endpointOutput")))
                    if hit is None:
                        raise UsageError(f"cannot read the model's output in s3://{bucket}/{obj['Key']} (id {ident}) "
                                         "with the stage's ProbabilityAttribute / InferenceAttribute; fix them in the "
                                         "stage config")
                    rows.append((ident, _seconds(meta.get("inferenceTime"), hour_start), int(hit)))
                    if len(rows) >= CHUNK:
                        db.executemany("INSERT OR IGNORE INTO captured VALUES (?, ?, ?)", rows)
                        rows.clear()
    db.executemany("INSERT OR IGNORE INTO captured VALUES (?, ?, ?)", rows)
    return files, s3_uri(bucket, prefix)


def read_labels(s3: Any, gt_uri: str, day: date, now: datetime, db: sqlite3.Connection) -> None:
    """Every label of the day's captured ids, from the day's first hour folder to now, into ``labels``."""
    bucket, key_prefix = parse_s3_uri(gt_uri, key_required=False)
    base = key_prefix.strip("/")
    ours = f"{NEGATIVES}{day.isoformat()}-"
    first = datetime(day.year, day.month, day.day, tzinfo=timezone.utc)
    for folder in days_between(first, now):
        for obj in list_keys(s3, bucket, f"{base}/{folder}/" if base else f"{folder}/"):
            when = hour_of_path(obj["Key"])
            name = obj["Key"].rsplit("/", 1)[-1]
            if when is None or (name.startswith(NEGATIVES) and not name.startswith(ours)):
                continue  # another day's negatives hold none of this day's ids
            hour = when.timestamp()
            rows = []
            for record in iter_s3_json_lines(s3, bucket, obj["Key"]):
                try:
                    ident, data = read_record(record)
                except ValueError:
                    continue
                rows.append((ident, str(data), hour, int(name.startswith(ours))))
            db.executemany("INSERT INTO labels SELECT ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM captured WHERE id = ?)",
                           [(*row, row[0]) for row in rows])


def run_matured(s3: Any, *, gt_uri: str, capture_uri: str, endpoint: str, day: date | None, now: datetime,
                maturity_days: int, caught: Any, early_age: int, batch_size: int,
                dry_run: bool) -> MaturedResult:
    """Write the 0 labels of one matured day and its entry of the label development curve."""
    newest = latest_matured_day(now, maturity_days)
    day = day or newest
    if day > newest:
        raise UsageError(f"day {day.isoformat()} is not matured yet: with LabelMaturityDays {maturity_days} its labels "
                         f"may arrive until {(day + timedelta(days=maturity_days + 1)).isoformat()}; the newest matured "
                         f"day is {newest.isoformat()}")
    result = MaturedResult(day=day, maturity_days=maturity_days, early_age=early_age)
    db = sqlite3.connect("", isolation_level=None)
    try:
        db.executescript("""
            CREATE TABLE captured (id TEXT PRIMARY KEY, seconds REAL NOT NULL, caught INTEGER NOT NULL) WITHOUT ROWID;
            CREATE TABLE labels (id TEXT NOT NULL, data TEXT NOT NULL, hour REAL NOT NULL, ours INTEGER NOT NULL);
            BEGIN;""")
        result.capture_files, prefix = read_day_captures(s3, capture_uri, endpoint, day, db, caught)
        if not result.capture_files:
            raise UsageError(f"no Data Capture files for {day.isoformat()} under {prefix}: expired (check the capture "
                             "bucket's lifecycle rules: get_baselines_and_configs.py warns when they are shorter than "
                             "LabelMaturityDays + 1) or a wrong --capture-s3-uri; nothing written")
        read_labels(s3, gt_uri, day, now, db)
        one = db.execute
        result.captured_ids = one("SELECT count(*) FROM captured").fetchone()[0]
        result.earlier_negatives = one("SELECT count(DISTINCT id) FROM labels WHERE ours").fetchone()[0]
        result.late_positives = one("SELECT count(DISTINCT id) FROM labels WHERE data = '1' AND id IN "
                                    "(SELECT id FROM labels WHERE ours)").fetchone()[0]
        result.other_labels = one("SELECT count(DISTINCT id) FROM labels WHERE NOT ours AND data <> '1' AND id NOT IN "
                                  "(SELECT id FROM labels WHERE data = '1')").fetchone()[0]
        ages = [(label_age_days(hour, seconds), bool(hit)) for seconds, hit, hour in one(
            "SELECT c.seconds, c.caught, min(l.hour) FROM captured AS c JOIN labels AS l ON l.id = c.id "
            "WHERE l.data = '1' AND NOT l.ours GROUP BY c.id")]
        matured = [(age, hit) for age, hit in ages if age <= maturity_days]
        result.positives = len(matured)
        result.after_maturity = len(ages) - len(matured)
        result.caught = sum(hit for _, hit in matured)
        result.labelled_by_early = sum(age <= early_age for age, _ in matured)
        missing = [ident for (ident,) in one("SELECT id FROM captured WHERE id NOT IN (SELECT id FROM labels) "
                                             "ORDER BY id")]
        result.written = _write_negatives(s3, gt_uri, day, now, missing, batch_size, dry_run)
        result.curve_uri = curve_uri(gt_uri, endpoint)
        result.curve_changed = _update_curve(s3, result.curve_uri, day, day_counts(ages, maturity_days),
                                             maturity_days, dry_run)
    finally:
        db.close()
    return result


def _write_negatives(s3: Any, gt_uri: str, day: date, now: datetime, ids: list[str], batch_size: int,
                     dry_run: bool) -> list[tuple[str, int]]:
    bucket, key_prefix = parse_s3_uri(gt_uri, key_required=False)
    folder = hour_prefix(key_prefix, hour_folder(now))
    written = []
    for start in range(0, len(ids), batch_size):
        batch = ids[start:start + batch_size]
        body = "".join(record_line(ident, "0") for ident in batch).encode("utf-8")
        key = f"{folder}{NEGATIVES}{day.isoformat()}-{sha256_hex(body)[:20]}.jsonl"
        if not dry_run:
            aws.put_object(s3, bucket, key, body, "application/jsonlines")
        written.append((s3_uri(bucket, key), len(batch)))
    return written


def _update_curve(s3: Any, uri: str, day: date, entry: dict[str, Any], maturity_days: int, dry_run: bool) -> bool:
    """Put the day's entry into curve.json; False (and no PutObject) when it is already there unchanged."""
    bucket, key = parse_s3_uri(uri)
    try:
        document = json_loads(aws.read_object(s3, bucket, key))
        summarize(document)
    except NotFoundError:
        document = {"version": 1, "label_maturity_days": maturity_days, "days": {}}
    except (ValueError, CurveError) as exc:
        raise ConfigError(f"the label development curve {uri} cannot be read ({exc}); fix or delete it (the history "
                          "starts again), then rerun") from None
    if document["label_maturity_days"] != maturity_days:
        raise ConfigError(f"the label development curve {uri} was measured with a {document['label_maturity_days']}-"
                          f"day maturity but LabelMaturityDays is {maturity_days}; move it aside to start a new "
                          "history, or set LabelMaturityDays back")
    if document["days"].get(day.isoformat()) == entry:
        return False
    document["days"][day.isoformat()] = entry
    if not dry_run:
        aws.put_object(s3, bucket, key, canonical_json(document))
    return True


def render_matured(result: MaturedResult, *, dry_run: bool) -> str:
    """What the mode prints."""
    verb = "would write" if dry_run else "wrote"
    lines = [f"matured day {result.day.isoformat()} (LabelMaturityDays {result.maturity_days}): "
             f"{result.captured_ids} captured ids in {result.capture_files} capture files",
             f"  positive labels: {result.positives} ({result.caught} caught by the model, {result.labelled_by_early} "
             f"labelled by day {result.early_age})",
             f"  other labels:    {result.other_labels}",
             f"  negatives written earlier: {result.earlier_negatives}"]
    if result.after_maturity:
        lines.append(f"  positives labelled after LabelMaturityDays: {result.after_maturity} (not in the curve; labels "
                     "arrive later than LabelMaturityDays: raise it)")
    if result.late_positives:
        lines.append(f"  positives labelled after their maturity negative: {result.late_positives} (labels arrive "
                     "later than LabelMaturityDays: raise it)")
    head = f"{'dry run: ' if dry_run else ''}{verb} {result.negatives} negative labels in {len(result.written)} object" \
           f"{'s' if len(result.written) != 1 else ''}"
    if not result.written:
        lines.append(f"{head} (nothing new to write)")
    else:
        lines.append(head + ":")
        lines += [f"  {uri}  {count} records" for uri, count in result.written]
    state = ("would be updated" if dry_run else "updated") if result.curve_changed else "unchanged"
    lines.append(f"label development curve {result.curve_uri}: {state} (day {result.day.isoformat()}: "
                 f"{result.positives} frauds)")
    return "\n".join(lines) + "\n"
