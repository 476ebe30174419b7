"""Where the analyzer reads from: a local path or an s3:// URI, for JSON documents and hour-foldered JSON lines.

SageMaker writes Data Capture to ``<prefix>/<endpoint>/<variant>/yyyy/mm/dd/hh/<file>.jsonl`` and ground truth to
``<prefix>/yyyy/mm/dd/hh/<file>.jsonl`` (AWS docs: model-monitor-data-capture-endpoint,
model-monitor-model-quality-merge). Both are listed here as (hour, location) pairs; lines are streamed, never held.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Iterator

from pipelines.core import aws
from pipelines.core.errors import NotFoundError, UsageError
from pipelines.core.files import json_loads
from pipelines.core.s3uri import S3UriError, parse_s3_uri
from pipelines.formats.times import HOUR_PATH_RE, hour_of_path


@dataclass(frozen=True)
class HourFile:
    """One JSON lines file and the hour folder it sits in (UTC); ``owner`` is the path above yyyy (endpoint/variant)."""

    location: str
    hour: datetime
    owner: str


class Reader:
    """Reads local files and S3 objects; builds its S3 client only when an s3:// location is used."""

    def __init__(self, s3: Any = None) -> None:
        self._s3 = s3

    @property
    def s3(self) -> Any:
        if self._s3 is None:
            self._s3 = aws.make_client(aws.make_session(), "s3")
        return self._s3

    def read_json(self, location: str, what: str, kind: str = "") -> Any:
        """A JSON document; UsageError naming ``what`` and the location when it is missing, not JSON, or (with
        ``kind``, a pipelines.deploy.baselines kind) not that kind of baseline: statistics passed as constraints would
        otherwise check nothing and pass."""
        from pipelines.formats.baseline_kinds import KIND_TITLES, document_kinds

        try:
            body = self._read_bytes(location)
        except FileNotFoundError:
            raise UsageError(f"{what} {location} does not exist; pass an existing file or s3:// URI") from None
        except IsADirectoryError:
            raise UsageError(f"{what} {location} is a directory; pass the JSON file itself") from None
        try:
            document = json_loads(body)
        except (ValueError, UnicodeDecodeError):  # invalid JSON, not UTF-8, or nested too deep
            raise UsageError(f"{what} {location} is not JSON") from None
        found = document_kinds(document)
        if kind and kind not in found:
            looks = " and ".join(KIND_TITLES[k] for k in found) or "no kind of baseline document"
            raise UsageError(f"{what} {location} is not {KIND_TITLES[kind]} (it looks like {looks}); pass the "
                             "baseline's own file")
        return document

    def _read_bytes(self, location: str) -> bytes:
        if not location.startswith("s3://"):
            return Path(location).read_bytes()
        bucket, key = _bucket_key(location)
        try:
            return aws.read_object(self.s3, bucket, key)
        except NotFoundError as exc:
            if exc.missing == "object":
                raise FileNotFoundError(location) from None
            raise

    def hour_files(self, root: str) -> list[HourFile]:
        """Every ``.../yyyy/mm/dd/hh/*.jsonl`` under ``root``, sorted by hour then location."""
        locations = self._list_s3(root) if root.startswith("s3://") else self._list_local(root)
        found = []
        for location in locations:
            when = hour_of_path(location) if location.endswith(".jsonl") else None
            if when is not None:
                found.append(HourFile(location, when, HOUR_PATH_RE.split(location)[0].rstrip("/")))
        return sorted(found, key=lambda item: (item.hour, item.location))

    def _list_local(self, root: str) -> list[str]:
        if not os.path.isdir(root):
            raise UsageError(f"{root} is not a directory; pass the Data Capture or ground truth folder (or s3:// "
                             "prefix)")
        return [str(Path(folder) / name) for folder, _, names in os.walk(root) for name in names]

    def _list_s3(self, root: str) -> list[str]:
        bucket, prefix = _bucket_key(root, key_required=False)
        prefix = prefix.rstrip("/") + "/" if prefix else ""
        return [f"s3://{bucket}/{item['Key']}" for item in aws.list_objects(self.s3, bucket, prefix)]

    def lines(self, location: str) -> Iterator[str]:
        """The file's lines as text."""
        for chunk in self.line_chunks(location):
            yield from chunk

    def line_chunks(self, location: str, chunk_bytes: int = 1 << 22) -> Iterator[list[str]]:
        """The file's lines in lists of about ``chunk_bytes`` (streamed; memory stays bounded)."""
        if not location.startswith("s3://"):
            with open(location, encoding="utf-8", errors="replace") as handle:
                while chunk := handle.readlines(chunk_bytes):
                    yield chunk
            return
        bucket, key = _bucket_key(location)
        chunk: list[str] = []
        for raw in aws.iter_object_lines(self.s3, bucket, key, chunk_size=1 << 20):  # retries a broken stream
            chunk.append(raw.decode("utf-8", errors="replace"))
            if len(chunk) >= 10_000:
                yield chunk
                chunk = []
        if chunk:
            yield chunk


def _bucket_key(uri: str, key_required: bool = True) -> tuple[str, str]:
    try:
        return parse_s3_uri(uri, key_required=key_required)
    except S3UriError as exc:
        raise UsageError(str(exc)) from None
