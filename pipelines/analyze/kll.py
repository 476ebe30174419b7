"""The KLL quantile sketch Model Monitor stores in statistics.json, and Deequ's distances between two profiles.

Sources (read in awslabs/deequ):
- src/main/scala/com/amazon/deequ/analyzers/QuantileNonSample.scala: compactor capacities, condense, rank map, merge.
- src/main/scala/com/amazon/deequ/analyzers/NonSampleCompactor.scala: compact (sort, keep every other item with
  an offset that alternates every second compaction, carry an odd last item).
- src/main/scala/com/amazon/deequ/analyzers/KLLSketch.scala: defaults k=2048, c=0.64; the 10 equal-width buckets.
- src/main/scala/com/amazon/deequ/analyzers/Distance.scala: numericalDistance, categoricalDistance (LInfinity,
  Chisquare with regrouping), selectMetrics (linf_simple vs linf_robust).
AWS documents the statistics.json shape (``distribution.kll.{buckets, sketch.{parameters.{c, k}, data}}``) at
https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-byoc-statistics.html .
"""

from __future__ import annotations

import heapq
import math
from typing import Any

import numpy as np

DEFAULT_K = 2048  # KLLSketch.DEFAULT_SKETCH_SIZE
DEFAULT_C = 0.64  # KLLSketch.DEFAULT_SHRINKING_FACTOR
BUCKETS = 10  # "By default, we materialize the distribution in 10 buckets" (model-monitor-byoc-statistics)
DEFAULT_C_ALPHA = 1.8  # Distance.defaultCAlpha (alpha 0.003, Knuth TAOCP vol. 2, eq. 15)


def total_order_sort(values: np.ndarray) -> np.ndarray:
    """``values`` sorted in Java's total order of doubles, as the compactor sorts them (Scala's Ordering.Double and
    java.util.Arrays.sort(double[]): -0.0 before 0.0, every NaN last): numpy's float sort leaves -0.0 and 0.0 in
    any order, which changes which of them a compaction keeps. The fast reader's C sort (_native.c) uses the same
    keys."""
    words = np.where(np.isnan(values), np.nan, values).view(np.int64)
    keys = np.where(words < 0, ~words, words | np.int64(-0x8000000000000000)).view(np.uint64)
    keys = np.sort(keys).view(np.int64)
    return np.where(keys < 0, keys & np.int64(0x7FFFFFFFFFFFFFFF), ~keys).view(np.float64)


def _union(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """np.union1d (the sorted distinct values of both, the same sort and the same first-of-equals), without
    np.unique, whose first call imports numpy.ma (12 ms of every run's start-up)."""
    values = np.sort(np.concatenate((first, second), axis=None))
    if len(values) < 2:
        return values
    keep = np.empty(len(values), dtype=bool)
    keep[0] = True
    np.not_equal(values[1:], values[:-1], out=keep[1:])
    return values[keep]


class KLL:
    """A KLL sketch with Deequ's compaction rules; ``update`` takes numpy batches (same result as item by item)."""

    def __init__(self, k: int = DEFAULT_K, c: float = DEFAULT_C) -> None:
        self.k = int(k)
        self.c = float(c)
        self.levels: list[np.ndarray] = [np.empty(0)]
        self._compressions: list[int] = [0]
        self._offsets: list[int] = [0]
        self._capacities: list[int] = []
        self._total = 0

    def capacity(self, height: int) -> int:
        """QuantileNonSample.capacity: 2 * (ceil(k * c^height / 2) + 1)."""
        return 2 * (math.ceil(self.k * self.c ** height / 2) + 1)

    def _total_capacity(self) -> int:
        if len(self._capacities) != len(self.levels):  # cached: called for every condense
            self._capacities = [self.capacity(h) for h in range(len(self.levels))]
            self._total = sum(self._capacities)
        return self._total

    def _size(self) -> int:
        return sum(len(level) for level in self.levels)

    def update(self, values: np.ndarray) -> None:
        """Add values; condense exactly when Deequ's item-by-item update would (size > total capacity)."""
        values = np.asarray(values, dtype=np.float64)
        start = 0
        while start < len(values):
            room = self._total_capacity() - self._size() + 1  # the item that overflows triggers one condense
            take = values[start:start + room]
            self.levels[0] = np.concatenate((self.levels[0], take))
            start += len(take)
            if self._size() > self._total_capacity():
                self._condense()

    def _condense(self) -> None:
        """Compact the lowest level at or over its capacity into the level above (QuantileNonSample.condense)."""
        self._total_capacity()
        for height in range(len(self.levels)):
            if len(self.levels[height]) >= self._capacities[height]:
                if height + 1 >= len(self.levels):
                    self.levels.append(np.empty(0))
                    self._compressions.append(0)
                    self._offsets.append(0)
                self.levels[height + 1] = np.concatenate((self.levels[height + 1], self._compact(height)))
                return

    def _compact(self, height: int) -> np.ndarray:
        """NonSampleCompactor.compact: sorted even-length prefix, every other item from the offset; odd tail stays."""
        buffer = self.levels[height]
        even = len(buffer) - len(buffer) % 2
        if self._compressions[height] % 2 == 1:
            self._offsets[height] = 1 - self._offsets[height]
        output = total_order_sort(buffer[:even])[self._offsets[height]:even:2]
        self.levels[height] = buffer[even:]
        self._compressions[height] += 1
        return output

    def rank_table(self) -> tuple[np.ndarray, np.ndarray]:
        """Sorted distinct items and their inclusive ranks (QuantileNonSample.getRankMap; level i weighs 2^i).
        Kept while the levels are the same arrays (every change here replaces them): statistics.json's buckets and
        the drift check both ask for the window's."""
        key = tuple((id(level), len(level)) for level in self.levels)
        cached = getattr(self, "_table", None)
        if cached is None or cached[0] != key:  # the arrays are kept with it, so no other array takes their ids
            cached = (key, rank_table(self.levels), list(self.levels))
            self._table = cached
        return cached[1]

    def to_json(self) -> dict[str, Any]:
        """``{"parameters": {"c", "k"}, "data": [[level 0 items], [level 1 items], ...]}`` as statistics.json has it."""
        return {"parameters": {"c": self.c, "k": float(self.k)}, "data": [level.tolist() for level in self.levels]}

    @classmethod
    def from_json(cls, sketch: dict[str, Any]) -> "KLL":
        """Rebuild a sketch from statistics.json (QuantileNonSample.reconstruct)."""
        parameters = sketch.get("parameters") or {}
        self = cls(int(parameters.get("k", DEFAULT_K)), float(parameters.get("c", DEFAULT_C)))
        self.levels = [np.asarray(level, dtype=np.float64) for level in sketch.get("data") or [[]]]
        self._compressions = [0] * len(self.levels)
        self._offsets = [0] * len(self.levels)
        self._capacities = []
        return self

    def state(self) -> dict[str, Any]:
        """The whole sketch state, for partial statistics: the items of each level and each compactor's compression
        count and offset (Deequ's KLLSketchSerializer keeps the same fields, so a merge continues exactly)."""
        return {"k": self.k, "c": self.c, "data": [level.tolist() for level in self.levels],
                "compressions": list(self._compressions), "offsets": list(self._offsets)}

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> "KLL":
        """Inverse of ``state``; ValueError when the state is malformed."""
        self = cls(int(state["k"]), float(state["c"]))
        levels, compressions, offsets = state["data"], state["compressions"], state["offsets"]
        if not (isinstance(levels, list) and levels and len(levels) == len(compressions) == len(offsets)):
            raise ValueError("sketch levels, compressions and offsets do not line up")
        self.levels = [np.asarray(level, dtype=np.float64).reshape(-1) for level in levels]
        self._compressions = [int(value) for value in compressions]
        self._offsets = [int(value) for value in offsets]
        if any(value not in (0, 1) for value in self._offsets) or not all(np.isfinite(level).all()
                                                                         for level in self.levels):
            raise ValueError("sketch offsets must be 0 or 1 and items finite numbers")
        return self

    def merge(self, other: "KLL") -> None:
        """Add ``other`` into this sketch as Deequ does (QuantileNonSample.merge): grow to as many compactors, append
        ``other``'s items level by level after ours, then condense while the items fill the total capacity (``>=``,
        where an update condenses only past it). Compactor states (compressions, offsets) stay ours."""
        if (self.k, self.c) != (other.k, other.c):
            raise ValueError(f"cannot merge a sketch with k={other.k}, c={other.c} into one with k={self.k}, "
                             f"c={self.c}")
        while len(self.levels) < len(other.levels):
            self.levels.append(np.empty(0))
            self._compressions.append(0)
            self._offsets.append(0)
        for height, level in enumerate(other.levels):
            self.levels[height] = np.concatenate((self.levels[height], level))
        while self._size() >= self._total_capacity():
            self._condense()


def rank_table(levels: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Sorted distinct items and their inclusive cumulative weights."""
    if not levels or not any(len(level) for level in levels):
        return np.empty(0), np.empty(0)
    items = np.concatenate([np.asarray(level, dtype=np.float64) for level in levels])
    weights = np.concatenate([np.full(len(level), 2 ** i, dtype=np.float64) for i, level in enumerate(levels)])
    order = np.argsort(items, kind="stable")
    items, weights = items[order], np.cumsum(weights[order])
    last = np.r_[items[1:] != items[:-1], True]  # a repeated item keeps the rank of its last copy
    return items[last], weights[last]


def ranks_at(table: tuple[np.ndarray, np.ndarray], keys: np.ndarray) -> np.ndarray:
    """Rank of each key: weight of all items <= key (QuantileNonSample.getRank(item, rankMap))."""
    items, cumulative = table
    index = np.searchsorted(items, keys, side="right") - 1
    return np.where(index >= 0, cumulative[np.maximum(index, 0)], 0.0)


def buckets(table: tuple[np.ndarray, np.ndarray], low: float, high: float) -> list[dict[str, float]]:
    """KLLSketch.computeMetricFrom: 10 equal-width buckets [low, high], counts from ranks ([lo, hi), last [lo, hi])."""
    items, cumulative = table
    result = []
    # near the double's limits Deequ's formula overflows ((high - low) * i is inf, then NaN bounds): scale first
    wide = not math.isfinite((high - low) * BUCKETS)
    for i in range(BUCKETS):
        lower = low + (high - low) * i / BUCKETS if not wide else _between(low, high, i)
        upper = low + (high - low) * (i + 1) / BUCKETS if not wide else _between(low, high, i + 1)
        below_lower = _rank_exclusive(items, cumulative, lower)
        upper_rank = ranks_at(table, np.array([upper]))[0] if i == BUCKETS - 1 else \
            _rank_exclusive(items, cumulative, upper)
        result.append({"lower_bound": lower, "upper_bound": upper, "count": float(upper_rank - below_lower)})
    return result


def _between(low: float, high: float, i: int) -> float:
    """The i-th of BUCKETS equal steps from low to high without overflow (a weighted mean of the two ends)."""
    return high if i == BUCKETS else low * ((BUCKETS - i) / BUCKETS) + high * (i / BUCKETS)


def _rank_exclusive(items: np.ndarray, cumulative: np.ndarray, key: float) -> float:
    """Weight of items strictly below key (QuantileNonSample.getRankExclusive)."""
    index = int(np.searchsorted(items, key, side="left")) - 1
    return float(cumulative[index]) if index >= 0 else 0.0


def linf_simple_numerical(baseline: tuple[np.ndarray, np.ndarray],
                          current: tuple[np.ndarray, np.ndarray]) -> tuple[float, float, float]:
    """Distance.numericalDistance before selectMetrics: (max |CDF1 - CDF2| over both sketches' items, n, m)."""
    keys = _union(baseline[0], current[0])
    n, m = float(baseline[1][-1]), float(current[1][-1])
    return float(np.max(np.abs(ranks_at(baseline, keys) / n - ranks_at(current, keys) / m))), n, m


def linf_simple_categorical(baseline: dict[str, float], current: dict[str, float]) -> tuple[float, float, float]:
    """Distance.categoricalLInfinityDistance before selectMetrics: max |p1(v) - p2(v)| over all categories."""
    n, m = float(sum(baseline.values())), float(sum(current.values()))
    if not n or not m:  # a side that counts nothing has no distribution: the distance is undefined
        return math.nan, n, m
    keys = set(baseline) | set(current)
    return max(abs(baseline.get(key, 0) / n - current.get(key, 0) / m) for key in keys), n, m


def select_metric(linf_simple: float, n: float, m: float, method: str) -> float:
    """Distance.selectMetrics: "Simple" is linf_simple; "Robust" subtracts the two-sample Kolmogorov-Smirnov
    critical value c(alpha) * sqrt((n + m) / (n * m)) with c(alpha) = 1.8, floored at 0."""
    if math.isnan(linf_simple) or not n or not m:
        return math.nan  # undefined (an empty side): the caller says so rather than pass it
    if method == "Simple":
        return linf_simple
    return max(0.0, linf_simple - DEFAULT_C_ALPHA * math.sqrt((n + m) / (n * m)))


def chi_squared_p_value(current: dict[str, float], baseline: dict[str, float]) -> float:
    """Distance.categoricalChiSquareTest (p-value): baseline counts rescaled to the current sample, small categories
    regrouped per Cochran (2 categories: every expected count >= 10) / Yates (more: at most 20% below 5), then
    Pearson's chi-squared goodness of fit (Spark mllib Statistics.chiSqTest) with k - 1 degrees of freedom.
    NaN when fewer than 2 categories remain (Deequ returns Double.NaN)."""
    sample_sum = sum(count for key, count in current.items() if key in baseline)
    expected_sum = sum(baseline.values())
    if not expected_sum:  # a baseline that counts nothing: no expected distribution
        return math.nan
    expected = {key: count / expected_sum * sample_sum for key, count in baseline.items()}
    sample = {key: float(count) for key, count in current.items()}
    expected, sample = _regroup(expected, sample)
    if len(expected) < 2:
        return math.nan
    statistic = sum((sample.get(key, 0.0) - value) ** 2 / value for key, value in expected.items() if value > 0)
    return chi2_sf(statistic, len(expected) - 1)


def _regroup(expected: dict[str, float], sample: dict[str, float]) -> tuple[dict[str, float], dict[str, float]]:
    """Distance.regroupCategories: while too many expected counts are small, fold the smallest category into the
    second smallest. Deequ rescans the map for both minima and the small-count tally at every step (k^2: 16,000
    categories took 28 s); here a heap finds the minima and the tally is kept as categories change, in k log k,
    with the same result: ties go to the category that comes first in the baseline, as ``min`` over the dict did."""
    keys = list(expected)
    values = [expected[key] for key in keys]
    alive = [True] * len(keys)
    heap = [(value, index) for index, value in enumerate(values)]
    heapq.heapify(heap)
    remaining = len(keys)
    below_yates = sum(1 for value in values if value < 5)

    def pop_smallest() -> int:
        while True:
            value, index = heapq.heappop(heap)
            if alive[index] and values[index] == value:  # else a stale entry left by an update
                return index

    while remaining >= 2:
        if remaining == 2:  # Cochran: every expected count >= 10
            small, allowed = sum(1 for index in range(len(keys)) if alive[index] and values[index] < 10), 0
        else:
            small, allowed = below_yates, int(0.2 * remaining)
        if small <= allowed:
            break
        smallest = pop_smallest()
        alive[smallest] = False
        remaining -= 1
        below_yates -= values[smallest] < 5
        moved_sample = sample.pop(keys[smallest], 0.0)
        second = pop_smallest()
        below_yates -= values[second] < 5
        values[second] += values[smallest]
        below_yates += values[second] < 5
        heapq.heappush(heap, (values[second], second))
        sample[keys[second]] = sample.get(keys[second], 0.0) + moved_sample
    return {keys[index]: values[index] for index in range(len(keys)) if alive[index]}, sample


def chi2_sf(x: float, dof: int) -> float:
    """P(X > x) for chi-squared with ``dof`` degrees of freedom: the regularized upper incomplete gamma Q(dof/2,
    x/2) (series / continued fraction, Numerical Recipes 3rd ed. section 6.2)."""
    a, z = dof / 2.0, x / 2.0
    if x <= 0:
        return 1.0
    if z < a + 1:  # series for P, then Q = 1 - P
        term = total = 1.0 / a
        n = a
        for _ in range(1000):
            n += 1
            term *= z / n
            total += term
            if abs(term) < abs(total) * 1e-15:
                break
        return max(0.0, 1.0 - total * math.exp(-z + a * math.log(z) - math.lgamma(a)))
    tiny = 1e-300  # Lentz's continued fraction for Q
    b = z + 1 - a
    c, d = 1 / tiny, 1 / b
    h = d
    for i in range(1, 1000):
        an = -i * (i - a)
        b += 2
        d = an * d + b
        d = tiny if abs(d) < tiny else d
        c = b + an / c
        c = tiny if abs(c) < tiny else c
        d = 1 / d
        h *= d * c
        if abs(d * c - 1) < 1e-15:
            break
    return min(1.0, math.exp(-z + a * math.log(z) - math.lgamma(a)) * h)
