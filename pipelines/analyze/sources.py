"""Where the analyzer reads from: a local path or an s3:// URI, for JSON documents and hour-foldered JSON lines.

SageMaker writes Data Capture to ``<prefix>/<endpoint>/<variant>/yyyy/mm/dd/hh/<file>.jsonl`` and ground truth to
``<prefix>/yyyy/mm/dd/hh/<file>.jsonl`` (AWS docs: model-monitor-data-capture-endpoint,
model-monitor-model-quality-merge). Both are listed here as (hour, location) pairs; lines are streamed, never held.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Iterator

from pipelines.core import aws
from pipelines.core.errors import NotFoundError, UsageError
from pipelines.core.files import json_loads, printable
from pipelines.core.s3uri import S3UriError, parse_s3_uri
from pipelines.formats.times import HOUR_PATH_RE, hour_of_path


@dataclass(frozen=True)
class HourFile:
    """One JSON lines file and the hour folder it sits in (UTC); ``owner`` is the path above yyyy (endpoint/variant)."""

    location: str
    hour: datetime
    owner: str


class Reader:
    """Reads local files and S3 objects; builds its S3 client only when an s3:// location is used.

    A file or folder that cannot be read (no permission, a dangling symlink, a FIFO or device, an I/O error) never
    ends the run and is never dropped silently: it is kept in ``skipped`` (location, reason) for the run's warnings
    and its status line, so a run on less data than was there says so.
    """

    def __init__(self, s3: Any = None) -> None:
        self._s3 = s3
        self.skipped: list[tuple[str, str]] = []

    @property
    def s3(self) -> Any:
        if self._s3 is None:
            self._s3 = aws.make_client(aws.make_session(), "s3")
        return self._s3

    def read_json(self, location: str, what: str, kind: str = "") -> Any:
        """A JSON document; UsageError naming ``what`` and the location when it is missing, unreadable, not JSON, or
        (with ``kind``, a pipelines.deploy.baselines kind) not that kind of baseline: statistics passed as
        constraints would otherwise check nothing and pass."""
        from pipelines.formats.baseline_kinds import KIND_TITLES, document_kinds

        if not location.startswith("s3://") and os.path.exists(location) and not os.path.isdir(location) and \
                not stat.S_ISREG(os.stat(location).st_mode):
            raise UsageError(f"{what} {location} is not a regular file (a FIFO, socket or device); pass the JSON "
                             "file itself")
        try:
            body = self._read_bytes(location)
        except FileNotFoundError:
            raise UsageError(f"{what} {location} does not exist; pass an existing file or s3:// URI") from None
        except IsADirectoryError:
            raise UsageError(f"{what} {location} is a directory; pass the JSON file itself") from None
        except OSError as exc:
            raise UsageError(f"{what} {location} cannot be read ({exc.strerror or exc}); check its permissions") \
                from None
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

    def list_objects(self, root: str) -> list[str]:
        """Every object under an s3:// prefix, as s3:// URIs."""
        return self._list_s3(root)

    def _list_local(self, root: str) -> list[str]:
        """Regular files under ``root``; symlinked folders are followed (once each: a link cycle is not walked
        twice). A folder that cannot be listed, or a ``.jsonl`` that is a dangling symlink or not a regular file,
        is kept in ``skipped``."""
        if not os.path.isdir(root):
            raise UsageError(f"{root} is not a directory; pass the Data Capture or ground truth folder (or s3:// "
                             "prefix)")
        found: list[str] = []
        seen: set[tuple[int, int]] = set()

        def unlistable(error: OSError) -> None:
            self.skip(error.filename or root, f"folder cannot be listed ({error.strerror or error})")

        for folder, folders, names in os.walk(root, onerror=unlistable, followlinks=True):
            try:
                info = os.stat(folder)
            except OSError:
                continue
            if (info.st_dev, info.st_ino) in seen:  # a symlink back up the tree
                folders[:] = []
                continue
            seen.add((info.st_dev, info.st_ino))
            for name in names:
                path = str(Path(folder) / name)
                if not name.endswith(".jsonl"):
                    found.append(path)
                    continue
                try:
                    mode = os.stat(path).st_mode
                except FileNotFoundError:
                    self.skip(path, "dangling symlink")
                    continue
                except OSError as exc:
                    self.skip(path, f"cannot be read ({exc.strerror or exc})")
                    continue
                if stat.S_ISREG(mode):
                    found.append(path)
                else:
                    self.skip(path, "not a regular file (a FIFO, socket or device)")
        return found

    def _list_s3(self, root: str) -> list[str]:
        bucket, prefix = _bucket_key(root, key_required=False)
        prefix = prefix.rstrip("/") + "/" if prefix else ""
        return [f"s3://{bucket}/{item['Key']}" for item in aws.list_objects(self.s3, bucket, prefix)]

    def skip(self, location: str, reason: str) -> None:
        """Remember a file or folder that could not be read."""
        self.skipped.append((location, reason))

    def skipped_lines(self, what: str) -> list[str]:
        """One warning line per reason: how many ``what`` (files or folders) were skipped, and the first one."""
        by_reason: dict[str, list[str]] = {}
        for location, reason in self.skipped:
            by_reason.setdefault(reason, []).append(location)
        return [f"{len(found)} {what} file(s) or folder(s) skipped: {reason}; first: {printable(found[0])}"
                for reason, found in sorted(by_reason.items(), key=lambda item: (-len(item[1]), item[0]))]

    def lines(self, location: str) -> Iterator[str]:
        """The file's lines as text."""
        for chunk in self.line_chunks(location):
            yield from chunk

    def line_chunks(self, location: str, chunk_bytes: int = 1 << 22) -> Iterator[list[str]]:
        """The file's lines in lists of about ``chunk_bytes`` (streamed; memory stays bounded). A local file that
        cannot be opened or read to its end is kept in ``skipped`` (the lines read before an I/O error count)."""
        if not location.startswith("s3://"):
            try:
                with open(location, encoding="utf-8", errors="replace") as handle:
                    while chunk := handle.readlines(chunk_bytes):
                        yield chunk
            except OSError as exc:
                self.skip(location, f"cannot be read ({exc.strerror or exc})")
            return
        bucket, key = _bucket_key(location)
        chunk: list[str] = []
        size = 0
        for raw in aws.iter_object_lines(self.s3, bucket, key, chunk_size=1 << 20):  # retries a broken stream
            chunk.append(raw.decode("utf-8", errors="replace"))
            size += len(raw)
            if size >= chunk_bytes:
                yield chunk
                chunk, size = [], 0
        if chunk:
            yield chunk


def _bucket_key(uri: str, key_required: bool = True) -> tuple[str, str]:
    try:
        return parse_s3_uri(uri, key_required=key_required)
    except S3UriError as exc:
        raise UsageError(str(exc)) from None
