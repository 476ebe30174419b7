"""Small shared helpers: S3 URIs, JSON reading (depth-checked), canonical JSON, UTF-8 decoding, printable text,
atomic writes, and flags that fall back to environment variables."""

from __future__ import annotations

import argparse
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


def _too_deep(document: Any) -> bool:
    """True when ``document`` nests deeper than MAX_JSON_DEPTH (iterative: no recursion of its own)."""
    stack = [(document, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            return True
        children = value.values() if isinstance(value, dict) else value
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


# ---- flags that fall back to environment variables (the day-2 tools) ------------------------------------------------
ENV_TRUE = ("1", "true", "yes", "on")
ENV_FALSE = ("", "0", "false", "no", "off")


def env_argument(parser: argparse.ArgumentParser, flag: str, env: str, **kwargs: Any) -> argparse.Action:
    """``parser.add_argument(flag, **kwargs)`` whose value falls back to the environment variable ``env``."""
    action = parser.add_argument(flag, **kwargs)
    action.env = env  # type: ignore[attr-defined]  # read by parse_with_env
    return action


def parse_with_env(parser: argparse.ArgumentParser, argv: list[str] | None,
                   environ: dict[str, str] | None = None) -> argparse.Namespace:
    """Parse ``argv``; a flag not given takes its environment variable, checked by the flag's own ``type`` and
    ``choices`` (argparse checks neither for defaults), so LOG_LEVEL=debug is the same usage error as
    --log-level debug, naming the variable: exit 2, never a traceback."""
    environ = os.environ if environ is None else environ
    for action in parser._actions:  # argparse keeps its actions only there
        env = getattr(action, "env", None)
        raw = environ.get(env, "") if env else ""
        if not env or (not raw and action.nargs != 0):
            continue
        flag = max(action.option_strings, key=len)
        if action.nargs == 0:  # a store_true flag: the variable is a boolean
            if raw.strip().lower() not in ENV_TRUE + ENV_FALSE:
                parser.error(f"environment variable {env}: '{raw}' is not a boolean for {flag} "
                             f"(use {'/'.join(ENV_TRUE)} or {'/'.join(ENV_FALSE[1:])})")
            action.default = raw.strip().lower() in ENV_TRUE
            continue
        try:
            value = action.type(raw) if callable(action.type) else raw
        except (TypeError, ValueError, argparse.ArgumentTypeError):
            parser.error(f"environment variable {env}: invalid {getattr(action.type, '__name__', 'value')} value: "
                         f"'{raw}' (as {flag})")
        if action.choices is not None and value not in action.choices:
            choices = ", ".join(repr(choice) for choice in action.choices)
            parser.error(f"environment variable {env}: invalid choice: '{raw}' (as {flag}; choose from {choices})")
        action.default = value
    return parser.parse_args(argv)
