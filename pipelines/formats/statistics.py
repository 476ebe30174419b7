"""Model Monitor's data quality ``statistics.json`` read side: a feature's distribution and Deequ's drift distance
between two documents' features. Standard library only (the report's --html reads it without the analyzer).

Formats: AWS docs model-monitor-byoc-statistics (``numerical_statistics.distribution.kll.{buckets, sketch}``,
``string_statistics.distribution.categorical.buckets``). Distance: awslabs/deequ ``Distance.scala``
(numericalDistance over both sketches' items with ranks from ``QuantileNonSample.getRankMap``, where an item at level
i weighs 2^i; categoricalLInfinityDistance; selectMetrics "Robust" = L-inf minus 1.8 * sqrt((n + m) / (n m)),
floored at 0). The analyzer computes the same with numpy (pipelines/analyze/kll.py); tests/test_report_history.py
checks that the two agree to the last bit on the registry's baseline and real-job statistics.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from typing import Any

C_ALPHA = 1.8  # Distance.defaultCAlpha
DEFAULT_THRESHOLD = 0.1  # comparison_threshold (model-monitor-byoc-constraints)


def sketch_ranks(sketch: dict[str, Any] | None) -> tuple[list[float], list[float]]:
    """Sorted distinct items of a stored KLL sketch and their inclusive cumulative weights."""
    pairs = sorted(((float(item), 2.0 ** level) for level, items in enumerate((sketch or {}).get("data") or [])
                    for item in items), key=lambda pair: pair[0])
    items: list[float] = []
    cumulative: list[float] = []
    total = 0.0
    for item, weight in pairs:
        total += weight
        if items and items[-1] == item:
            cumulative[-1] = total  # a repeated item keeps the rank of its last copy
        else:
            items.append(item)
            cumulative.append(total)
    return items, cumulative


def _rank(table: tuple[list[float], list[float]], key: float) -> float:
    index = bisect_right(table[0], key) - 1
    return table[1][index] if index >= 0 else 0.0


def categorical_counts(feature: dict[str, Any]) -> dict[str, float]:
    """value -> count from ``string_statistics.distribution.categorical.buckets``."""
    buckets = (((feature.get("string_statistics") or {}).get("distribution") or {}).get("categorical") or {}) \
        .get("buckets") or []
    return {str(bucket["value"]): float(bucket["count"]) for bucket in buckets}


def _robust(simple: float, n: float, m: float, method: str) -> float:
    if method == "Simple":
        return simple
    return max(0.0, simple - C_ALPHA * math.sqrt((n + m) / (n * m)))


def distance(baseline: dict[str, Any], current: dict[str, Any], method: str = "Robust") -> float | None:
    """Deequ's drift distance of one feature between two statistics.json feature entries (None: nothing to compare:
    no sketch or no categories on one side)."""
    if baseline.get("numerical_statistics") is not None:
        tables = [sketch_ranks((((side.get("numerical_statistics") or {}).get("distribution") or {}).get("kll")
                                or {}).get("sketch")) for side in (baseline, current)]
        if not tables[0][0] or not tables[1][0]:
            return None
        n, m = tables[0][1][-1], tables[1][1][-1]
        keys = sorted(set(tables[0][0]) | set(tables[1][0]))
        simple = max(abs(_rank(tables[0], key) / n - _rank(tables[1], key) / m) for key in keys)
        return _robust(simple, n, m, method)
    counts = [categorical_counts(side) for side in (baseline, current)]
    if not counts[0] or not counts[1]:
        return None
    n, m = sum(counts[0].values()), sum(counts[1].values())
    simple = max(abs(counts[0].get(key, 0) / n - counts[1].get(key, 0) / m) for key in set(counts[0]) | set(counts[1]))
    return _robust(simple, n, m, method)


def drift_settings(constraints: dict[str, Any] | None, feature: str) -> tuple[str, float, float, str]:
    """(comparison_method, numerical threshold, categorical threshold, categorical_drift_method) for one feature:
    monitoring_config.distribution_constraints, then the feature's overrides; defaults per
    model-monitor-byoc-constraints (categorical_comparison_threshold defaults to comparison_threshold)."""
    config = dict(((constraints or {}).get("monitoring_config") or {}).get("distribution_constraints") or {})
    for item in (constraints or {}).get("features") or []:
        if isinstance(item, dict) and item.get("name") == feature:
            for holder in (item, item.get("num_constraints") or {}, item.get("string_constraints") or {}):
                for key in ("monitoringConfigOverrides", "monitoring_config_overrides"):
                    overrides = holder.get(key) or {}
                    config.update(overrides.get("distribution_constraints") or {})
                    config.update({k: v for k, v in overrides.items() if k != "distribution_constraints"})
    threshold = float(config.get("comparison_threshold", DEFAULT_THRESHOLD))
    return (str(config.get("comparison_method", "Robust")), threshold,
            float(config.get("categorical_comparison_threshold", threshold)),
            str(config.get("categorical_drift_method", "LInfinity")))
