"""Files and JSON: depth-checked JSON reading, canonical JSON, UTF-8 decoding, printable text, atomic writes."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any


def canonical_json(data: Any) -> bytes:
    """Deterministic JSON bytes: sorted keys, two-space indent, trailing newline."""
    return (json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")


def sha256_hex(data: bytes) -> str:
    """Hex SHA-256 of bytes."""
    return hashlib.sha256(data).hexdigest()


class NotUtf8(ValueError):
    """When a file that must be UTF-8 text is not; the message names the file and the line."""


class JsonTooDeep(ValueError):
    """When a JSON document nests deeper than the reader allows (Python's decoder would hit its recursion limit)."""


MAX_JSON_DEPTH = 100  # the deepest real document here (a Clarify analysis config) nests fewer than 10 levels


def json_loads(text: str | bytes, **kwargs: Any) -> Any:
    """json.loads that turns hostile nesting into a JsonTooDeep (a ValueError) instead of a RecursionError.

    The decoded document is also checked against MAX_JSON_DEPTH, so later code (json.dumps in a message,
    canonical_json) never meets a structure deep enough to recurse out of the stack either.
    """
    try:
        document = json.loads(text, **kwargs)
    except RecursionError:
        raise JsonTooDeep(f"JSON nested deeper than {MAX_JSON_DEPTH} levels") from None
    if isinstance(document, (dict, list)) and _too_deep(document):
        raise JsonTooDeep(f"JSON nested deeper than {MAX_JSON_DEPTH} levels")
    return document


_CONTAINERS = frozenset((dict, list))  # json.loads makes exactly these (no subclasses)


def _too_deep(document: Any) -> bool:
    """True when ``document`` nests deeper than MAX_JSON_DEPTH (iterative: no recursion of its own)."""
    stack = [(document, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            return True
        children = value.values() if isinstance(value, dict) else value
        if not _CONTAINERS.isdisjoint(map(type, children)):  # a C-speed pass: long lists of numbers have none
            stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return False


def read_json_file(path: str | Path) -> Any:
    """Read a JSON file; OSError and ValueError (invalid JSON or UTF-8, too deep) are left to the caller to word."""
    with open(path, "rb") as handle:
        data = handle.read()
    return json_loads(decode_utf8(data, str(path), NotUtf8))


def printable(text: str) -> str:
    """``text`` safe for a terminal: control characters (ANSI escapes included) and other unprintable ones are
    shown as Python escapes (\\x1b, \\n, \\u202e), everything printable (any script) as is."""
    if text.isprintable():
        return text
    return "".join(char if char.isprintable() else char.encode("unicode_escape").decode("ascii") for char in text)


def decode_utf8(data: bytes, what: str, error: type[Exception], *, bom: bool = False, first_line: int = 1) -> str:
    """``data`` (starting at line ``first_line``) as UTF-8 text, else
    ``error('<what> is not UTF-8 text (line N); save it as UTF-8')``."""
    try:
        return data.decode("utf-8-sig" if bom else "utf-8")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + first_line
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
