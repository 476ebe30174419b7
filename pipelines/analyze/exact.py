"""Exact sums of float64 values, so that sum and mean do not depend on how records are batched or sharded.

A float sum depends on the order of additions: the single-pass sum of a window and the sum of its shards' partial
sums differ in the last bits. Every finite double is an integer multiple of 2^-1074, so the exact sum is an integer
N (in units of 2^-1074); adding N is associative, and ``N / 2^1074`` and ``N / (count * 2^1074)`` are rounded once,
correctly (Python's int / int true division is correctly rounded). The window's ``sum`` and ``mean`` are those
correctly rounded values whether it was read in one pass or merged from shards (``merge-statistics``).

numpy does the per-value work: each double is split into sign, exponent and a 53-bit integer mantissa (IEEE 754
binary64 layout); the mantissas, split again into 27 + 26 bits, are added per exponent with ``np.bincount``, whose
float64 accumulator is exact while a bin's total stays below 2^53 (at most 2^25 values of < 2^27 per call).
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

SCALE_BITS = 1074  # the smallest subnormal double is 2^-1074
_CALL = 1 << 16  # values per bincount call (2^16 * 2^27 < 2^53: every bin total is exact; small blocks stay in cache)
_LOW_BITS = 26


def exact_sum(values: np.ndarray) -> int:
    """The exact sum of finite float64 ``values`` as an integer count of 2^-1074."""
    values = np.ascontiguousarray(values, dtype=np.float64)
    total = 0
    for start in range(0, len(values), _CALL):
        bits = values[start:start + _CALL].view(np.uint64)
        biased = (bits >> np.uint64(52)) & np.uint64(0x7FF)
        # 53-bit integer mantissa: the stored 52 bits plus the implicit leading bit of normal numbers
        mantissa = ((bits & np.uint64(0xFFFFFFFFFFFFF)) | ((biased != 0).astype(np.uint64) << np.uint64(52)))
        negative = (bits >> np.uint64(63)).view(np.int64)
        signed = (mantissa.view(np.int64) ^ -negative) + negative  # two's complement negation where the sign is set
        exponent = biased.view(np.int64)
        high = np.bincount(exponent, weights=(signed >> _LOW_BITS).astype(np.float64))
        low = np.bincount(exponent, weights=(signed & ((1 << _LOW_BITS) - 1)).astype(np.float64))
        for index in np.flatnonzero((high != 0) | (low != 0)).tolist():
            # value = mantissa * 2^(max(biased, 1) - 1075) = mantissa * 2^(max(biased, 1) - 1) units of 2^-1074
            total += ((int(high[index]) << _LOW_BITS) + int(low[index])) << (max(index, 1) - 1)
    return total


def from_bins(high: np.ndarray, low: np.ndarray) -> int:
    """The exact sum from per-exponent mantissa sums (high and low 26 bits), as exact_sum adds them up."""
    total = 0
    for index in np.flatnonzero((high != 0) | (low != 0)).tolist():
        total += ((int(high[index]) << _LOW_BITS) + int(low[index])) << (max(index, 1) - 1)
    return total


def to_float(numerator: int, count: int = 1) -> float:
    """``numerator * 2^-1074 / count``, correctly rounded (inf beyond the float range)."""
    try:
        return numerator / (count << SCALE_BITS)
    except OverflowError:
        return float("inf") if numerator > 0 else float("-inf")


def to_text(numerator: int) -> str:
    """The exact sum as a reduced fraction ``p/q`` (q a power of two) for partial statistics files."""
    value = Fraction(numerator, 1 << SCALE_BITS)
    return f"{value.numerator}/{value.denominator}"


def from_text(text: str) -> int:
    """Inverse of ``to_text``; ValueError when ``text`` is not such a fraction."""
    value = Fraction(text)
    numerator = value * (1 << SCALE_BITS)
    if numerator.denominator != 1:
        raise ValueError(f"{text} is not a multiple of 2^-{SCALE_BITS}")
    return int(numerator)
