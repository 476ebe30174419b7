"""Property tests of the analyzer's drift check and KLL sketch (hypothesis)."""

from __future__ import annotations

import numpy as np
import pytest

from hypothesis import given, settings
from hypothesis import strategies as st

from pipelines.analyze import checks, kll
from pipelines.analyze.capture import Problems
from pipelines.analyze.stats import Profile

pytestmark = pytest.mark.slow


def _profile(values: np.ndarray) -> Profile:
    profile = Profile([("x", "Fractional")])
    profile.add_csv([f"{v:.4f}" for v in values], Problems())
    return profile


def _constraints(method: str, threshold: float) -> dict:
    return {"features": [{"name": "x", "inferred_type": "Fractional", "completeness": 1.0}],
            "monitoring_config": {"distribution_constraints": {"comparison_method": method,
                                                               "comparison_threshold": threshold}}}


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), mean=st.floats(-1e3, 1e3), scale=st.floats(0.1, 1e3),
       n=st.integers(3000, 8000), m=st.integers(1000, 4000))
def test_data_from_the_baseline_distribution_gives_no_drift_violation(seed, mean, scale, n, m):
    rng = np.random.default_rng(seed)
    baseline = _profile(rng.normal(mean, scale, n)).to_json()
    window = _profile(rng.normal(mean, scale, m))
    result = checks.evaluate(window, baseline, _constraints("Robust", 0.1))
    assert result.violations == []


@settings(max_examples=40, deadline=None)
@given(n=st.integers(20, 1000), data=st.data())
def test_a_shifted_feature_has_the_hand_computed_linf_distance(n, data):
    """Baseline 0..n-1, window k..n-1+k (both under the sketch's capacity, so exact): sup |F1 - F2| = k / n."""
    k = data.draw(st.integers(1, n - 1))
    baseline = _profile(np.arange(n, dtype=float)).to_json()
    window = _profile(np.arange(n, dtype=float) + k)
    result = checks.evaluate(window, baseline, _constraints("Simple", 0.0))
    hand = max(abs(min(x + 1, n) / n - max(0, x + 1 - k) / n) for x in range(n + k))
    assert result.distances["x"] == hand
    assert result.distances["x"] == pytest.approx(k / n, abs=1e-12)
    assert result.violations == [{"feature_name": "x", "constraint_check_type": "baseline_drift_check",
                                  "description": f"Baseline drift distance: {hand!r} exceeds threshold: 0.0"}]


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 200_000))
def test_kll_ranks_stay_within_one_percent(seed, n):
    values = np.random.default_rng(seed).random(n)
    sketch = kll.KLL()
    for start in range(0, n, 7919):  # uneven batches: same sketch as item by item
        sketch.update(values[start:start + 7919])
    table = sketch.rank_table()
    assert table[1][-1] == n  # weights add up to the number of items
    probes = np.quantile(values, [0.01, 0.25, 0.5, 0.75, 0.99])
    exact = np.searchsorted(np.sort(values), probes, side="right")
    assert np.max(np.abs(kll.ranks_at(table, probes) - exact)) <= max(1, 0.01 * n)


def test_batched_updates_equal_item_by_item_updates():
    values = np.random.default_rng(7).random(12_000)
    batched, single = kll.KLL(k=64), kll.KLL(k=64)
    batched.update(values)
    for value in values:
        single.update(np.array([value]))
    assert batched.to_json() == single.to_json()
