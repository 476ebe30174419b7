"""The compiled kernel of pipelines/analyze/fastcsv.py (numba; imported only when numba is installed). At module
level so numba's on-disk cache (cache=True, in __pycache__) is found by the next process: the first run compiles
for a few seconds, later runs load it."""

from __future__ import annotations

import numpy as np
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



@njit(cache=True, nogil=True, parallel=True)
def exact_bins(values):  # noqa: ANN001, ANN202
    """Per column of finite float64 ``values``, the signed 53-bit integer mantissas summed per biased exponent, split
    into their high (>> 26) and low 26 bits: pipelines/analyze/exact.py's exact sum, in one compiled pass (int64 bins
    are exact below 2^36 values a column)."""
    rows, width = values.shape
    high = np.zeros((width, 2048), dtype=np.int64)
    low = np.zeros((width, 2048), dtype=np.int64)
    bits = values.view(np.int64)
    for col in prange(width):
        for row in range(rows):
            word = bits[row, col]
            biased = (word >> 52) & 0x7FF
            mantissa = word & 0xFFFFFFFFFFFFF
            if biased:
                mantissa |= 1 << 52
            if word < 0:
                mantissa = -mantissa
            high[col, biased] += mantissa >> 26
            low[col, biased] += mantissa & 0x3FFFFFF
    return high, low
