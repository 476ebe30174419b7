"""Data Capture records as SageMaker writes them, streamed in batches for one time window.

One record a line (AWS docs, model-monitor-data-capture-endpoint):
``{"captureData": {"endpointInput": {"observedContentType", "mode", "data", "encoding": CSV|JSON|BASE64},
"endpointOutput": {...}}, "eventMetadata": {"eventId", "inferenceId"?, "inferenceTime"}, "eventVersion": "0"}``.

Speed: a full ``json.loads`` of a 500-byte capture line costs more than everything else the analyzer does with it,
so lines in the compact form SageMaker writes (keys in its order, no escaped characters) are read with one regex
(for data-quality, one regex pass over a whole 4 MB chunk). Any other line goes to ``json.loads``; the fast path
never guesses.
"""

from __future__ import annotations

import base64
import binascii
import csv
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Iterator

from pipelines.analyze.sources import HourFile, Reader
from pipelines.core.errors import UsageError
from pipelines.core.files import json_loads, printable
from pipelines.formats.capture import join_key
from pipelines.formats.times import parse_iso8601

BATCH = 20_000
# A batch ends at BATCH records or BATCH_BYTES of capture lines, whichever comes first: memory follows the bytes
# (2,000 features x 20,000 records held 3.5 GiB when batches were bounded by records only). At 8 MiB a narrow
# record (~400 bytes) still fills 20,000 records, so the fast path keeps its batch size.
BATCH_BYTES = 8 << 20
EXAMPLE_CHARS = 300
MAX_REASONS = 10


@dataclass
class Problems:
    """Records that could not be read, by reason: a count and the first example line of each. Reasons are fixed
    texts (details go in the example), so 1,000 bad records give one line per kind of problem, not per record."""

    counts: Counter = field(default_factory=Counter)
    examples: dict[str, str] = field(default_factory=dict)
    seen: int = 0  # records looked at (batches(): the window's non-blank lines), the whole the counts are part of

    def add(self, reason: str, example: str, count: int = 1) -> None:
        self.counts[reason] += count
        self.examples.setdefault(reason, printable(example.strip()[:EXAMPLE_CHARS]))

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def merge(self, other: "Problems") -> None:
        """Add another set of problems (first examples kept)."""
        for reason, count in other.counts.items():
            self.add(reason, other.examples[reason], count)

    def lines(self, total: int | None = None, what: str = "records") -> list[str]:
        """One line per reason, the most frequent first: '<count> of <total> <what> skipped: <reason>; first:
        <example>' (without ``total``: '<count> record(s): ...'); at most MAX_REASONS lines, the rest summed."""
        ranked = sorted(self.counts.items(), key=lambda item: (-item[1], item[0]))
        head = (lambda count: f"{count} of {total} {what} skipped") if total is not None else \
            (lambda count: f"{count} {what} skipped") if what != "records" else (lambda count: f"{count} record(s)")
        found = [f"{head(count)}: {reason}; first: {self.examples[reason]}" for reason, count in ranked[:MAX_REASONS]]
        rest = ranked[MAX_REASONS:]
        if rest:
            found.append(f"{head(sum(count for _, count in rest))}: {len(rest)} other reasons")
        return found


@dataclass
class Batch:
    """Up to BATCH captured records of the window, as decoded text (None where the capture has no such part)."""

    inputs: list[str | None] = field(default_factory=list)
    input_types: list[str] = field(default_factory=list)  # observedContentType
    outputs: list[str | None] = field(default_factory=list)
    output_types: list[str] = field(default_factory=list)
    ids: list[str | None] = field(default_factory=list)  # inferenceId, else eventId (the ground-truth join key)
    lines: list[str] = field(default_factory=list)  # the raw line, for problem examples
    bytes: int = 0  # characters of the capture lines held

    def full(self, size: int) -> bool:
        return len(self.lines) >= size or self.bytes >= BATCH_BYTES

    def __len__(self) -> int:
        return len(self.lines)


# Where the endpoint's output columns go in a CSV row. Model Monitor's analyzer concatenates the captured output with
# the input and its log prints ``output_columns_position: START`` (real job logs, ../shared/docs/facts.md); the SDK's
# ``DatasetFormat.csv(header, output_columns_position="START")`` documents the two values and the default
# (aws/sagemaker-python-sdk src/sagemaker/model_monitor/dataset_format.py). So a baseline whose first column is the
# label (AWS's XGBoost layout) lines up with 1 output + N input columns.
OUTPUT_POSITIONS = ("START", "END")


def split_fields(row: str) -> list[str]:
    """One CSV row's fields as Spark's CSV reader splits them (quote ``"``, escape ``\\``): ``a,"grocery, intl",3``
    is three fields, the quotes removed. Our reading where Spark's options leave it open: a doubled quote inside
    quotes is one quote, and a quoted empty field is null like an unquoted one."""
    if '"' not in row:
        return row.split(",")
    return next(csv.reader([row], escapechar="\\", doublequote=True, strict=False))


def join_output(inputs: list[str], outputs: list[str] | None, position: str) -> list[str] | str:
    """A record's CSV rows with its output columns placed at ``position``; the reason when they cannot be paired
    (a multi-row request whose response has another number of rows)."""
    if outputs is None:
        return inputs
    if len(outputs) != len(inputs):
        return f"{len(inputs)} input row(s) but {len(outputs)} output row(s) in one record"
    if position == "START":
        return [f"{out},{row}" for out, row in zip(outputs, inputs, strict=True)]
    return [f"{row},{out}" for out, row in zip(outputs, inputs, strict=True)]


@dataclass(frozen=True)
class Window:
    """[start, end) in UTC; None means open."""

    start: datetime | None = None
    end: datetime | None = None

    def hour_overlap(self, hour: datetime) -> str:
        """'none', 'full' or 'partial': how the hour folder [hour, hour + 1h) overlaps the window."""
        after = hour + timedelta(hours=1)
        if (self.start and after <= self.start) or (self.end and hour >= self.end):
            return "none"
        if (self.start is None or hour >= self.start) and (self.end is None or after <= self.end):
            return "full"
        return "partial"

    def contains(self, when: datetime) -> bool:
        return (self.start is None or when >= self.start) and (self.end is None or when < self.end)


def capture_files(reader: Reader, root: str, window: Window, shard: bool = False) -> list[HourFile]:
    """The capture files of one endpoint whose hour folder overlaps the window.

    ``shard``: one shard of a window (``--partial``): a shard without files is no error (ShardedByS3Key gives an
    instance nothing when there are more instances than files); the merge decides on the union of the shards.

    Raises:
        UsageError: no capture files at all (not for a shard), or captures of more than one endpoint under ``root``.
    """
    files = reader.hour_files(root)
    if not files:
        if shard:
            return []
        raise no_capture_files(root)
    one_endpoint(root, sorted({_endpoint_of(item.owner) for item in files}))
    return [item for item in files if window.hour_overlap(item.hour) != "none"]


def no_capture_files(root: str) -> UsageError:
    """The error for a capture root without capture files (also the merge step's, on the union of its shards)."""
    return UsageError(f"no Data Capture files under {root} (expected <endpoint>/<variant>/yyyy/mm/dd/hh/*.jsonl); "
                      "check that it is the endpoint's DataCaptureConfig DestinationS3Uri (or one endpoint's folder "
                      "in it) and that capture is enabled and the endpoint had traffic")


def one_endpoint(root: str, endpoints: list[str]) -> None:
    """UsageError when ``root`` holds captures of more than one endpoint (sorted names)."""
    if len(endpoints) > 1:
        raise UsageError(f"{root} holds captures of {len(endpoints)} endpoints ({', '.join(endpoints)}); pass one "
                         f"endpoint's folder, e.g. {endpoints[0]}")


def endpoint_of(owner: str) -> str:
    """'<prefix>/<endpoint>/<variant>' -> '<prefix>/<endpoint>'."""
    return _endpoint_of(owner)


def _endpoint_of(owner: str) -> str:
    """'<prefix>/<endpoint>/<variant>' -> '<prefix>/<endpoint>'."""
    return owner.rsplit("/", 1)[0] if "/" in owner else owner


# SageMaker writes each part compactly with its keys in this order (the AWS docs' example and every capture file
# we have seen); one regex search reads such a part. Data with an escaped character ([^"\\]) falls through to the
# general parsers below.
_PART = r'\{{"observedContentType":"([^"\\]*)","mode":"{mode}","data":"([^"\\]*)","encoding":"([A-Z0-9]*)"\}}'
_INPUT_RE = re.compile(r'"endpointInput":' + _PART.format(mode="INPUT"))
_OUTPUT_RE = re.compile(r'"endpointOutput":' + _PART.format(mode="OUTPUT"))
# data quality's chunk regex: a CSV input and its CSV output (Model Monitor profiles the output columns with the
# inputs: see OUTPUT_POSITIONS); a record without a CSV output does not match, so its chunk takes the per-line path
_CSV_RECORD_RE = re.compile(r'"endpointInput":\{"observedContentType":"([^"\\]*)","mode":"INPUT","data":"([^"\\]*)"'
                            r',"encoding":"CSV"\},"endpointOutput":\{"observedContentType":"([^"\\]*)",'
                            r'"mode":"OUTPUT","data":"([^"\\]*)","encoding":"CSV"\}')
_META_RE = re.compile(r'"eventMetadata":\{"eventId":"([^"\\]*)"(?:,"inferenceId":"([^"\\]*)")?'
                      r',"inferenceTime":"([^"\\]*)"\}')


def batches(reader: Reader, files: list[HourFile], window: Window, problems: Problems, *, outputs: bool = False,
            size: int | None = None) -> Iterator[Batch]:
    """Every readable record of the window, in batches; unreadable lines are counted in ``problems``.

    Every batch carries the inputs and outputs. ``outputs``: also read the join ids (model quality, estimate), which
    data quality does not need.
    """
    size = size or BATCH
    batch = Batch()
    for item in files:
        check_time = window.hour_overlap(item.hour) == "partial"
        for chunk in reader.line_chunks(item.location):
            if not (outputs or check_time) and _whole_chunk(chunk, batch):
                problems.seen += len(chunk)
                if batch.full(size):
                    yield batch
                    batch = Batch()
                continue
            for line in chunk:
                record = _compact(line, outputs or check_time)
                if record is None:
                    if not line.strip():
                        continue
                    record = _slow_fields(line)
                    if isinstance(record, str):
                        problems.seen += 1
                        problems.add(record, line)
                        continue
                if check_time and not _in_window(record[6], window):
                    continue
                problems.seen += 1
                _append(batch, record, line, problems)
                if batch.full(size):
                    yield batch
                    batch = Batch()
    if batch.lines:
        yield batch


def _whole_chunk(chunk: list[str], batch: Batch) -> bool:
    """data-quality's hot path: every line of the chunk in SageMaker's compact form with a CSV input and a CSV output,
    read by one regex pass over the joined chunk. False (nothing added) if any line is not, so the per-line path
    takes it."""
    if not chunk:
        return True
    text = "".join(chunk)
    found = _CSV_RECORD_RE.findall(text)
    # one endpointInput key per line and one match per key: matches and lines line up one to one
    if len(found) != len(chunk) or text.count('"endpointInput"') != len(chunk):
        return False
    in_types, inputs, out_types, outputs = zip(*found, strict=True)
    batch.input_types.extend(in_types)
    batch.inputs.extend(inputs)
    batch.output_types.extend(out_types)
    batch.outputs.extend(outputs)
    batch.lines.extend(chunk)
    batch.bytes += len(text)
    return True


Fields = tuple  # (in_data, in_encoding, in_type, out_data, out_encoding, out_type, inference_time, join_id)


def _compact(line: str, metadata: bool) -> Fields | None:
    """The regex fast path; None when the line is not in SageMaker's compact form. ``metadata``: the join id and the
    inference time are needed too."""
    found_in = _INPUT_RE.search(line)
    if found_in is None:
        return None
    in_type, in_data, in_encoding = found_in.groups()
    out_type = out_data = out_encoding = join_id = when = None
    found_out = _OUTPUT_RE.search(line, found_in.end()) or _OUTPUT_RE.search(line)
    if found_out is not None:
        out_type, out_data, out_encoding = found_out.groups()
    elif '"endpointOutput"' in line:
        return None  # an output the regex cannot read: the full parser decides
    if metadata:
        meta = _META_RE.search(line)
        if meta is None:
            return None
        event_id, inference_id, when = meta.groups()
        join_id = inference_id or event_id
    return in_data, in_encoding, in_type, out_data, out_encoding, out_type, when, join_id


def _append(batch: Batch, record: Fields, line: str, problems: Problems) -> None:
    in_data, in_encoding, in_type, out_data, out_encoding, out_type, _, join_id = record
    if in_encoding == "BASE64" or out_encoding == "BASE64":
        in_data, out_data = _decode(in_data, in_encoding), _decode(out_data, out_encoding)
        if in_data is False or out_data is False:
            problems.add("BASE64 data that does not decode to UTF-8 text", line)
            return
    batch.inputs.append(in_data)
    batch.input_types.append(in_type or "")
    batch.outputs.append(out_data)
    batch.output_types.append(out_type or "")
    batch.ids.append(join_id)
    batch.lines.append(line)
    batch.bytes += len(line)


def _decode(data: str | None, encoding: str | None) -> str | None | bool:
    """The payload as text; False when BASE64 does not decode."""
    if data is None or (encoding or "").upper() != "BASE64":
        return data
    try:
        return base64.b64decode(data, validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        return False


def _in_window(inference_time: str | None, window: Window) -> bool:
    if not inference_time:
        return True  # no time: the hour folder already placed it
    try:
        when = parse_iso8601(inference_time)
    except ValueError:
        return True
    return window.contains(when)


def _slow_fields(line: str) -> Fields | str:
    """Full parser: the fields, or the reason the line is not a capture record. Every field's type is checked before
    it is used (a reason names the field), so no record shape ends the run."""
    try:
        document = json_loads(line)
    except (ValueError, RecursionError):  # invalid JSON, or nested too deep
        return "not a JSON line"
    if not isinstance(document, dict) or not isinstance(document.get("captureData"), dict):
        return "JSON without captureData (not a Data Capture record)"
    capture, metadata = document["captureData"], document.get("eventMetadata")
    if metadata is None:
        metadata = {}
    if not isinstance(metadata, dict):
        return "eventMetadata is not an object"
    join_id = join_key(metadata)
    if not join_id:
        return "capture without eventMetadata.eventId"
    if not isinstance(join_id, (str, int)) or isinstance(join_id, bool):
        return "eventMetadata.inferenceId/eventId is not a string"
    when = metadata.get("inferenceTime")
    if when is not None and not isinstance(when, str):
        return "eventMetadata.inferenceTime is not a string"
    parts: list[str | None] = []
    for name in ("endpointInput", "endpointOutput"):
        part = capture.get(name)
        if part is None:
            part = {}
        if not isinstance(part, dict):
            return f"captureData.{name} is not an object"
        data, encoding, content_type = part.get("data"), part.get("encoding"), part.get("observedContentType")
        for key, value in (("encoding", encoding), ("observedContentType", content_type)):
            if value is not None and not isinstance(value, str):
                return f"captureData.{name}.{key} is not a string"
        if data is not None and not isinstance(data, str):
            if isinstance(data, bool):
                return f"captureData.{name}.data is not a string"
            data = json.dumps(data)  # a number, list or object written unquoted: read as its JSON text
        parts.extend([data, encoding, content_type])
    return (*parts, when, str(join_id))
