"""The reader of the template's Parameters section: exact YAML for what it accepts, a line number for the rest.

The run path must not need PyYAML (runtime dependency: boto3 only; PyYAML adds ~24 ms of import and 1.9-32 ms of
parsing where this reader takes 1.4 ms, see README "What the CLI does"), so the Parameters block is read by
a small reader that is *exact* for the YAML it accepts and refuses everything else with a line number:
``Name:`` mappings (two and four spaces), plain, single- and double-quoted scalars, flow lists ``[a, "b"]``,
``>-``/``|-`` text blocks and ``# comments`` (whole-line and trailing). A plain scalar YAML 1.1 would read as
something other than the string or decimal it looks like (``yes``, ``on``, ``null``, ``1_0``, ``0123``, ``.5``,
``2026-01-01``) must be quoted; tabs outside quotes are refused, as YAML refuses them. Tests check the result
equals PyYAML's / cfn-lint's decoding for the template and for every accepted form.
"""

from __future__ import annotations

import re
from typing import Any

from pipelines.core.errors import ConfigError

_KEY_LINE = re.compile(r"^( *)([A-Za-z][A-Za-z0-9]*):(?=$| )(.*)$")
_SECTION_LINE = re.compile(r"^Parameters:(?: +#.*)? *$")
_INT = re.compile(r"-?(0|[1-9][0-9]*)")
_DECIMAL = re.compile(r"-?[0-9]+\.[0-9]+")
# Plain scalars PyYAML (YAML 1.1) resolves to a boolean or null: they must be quoted to mean the string.
_YAML11_WORDS = {w for base in ("yes", "no", "true", "false", "on", "off", "null", "y", "n")
                 for w in (base, base.capitalize(), base.upper())} | {"~"}
# YAML 1.1 reads these starts as numbers, dates or special values (1_0 -> 10, 0123 -> 83, .inf, 2026-01-01).
_NUMBER_LIKE = re.compile(r"^[-+]?[0-9.]")
_INDICATORS = set("[]{},#&*!|>'\"%@`")
# YAML double-quoted escapes (YAML 1.1 spec 5.7, the ones PyYAML implements) -> the character they stand for.
_ESCAPES = {"0": "\0", "a": "\a", "b": "\b", "t": "\t", "\t": "\t", "n": "\n", "v": "\v", "f": "\f",
            "r": "\r", "e": "\x1b", " ": " ", '"': '"', "/": "/", "\\": "\\", "N": "\x85", "_": "\xa0",
            "L": "\u2028", "P": "\u2029"}
_HEX_ESCAPES = {"x": 2, "u": 4, "U": 8}
# Characters YAML 1.1 forbids (PyYAML's reader.NON_PRINTABLE) plus the line breaks it would see where we do not.
_NOT_YAML_TEXT = re.compile("[^\t\n\r\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
TAB_REFUSED = "a tab character outside quotes; YAML allows only spaces there, replace it with spaces"
_REFUSED = ("cannot read this Parameters line; keep the section to 'Name:' mappings of scalars, flow lists and "
            "'>-' text")


class _Refused(Exception):
    """When a line holds YAML the reader does not accept; the message says what to write instead."""


def _double_quoted(text: str) -> tuple[str, str]:
    """(value, rest of the line) of a double-quoted scalar starting at text[0]."""
    out, i = [], 1
    while i < len(text):
        char = text[i]
        if char == '"':
            return "".join(out), text[i + 1:]
        if char == "\\":
            code = text[i + 1:i + 2]
            if code in _ESCAPES:
                out.append(_ESCAPES[code])
                i += 2
                continue
            width = _HEX_ESCAPES.get(code)
            digits = text[i + 2:i + 2 + width] if width else ""
            if not width or not re.fullmatch(r"[0-9a-fA-F]+", digits) or len(digits) != width:
                raise _Refused(f"unknown escape '\\{code}' in a double-quoted string")
            out.append(chr(int(digits, 16)))
            i += 2 + width
            continue
        out.append(char)
        i += 1
    raise _Refused("a double-quoted string must end on its line")


def _single_quoted(text: str) -> tuple[str, str]:
    """(value, rest of the line) of a single-quoted scalar ('' is a quote)."""
    out, i = [], 1
    while i < len(text):
        if text[i] == "'":
            if text[i + 1:i + 2] == "'":
                out.append("'")
                i += 2
                continue
            return "".join(out), text[i + 1:]
        out.append(text[i])
        i += 1
    raise _Refused("a single-quoted string must end on its line")


def _plain(text: str, flow: bool) -> tuple[Any, str]:
    """(value, rest) of a plain scalar: ends at ' #' (or at ',' / ']' in a flow list); resolved as YAML 1.1 would."""
    stop = re.search(r" #|[,\]]" if flow else r" #", text)
    raw = text[:stop.start()] if stop else text
    rest = text[len(raw):]
    value = raw.rstrip(" ")
    if "\t" in value:
        raise _Refused(TAB_REFUSED)
    if not value:
        raise _Refused("an empty value; write \"\" for an empty string")
    if value[0] in _INDICATORS or value[0] in "-?:" and value[1:2] in ("", " ") or ": " in value \
            or value.endswith(":") or (flow and any(c in value for c in "[]{}")):
        raise _Refused(f"'{value}' is not a plain YAML string this reader accepts; write it in quotes")
    if _INT.fullmatch(value):
        return int(value), rest
    if _DECIMAL.fullmatch(value):
        return float(value), rest
    if value in _YAML11_WORDS or _NUMBER_LIKE.match(value) or value.startswith(("<<", "=")):
        raise _Refused(f"YAML reads the unquoted value {value} as something other than this text; "
                       f"write it in quotes: \"{value}\"")
    return value, rest


def _flow_list(text: str) -> tuple[list[Any], str]:
    """(items, rest) of a one-line flow list [a, "b"] of scalars."""
    items: list[Any] = []
    rest = text[1:].lstrip(" ")
    if rest.startswith("]"):
        return items, rest[1:]
    while True:
        item, rest = _one_scalar(rest, flow=True)
        items.append(item)
        rest = rest.lstrip(" ")
        if rest.startswith("]"):
            return items, rest[1:]
        if not rest.startswith(","):
            raise _Refused("a flow list must be [item, item, ...] on one line")
        rest = rest[1:].lstrip(" ")


def _one_scalar(text: str, *, flow: bool) -> tuple[Any, str]:
    if text.startswith('"'):
        return _double_quoted(text)
    if text.startswith("'"):
        return _single_quoted(text)
    if text.startswith("[") and not flow:
        return _flow_list(text)
    return _plain(text, flow)


def _value(text: str) -> Any:
    """The value after 'Key: ' (trailing comment allowed: a '#' after a space)."""
    value, rest = _one_scalar(text.lstrip(" "), flow=False)
    if "\t" in rest.split("#", 1)[0]:
        raise _Refused(TAB_REFUSED)
    if rest.strip(" ") and not re.match(r" +#", rest):
        raise _Refused(f"unexpected text after the value: '{rest.strip()}'")
    return value


def _block(lines: list[str], i: int, style: str, parent_indent: int) -> tuple[str, int]:
    """A '>-'/'>'/'|-'/'|' block's text (folded or literal, as YAML chomps it) and the index after it."""
    content: list[str] = []
    indent = None
    while i < len(lines):
        line = lines[i]
        if line.strip(" "):
            width = len(line) - len(line.lstrip(" "))
            if width <= parent_indent:
                break
            if line[width:width + 1] == "\t":
                raise _Refused(TAB_REFUSED)
            indent = width if indent is None else indent
            if width != indent:
                raise _Refused("a text block's lines must all have the same indentation")
            content.append(line[indent:])
        else:
            content.append("")
        i += 1
    while content and not content[-1]:
        content.pop()
    if style.startswith("|"):
        text = "\n".join(content)
    else:  # folded: a line break between two text lines is a space, each empty line a newline
        text = ""
        for n, part in enumerate(content):
            if n and part and content[n - 1]:
                text += " "
            text += part if part else "\n"
    return (text if style.endswith("-") or not text else text + "\n"), i


def read_parameters_block(text: str, source: str = "template") -> dict[str, dict[str, Any]]:
    """The template's ``Parameters`` mapping as plain dicts (the exact subset reader described above)."""
    odd = _NOT_YAML_TEXT.search(text)
    if odd:  # PyYAML refuses these characters anywhere (reader.py NON_PRINTABLE); some would split lines here
        raise ConfigError(f"{source} line {text.count(chr(10), 0, odd.start()) + 1}: the character "
                          f"{ascii(odd.group())} is not allowed in YAML; remove it")
    lines = text.splitlines()
    try:
        start = next(i for i, line in enumerate(lines) if _SECTION_LINE.match(line))
    except StopIteration:
        raise ConfigError(f"{source} has no top-level 'Parameters:' section") from None
    params: dict[str, dict[str, Any]] = {}
    current: dict[str, Any] | None = None
    i = start + 1
    while i < len(lines):
        line = lines[i]
        try:
            if re.match(r"^ *\t|^ *[A-Za-z0-9]+: *\t", line):
                raise _Refused(TAB_REFUSED)
            stripped = line.strip(" ")
            if not stripped or stripped.startswith("#"):
                i += 1
                continue
            if not line.startswith(" "):
                break  # next top-level section
            match = _KEY_LINE.match(line)
            if not match:
                raise _Refused(_REFUSED)
            indent, key, value = len(match.group(1)), match.group(2), match.group(3).strip(" ")
            bare = not value or value.startswith("#")
            if indent == 2 and bare:
                if key in params:
                    raise _Refused(f"parameter '{key}' appears twice; keep one")
                current = params[key] = {}
            elif indent == 4 and current is not None and not bare:
                if key in current:
                    raise _Refused(f"'{key}' appears twice in this parameter; keep one")
                style = re.match(r"^([>|]-?)(?: +#.*)?$", value)
                if style:
                    current[key], i = _block(lines, i + 1, style.group(1), indent)
                    continue
                current[key] = _value(value)
            elif indent == 4 and bare:
                raise _Refused(f"'{key}' has no value; write {key}: \"\" for an empty string")
            else:
                raise _Refused("unexpected indentation in Parameters (2 spaces for a name, 4 for its attributes)")
        except _Refused as exc:
            raise ConfigError(f"{source} line {i + 1}: {exc}") from None
        i += 1
    return params
