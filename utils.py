"""Tiny shared helpers: S3 URI parsing, JSON reading, canonical JSON, atomic writes."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

# Bucket names: 3-63 chars, lowercase letters, digits, dots and hyphens, starting and ending with a letter/digit.
BUCKET_RE = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
S3_URI_RE = re.compile(r"^s3://([^/]+)(?:/(.*))?$")


class S3UriError(ValueError):
    """When a string is not a usable s3://bucket/key URI."""


def parse_s3_uri(uri: str, *, key_required: bool = True) -> tuple[str, str]:
    """Split ``s3://bucket/key`` into (bucket, key); raise S3UriError naming what is wrong."""
    match = S3_URI_RE.match(uri or "")
    if not match:
        raise S3UriError(f"'{uri}' is not an S3 URI (expected s3://<bucket>/<key>)")
    bucket, key = match.group(1), match.group(2) or ""
    if not BUCKET_RE.match(bucket) or ".." in bucket:
        raise S3UriError(f"'{uri}' has an invalid bucket name '{bucket}' (3-63 lowercase letters, digits, '.', '-')")
    if key_required and not key:
        raise S3UriError(f"'{uri}' names a bucket but no object key")
    return bucket, key


def s3_uri(bucket: str, key: str) -> str:
    """Join a bucket and a key into an s3:// URI."""
    return f"s3://{bucket}/{key.lstrip('/')}"


def canonical_json(data: Any) -> bytes:
    """Deterministic JSON bytes: sorted keys, two-space indent, trailing newline."""
    return (json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")


def sha256_hex(data: bytes) -> str:
    """Hex SHA-256 of bytes."""
    return hashlib.sha256(data).hexdigest()


def read_json_file(path: str | Path) -> Any:
    """Read a JSON file; OSError and json.JSONDecodeError are left to the caller to word."""
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def plain_decimal(number: float) -> str | None:
    """A finite number as a plain decimal string (1e-05 -> '0.00001', 0.9 -> '0.9'); None for nan and infinities."""
    import math
    from decimal import Decimal

    if not math.isfinite(number):
        return None
    return format(Decimal(repr(float(number))), "f")


def printable(text: str) -> str:
    """``text`` safe for a terminal: control characters (ANSI escapes included) and other unprintable ones are
    shown as Python escapes (\\x1b, \\n, \\u202e), everything printable (any script) as is."""
    if text.isprintable():
        return text
    return "".join(char if char.isprintable() else char.encode("unicode_escape").decode("ascii") for char in text)


def decode_utf8(data: bytes, what: str, error: type[Exception], *, bom: bool = False) -> str:
    """``data`` as UTF-8 text, else ``error('<what> is not UTF-8 text (line N); save it as UTF-8')``."""
    try:
        return data.decode("utf-8-sig" if bom else "utf-8")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise error(f"{what} is not UTF-8 text (line {line}); save it as UTF-8") from None


def atomic_write_many(files: dict[Path, bytes]) -> None:
    """Write every file or none: each goes to a temp file in its own directory first, then all are renamed.

    Raises OSError (the caller words it) before any target is touched if a directory is missing or not writable.
    """
    staged: list[tuple[str, Path]] = []
    path = Path(".")
    try:
        for path, data in files.items():
            fd, tmp = tempfile.mkstemp(dir=path.parent or Path("."), prefix=f".{path.name}.", suffix=".tmp")
            staged.append((tmp, path))
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            if path.exists():
                os.chmod(tmp, path.stat().st_mode & 0o777)
            else:
                os.chmod(tmp, 0o644)
    except BaseException as exc:
        for tmp, _ in staged:
            try:
                os.unlink(tmp)
            except FileNotFoundError:
                pass
        if isinstance(exc, OSError):  # name the target, not the temp file
            raise OSError(exc.errno, exc.strerror, str(path)) from exc
        raise
    _replace_all_or_none(staged)


def _replace_all_or_none(staged: list[tuple[str, Path]]) -> None:
    """Rename every temp file over its target; if any rename fails (or Ctrl-C), put back the targets already
    replaced, so a failed run leaves every existing output byte-identical and no new one behind."""
    backups: dict[Path, str] = {}
    done: list[Path] = []
    try:
        for _, path in staged:
            if path.exists():  # a copy (bytes and mode) next to it, to put back if a later rename fails
                fd, backups[path] = tempfile.mkstemp(dir=path.parent or Path("."), prefix=f".{path.name}.",
                                                     suffix=".bak")
                os.close(fd)
                shutil.copy2(path, backups[path])
        for tmp, path in staged:
            try:
                os.replace(tmp, path)
            except OSError as exc:
                raise OSError(exc.errno, exc.strerror, str(path)) from exc
            done.append(path)
    except BaseException:
        for path in reversed(done):
            if path in backups:
                os.replace(backups.pop(path), path)
            else:
                os.unlink(path)
        for tmp, path in staged:
            if path not in done:
                _unlink_quietly(tmp)
        raise
    finally:
        for backup in backups.values():
            _unlink_quietly(backup)


def _unlink_quietly(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def atomic_write(path: Path, data: bytes) -> None:
    """Write one file atomically (temp file in the same directory + rename)."""
    atomic_write_many({path: data})
