"""Reading and validating a label file (CSV or JSON lines): one pass, row by row, valid rows into the store."""

from __future__ import annotations

import csv
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Iterator

from pipelines.core.errors import UsageError
from pipelines.core.files import JsonTooDeep, decode_utf8, json_loads
from pipelines.formats.times import hour_folder, parse_iso8601
from pipelines.ground_truth import store
from pipelines.ground_truth.shapes import DEFAULT_LOOKBACK_HOURS, LabelSpec, Validation


def detect_format(path: Path, fmt: str | None) -> str:
    """csv or jsonl, from --format or the file extension; the file must be a local file (checked first, so the
    message names the real problem rather than the extension)."""
    if str(path).startswith("s3:/"):  # argparse's Path collapsed the '//' of an S3 URI
        raise UsageError(f"{str(path).replace('s3:/', 's3://', 1)} is an S3 URI; the label file must be local: "
                         "download it first (aws s3 cp <uri> .)")
    if path.is_dir():
        raise UsageError(f"{path} is a directory; pass the label file itself")
    if not path.exists():  # the same line iter_rows gives for a file it cannot open
        raise UsageError(f"cannot read {path}: No such file or directory; check the path")
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
            when = parse_iso8601(raw)
        except ValueError:
            return None
    return hour_folder(when)


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
            if len(pending) >= store.STORE_CHUNK:
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
