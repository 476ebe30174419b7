"""data-quality's fast reader: all-numeric CSV captures in SageMaker's compact form, parsed by one compiled pass.

Measured before choosing (docs/performance.md, "A million records a second"): JSON-decoding every line is the
floor's cost (msgspec, the fastest decoder measured, ~0.5 M lines per CPU second here; orjson, simdjson, pyarrow's
JSON reader and polars are slower), numpy's parsers (loadtxt, vectorised byte arithmetic) cost 1-2 s per million
20-feature rows, and pyarrow's CSV reader over the lines was slower still. What is left is one pass over the bytes in
compiled code: numba (the ``analyzer`` extra and the container only; never on the deployment CLI's path) compiles
``_parse`` below, cached on disk after the first run.

Scope, and the rule that keeps it honest: the kernel takes a line only in the exact form SageMaker writes it
(``{"captureData":{"endpointInput":{"observedContentType":"<type>","mode":"INPUT","data":"<row>","encoding":"CSV"}``
then ``,"endpointOutput":{... "mode":"OUTPUT","data":"<row>","encoding":"CSV"}`` or ``}``), no quote or backslash
inside the strings, a content type without "json", and every field a number in Deequ's grammar
(``[-+]?[0-9]+(\\.[0-9]+)?([eE][-+]?[0-9]+)?``, StatefulDataType.scala's regexes without the optional space) whose
value the kernel can compute exactly (Clinger's fast path: an integer mantissa below 2^53 times or divided by a power
of ten up to 10^22 is correctly rounded, the same double as Python's ``float`` and numpy's parser). The row is the
output columns then the input columns (or the reverse, ``output_columns_position``), and its width must be the
baseline's. A chunk with any other line goes whole to the reference reader (capture.py / stats.py), so records stay
in order; ``tests/test_analyze_fast.py`` holds the two readers to byte-identical outputs.
"""

from __future__ import annotations

import os
from typing import Iterator

import numpy as np

CHUNK_BYTES = 8 << 20  # bytes of whole lines per kernel call: memory is bounded by bytes, not records
_PREFIX = b'{"captureData":{"endpointInput":{"observedContentType":"'
_MODE_IN = b'","mode":"INPUT","data":"'
_END = b'","encoding":"CSV"}'
_OUTPUT = b',"endpointOutput":{"observedContentType":"'
_MODE_OUT = b'","mode":"OUTPUT","data":"'

_kernel = None


def enabled() -> bool:
    """The fast reader runs unless ANALYZER_FAST=0 (the benchmark's "current" column; tests) or numba is missing."""
    if os.environ.get("ANALYZER_FAST", "1") == "0":
        return False
    return _load() is not None


def _load():  # noqa: ANN202 - the compiled kernel or None
    global _kernel
    if _kernel is None:
        try:
            _kernel = _compile()
        except ImportError:
            _kernel = False
    return _kernel or None


def chunks(path: str, chunk_bytes: int | None = None) -> Iterator[bytes]:
    """A local file in chunks of whole lines (the last one may lack its newline)."""
    chunk_bytes = chunk_bytes or CHUNK_BYTES
    with open(path, "rb") as handle:
        carry = b""
        while block := handle.read(chunk_bytes):
            block = carry + block
            cut = block.rfind(b"\n") + 1
            if cut == 0:
                carry = block
                continue
            carry = block[cut:]
            yield block[:cut]
        if carry:
            yield carry


def parse(chunk: bytes, width: int, output_first: bool) -> tuple[np.ndarray, np.ndarray] | None:
    """(values [rows x width], fractional [rows x width]) for a chunk every line of which the kernel takes; None
    otherwise (nothing is consumed: the caller hands the chunk to the reference reader). Blank lines are skipped, as
    the reference reader skips them."""
    kernel = _load()
    buffer = np.frombuffer(chunk, dtype=np.uint8)
    ends = np.flatnonzero(buffer == 10)
    if not len(ends) or ends[-1] != len(buffer) - 1:
        ends = np.r_[ends, len(buffer)]
    starts = np.r_[0, ends[:-1] + 1]
    keep = ends > starts  # blank lines
    if not keep.all():
        starts, ends = starts[keep], ends[keep]
    values = np.empty((len(starts), width), dtype=np.float64)
    fractional = np.empty((len(starts), width), dtype=np.bool_)
    failed = kernel(buffer, starts, ends, width, output_first, values, fractional, _PATTERNS, _POW10)
    return None if failed else (values, fractional)


_PATTERNS = tuple(np.frombuffer(p, dtype=np.uint8) for p in (_PREFIX, _MODE_IN, _END, _OUTPUT, _MODE_OUT))
_POW10 = np.array([10.0 ** i for i in range(23)])  # exact doubles up to 10^22


def _compile():  # noqa: ANN202
    from numba import njit, prange

    @njit(cache=True, nogil=True, inline="always")
    def matches(buf, pos, end, pattern):  # noqa: ANN001, ANN202
        if pos + len(pattern) > end:
            return False
        for i in range(len(pattern)):
            if buf[pos + i] != pattern[i]:
                return False
        return True

    @njit(cache=True, nogil=True)
    def string_end(buf, pos, end, check_json):  # noqa: ANN001, ANN202
        """End of a JSON string's content (its closing quote), or -1 at a backslash / the line's end; with
        check_json, -1 if it holds "json" in any case (a JSON content type)."""
        while pos < end:
            c = buf[pos]
            if c == 34:
                return pos
            if c == 92:
                return -1
            if check_json and (c | 32) == 106 and pos + 3 < end and (buf[pos + 1] | 32) == 115 and \
                    (buf[pos + 2] | 32) == 111 and (buf[pos + 3] | 32) == 110:
                return -1
            pos += 1
        return -1

    @njit(cache=True, nogil=True)
    def fields(buf, pos, end, row, col, width, values, fractional, pow10):  # noqa: ANN001, ANN202
        """Parse the CSV fields of one string (up to its closing quote) into values[row, col...]; the next column,
        or -1 when a field is not a Deequ number the kernel computes exactly, or the row is wider than ``width``."""
        while True:
            if col >= width or pos >= end:
                return -1
            negative = False
            c = buf[pos]
            if c == 45 or c == 43:
                negative = c == 45
                pos += 1
            mantissa = 0
            digits = 0
            scale = 0  # decimal exponent
            dot = False
            while pos < end and 48 <= buf[pos] <= 57:
                if digits >= 19:
                    return -1  # could overflow the mantissa: the reference reader decides
                mantissa = mantissa * 10 + (buf[pos] - 48)
                digits += 1
                pos += 1
            if digits == 0:
                return -1
            if pos < end and buf[pos] == 46:
                dot = True
                pos += 1
                count = 0
                while pos < end and 48 <= buf[pos] <= 57:
                    if digits >= 19:
                        return -1
                    mantissa = mantissa * 10 + (buf[pos] - 48)
                    digits += 1
                    count += 1
                    pos += 1
                if count == 0:
                    return -1
                scale -= count
            if pos < end and (buf[pos] == 101 or buf[pos] == 69):
                dot = True  # Fractional: '.', 'e' or 'E' (Deequ's Fractional regex)
                pos += 1
                exponent_negative = False
                if pos < end and (buf[pos] == 45 or buf[pos] == 43):
                    exponent_negative = buf[pos] == 45
                    pos += 1
                exponent = 0
                count = 0
                while pos < end and 48 <= buf[pos] <= 57:
                    if exponent < 100000:
                        exponent = exponent * 10 + (buf[pos] - 48)
                    count += 1
                    pos += 1
                if count == 0:
                    return -1
                scale += -exponent if exponent_negative else exponent
            if pos >= end:
                return -1
            c = buf[pos]
            if c != 44 and c != 34:
                return -1
            if mantissa >= 9007199254740992 or scale > 22 or scale < -22:
                return -1  # outside Clinger's exact fast path: the reference reader decides
            value = float(mantissa)
            if scale > 0:
                value = value * pow10[scale]
            elif scale < 0:
                value = value / pow10[-scale]
            values[row, col] = -value if negative else value
            fractional[row, col] = dot
            col += 1
            pos += 1
            if c == 34:
                return col

    @njit(cache=True, nogil=True, parallel=True)
    def kernel(buf, starts, ends, width, output_first, values, fractional, patterns, pow10):  # noqa: ANN001, ANN202
        prefix, mode_in, tail, output, mode_out = patterns
        failed = 0
        for row in prange(len(starts)):
            pos, end = starts[row], ends[row]
            if not matches(buf, pos, end, prefix):
                failed += 1
                continue
            pos = string_end(buf, pos + len(prefix), end, True)
            if pos < 0 or not matches(buf, pos, end, mode_in):
                failed += 1
                continue
            in_start = pos + len(mode_in)
            in_end = string_end(buf, in_start, end, False)
            if in_end < 0 or not matches(buf, in_end, end, tail):
                failed += 1
                continue
            pos = in_end + len(tail)
            out_start = -1
            if matches(buf, pos, end, output):
                pos = string_end(buf, pos + len(output), end, True)
                if pos < 0 or not matches(buf, pos, end, mode_out):
                    failed += 1
                    continue
                out_start = pos + len(mode_out)
                out_end = string_end(buf, out_start, end, False)
                if out_end < 0 or not matches(buf, out_end, end, tail):
                    failed += 1
                    continue
            elif pos >= end or buf[pos] != 125:  # '}': captureData ends without an output
                failed += 1
                continue
            if out_start >= 0 and output_first:
                col = fields(buf, out_start, end, row, 0, width, values, fractional, pow10)
                if col >= 0:
                    col = fields(buf, in_start, end, row, col, width, values, fractional, pow10)
            else:
                col = fields(buf, in_start, end, row, 0, width, values, fractional, pow10)
                if col >= 0 and out_start >= 0:
                    col = fields(buf, out_start, end, row, col, width, values, fractional, pow10)
            if col != width:
                failed += 1
        return failed

    return kernel
