"""Sharded data quality: `data-quality --partial` per shard, `merge-statistics` over the shards (issue 19 section 2).

Merging gives exactly the single pass's counts, min, max, sum and mean; std_dev up to float rounding; the KLL
sketch merges as Deequ merges (QuantileNonSample.merge), so ranks, buckets and drift distances agree within the
sketch's error (the 1%-of-n rank bound tests/test_analyze_properties.py holds the single-pass sketch to)."""

from __future__ import annotations

import json
import math
import shutil
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from pipelines.analyze import checks, exact, kll, partial
from pipelines.analyze.capture import Problems, Window
from pipelines.analyze.commands import WindowProfile
from pipelines.analyze.stats import Profile
from tests.support.analyze import make_case, read, run_cli

FEATURES = [("amount", "Fractional"), ("count", "Integral"), ("kind", "String")]


def _rows(values: np.ndarray, counts: np.ndarray, kinds: np.ndarray) -> list[str]:
    return [f"{v!r},{c},{k}" for v, c, k in zip(values.tolist(), counts.tolist(), kinds.tolist(), strict=True)]


def _profile(files: list[list[str]]) -> WindowProfile:
    """One shard (or the single pass): its files' rows profiled in order, one batch per file."""
    result = WindowProfile(Profile(FEATURES))
    for rows in files:
        result.records += len(rows)
        result.profile.add_csv(rows, result.unprofiled)
    return result


def _through_file(window_profile: WindowProfile, first: str) -> partial.Partial:
    """A shard's partial statistics as the merge step reads them: JSON text and back."""
    document = partial.to_document(window_profile, Window(), {"host": None, "first_capture": first})
    return partial.Partial(json.loads(json.dumps(document, allow_nan=False)), f"{first}.json")


@pytest.mark.slow
@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 30_000), files=st.integers(1, 12), shards=st.integers(1, 5),
       scale=st.sampled_from([1e-3, 1.0, 1e6]))
def test_merged_shards_give_the_single_pass_counts_extremes_sum_and_mean_exactly(seed, n, files, shards, scale):
    rng = np.random.default_rng(seed)
    values = rng.lognormal(0.0, 2.0, n) * scale * rng.choice([-1.0, 1.0], n)
    rows = _rows(values, rng.poisson(3.0, n), rng.choice(["a", "b", "c"], n, p=[0.7, 0.2, 0.1]))
    cuts = np.sort(rng.choice(np.arange(1, n), size=min(files - 1, n - 1), replace=False)) if n > 1 else []
    file_rows = [part.tolist() for part in np.split(np.array(rows, dtype=object), cuts)]
    owner = rng.integers(0, shards, len(file_rows))  # ShardedByS3Key: each file goes to one instance
    single = _profile(file_rows).profile
    parts = [_through_file(_profile([f for f, o in zip(file_rows, owner, strict=True) if o == shard]),
                           f"shard-{shard}") for shard in sorted(set(owner.tolist()))]
    merged = partial.merge(parts).profile
    assert merged.items == single.items == n
    for mine, theirs in zip(merged.features, single.features, strict=True):
        theirs.flush()  # the one pass's last mean/M2 block, as writing statistics.json folds it
        assert (mine.count, mine.missing, dict(mine.types), dict(mine.categories)) == \
            (theirs.count, theirs.missing, dict(theirs.types), dict(theirs.categories))
        assert (mine.low, mine.high, mine.total, mine.exact_mean) == (theirs.low, theirs.high, theirs.total,
                                                                       theirs.exact_mean)
        assert math.isclose(mine.m2, theirs.m2, rel_tol=1e-9, abs_tol=1e-300)
    amount = merged.features[0]
    assert amount.total == math.fsum(values.tolist())  # and both are the correctly rounded exact sum
    table = amount.sketch.rank_table()
    assert table[1][-1] == n  # the merged sketch keeps every item's weight
    probes = np.quantile(values, [0.01, 0.25, 0.5, 0.75, 0.99])
    exact_ranks = np.searchsorted(np.sort(values), probes, side="right")
    assert np.max(np.abs(kll.ranks_at(table, probes) - exact_ranks)) <= max(1, 0.01 * n)


@pytest.mark.slow
@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(5_000, 40_000), shards=st.integers(2, 6),
       shift=st.floats(0.0, 1.0))
def test_the_drift_distance_of_merged_shards_is_within_the_sketch_error_of_the_exact_distance(seed, n, shards, shift):
    rng = np.random.default_rng(seed)
    baseline_values = rng.normal(0.0, 1.0, 20_000)
    window = rng.normal(shift, 1.0, n)
    baseline = Profile([("x", "Fractional")])
    baseline.add_csv([repr(v) for v in baseline_values.tolist()], Problems())
    rows = [repr(v) for v in window.tolist()]
    pieces = np.array_split(np.arange(n), shards)
    parts = []
    for index, piece in enumerate(pieces):
        shard = WindowProfile(Profile([("x", "Fractional")]))
        shard.profile.add_csv([rows[i] for i in piece.tolist()], shard.unprofiled)
        parts.append(_through_file(shard, f"shard-{index}"))
    merged = partial.merge(parts).profile
    constraints = {"features": [{"name": "x", "inferred_type": "Fractional"}],
                   "monitoring_config": {"distribution_constraints": {"comparison_method": "Simple"}}}
    distance = checks.evaluate(merged, baseline.to_json(), constraints).distances["x"]
    both = np.sort(np.r_[baseline_values, window])
    exact_distance = float(np.max(np.abs(np.searchsorted(np.sort(baseline_values), both, side="right") / 20_000
                                         - np.searchsorted(np.sort(window), both, side="right") / n)))
    assert abs(distance - exact_distance) <= 0.02  # each sketch's CDF is within 1% of its exact CDF


def test_merging_one_shard_changes_nothing_and_the_sketch_state_survives_the_file():
    rng = np.random.default_rng(3)
    rows = _rows(rng.normal(50, 10, 9_000), rng.poisson(2, 9_000), rng.choice(["x", "y"], 9_000))
    single = _profile([rows[:4_000], rows[4_000:]])
    merged = partial.merge([_through_file(_profile([rows[:4_000], rows[4_000:]]), "only")])
    assert merged.profile.to_json() == single.profile.to_json()
    assert merged.profile.features[0].sketch.state() == single.profile.features[0].sketch.state()


def test_sketches_merge_as_deequ_merges_them_levels_appended_then_condensed():
    """QuantileNonSample.merge: append the other's items level by level, then condense while size >= capacity."""
    left, right = kll.KLL(k=8), kll.KLL(k=8)
    left.update(np.arange(10, dtype=float))  # capacity(0) = 10, total 10 + 8 = 18 after the first condense
    right.update(np.arange(100, 105, dtype=float))
    assert [level.tolist() for level in left.levels] == [list(map(float, range(10)))]
    left.merge(right)
    # 15 items >= 10 (one compactor's capacity): level 0 compacts (sorted, every other item from offset 0)
    assert [level.tolist() for level in left.levels] == [[104.0], [0.0, 2.0, 4.0, 6.0, 8.0, 100.0, 102.0]]
    assert left.rank_table()[1][-1] == 15


def test_exact_sums_are_exact_and_correctly_rounded():
    values = np.array([0.1, 0.2, 0.3, -0.6, 1e300, -1e300, 5e-324])
    numerator = exact.exact_sum(values)
    assert numerator == sum(Fraction(v) for v in values.tolist()) * 2**1074  # 0.1 + 0.2 + 0.3 - 0.6 is not 0
    assert exact.to_float(numerator) == math.fsum(values.tolist()) == 2.7755575615628914e-17
    assert exact.from_text(exact.to_text(numerator)) == numerator
    assert exact.to_float(exact.exact_sum(np.array([0.1, 0.2])), 2) == 0.15000000000000002


# -- the two commands ---------------------------------------------------------------------------------------------


def _shard_folders(case, tmp_path: Path, owners: list[int]) -> list[Path]:
    """The case's capture files dealt to shards as ShardedByS3Key would (file i to shard owners[i])."""
    files = sorted(case.capture.rglob("*.jsonl"))
    assert len(files) == len(owners)
    folders = [tmp_path / f"shard{i}" for i in range(max(owners) + 1)]
    for path, owner in zip(files, owners, strict=True):
        target = folders[owner] / path.relative_to(case.capture)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, target)
    return folders


def _partial_args(case, capture: Path, output: Path) -> list[str]:
    return ["data-quality", "--partial", "--capture", str(capture), "--statistics", str(case.statistics),
            "--output", str(output)]


def test_shards_merged_write_the_single_pass_violations_and_statistics(tmp_path, capsys):
    case = make_case(tmp_path, n=25_000, n_features=3, drift={1: 0.6})  # 3 hour files (10,000 records an hour)
    assert run_cli(case.dq_args(), capsys)[0] == 3
    for index, folder in enumerate(_shard_folders(case, tmp_path, [1, 0, 1])):
        code, out, err = run_cli(_partial_args(case, folder, tmp_path / f"part{index}"), capsys)
        assert (code, err) == (0, "")
        assert out.splitlines()[0].endswith("captured records in 2 file(s); merge the shards with merge-statistics" if
                                            index == 1 else "captured records in 1 file(s); merge the shards with "
                                            "merge-statistics")
    code, out, err = run_cli(["merge-statistics", str(tmp_path / "part1"), str(tmp_path / "part0"), "--statistics",
                              str(case.statistics), "--constraints", str(case.constraints), "--output",
                              str(tmp_path / "merged")], capsys)
    assert (code, err) == (3, "")
    assert out.splitlines()[0] == "merge-statistics (2 shard(s)): 25000 rows from 25000 captured records; " \
                                  "1 violation(s)"
    single, merged = read(case.output / "statistics.json"), read(tmp_path / "merged" / "statistics.json")
    for mine, theirs in zip(merged["features"], single["features"], strict=True):
        mine_n, theirs_n = mine["numerical_statistics"], theirs["numerical_statistics"]
        assert mine_n["common"] == theirs_n["common"]
        assert [mine_n[key] for key in ("min", "max", "sum", "mean")] == \
            [theirs_n[key] for key in ("min", "max", "sum", "mean")]
        assert mine_n["std_dev"] == pytest.approx(theirs_n["std_dev"], rel=1e-12)
    assert [(v["feature_name"], v["constraint_check_type"]) for v in
            read(tmp_path / "merged" / "constraint_violations.json")["violations"]] == \
        [(v["feature_name"], v["constraint_check_type"]) for v in
         read(case.output / "constraint_violations.json")["violations"]] == [("merchant_category",
                                                                             "baseline_drift_check")]


def test_the_merged_files_do_not_depend_on_the_order_the_shards_are_given_in(tmp_path, capsys):
    case = make_case(tmp_path, n=25_000, n_features=2)
    for index, folder in enumerate(_shard_folders(case, tmp_path, [0, 1, 2])):
        run_cli(_partial_args(case, folder, tmp_path / "parts" / f"p{index}"), capsys)
    outputs = []
    for name, order in (("a", ["p0", "p1", "p2"]), ("b", ["p2", "p0", "p1"])):
        run_cli(["merge-statistics", *[str(tmp_path / "parts" / p / "partial_statistics.json") for p in order],
                 "--statistics", str(case.statistics), "--constraints", str(case.constraints), "--output",
                 str(tmp_path / name)], capsys)
        outputs.append((tmp_path / name / "statistics.json").read_bytes())
    assert outputs[0] == outputs[1]
    code, out, _ = run_cli(["merge-statistics", str(tmp_path / "parts"), "--statistics", str(case.statistics),
                            "--constraints", str(case.constraints), "--output", str(tmp_path / "c")], capsys)
    assert code == 0 and (tmp_path / "c" / "statistics.json").read_bytes() == outputs[0]  # a folder = its shards


@pytest.mark.parametrize(("edit", "message"), [
    (lambda doc: doc.update(kind="statistics"), "is not a partial statistics file (no \"kind\": "
     "\"fraud-monitor/partial-statistics\"); pass the files `data-quality --partial` wrote"),
    (lambda doc: doc.update(version=2), "has version 2; this analyzer reads version 1: run the shards and the merge "
     "with the same analyzer"),
    (lambda doc: doc["features"][0].update(sum_exact="abc"), "is malformed (ValueError: Invalid literal for Fraction: "
     "'abc'); rerun the shard"),
    (lambda doc: doc["features"][0]["sketch"].update(offsets=[7]), "is malformed (ValueError: sketch offsets must be "
     "0 or 1 and items finite numbers); rerun the shard"),
])
def test_a_bad_partial_file_is_one_line_and_exit_2_with_nothing_written(tmp_path, capsys, edit, message):
    case = make_case(tmp_path, n=500, n_features=2)
    run_cli(_partial_args(case, case.capture, tmp_path / "part"), capsys)
    path = tmp_path / "part" / "partial_statistics.json"
    document = read(path)
    edit(document)
    path.write_text(json.dumps(document))
    code, out, err = run_cli(["merge-statistics", str(path), "--statistics", str(case.statistics), "--constraints",
                              str(case.constraints), "--output", str(tmp_path / "merged")], capsys)
    assert (code, out, err) == (2, "", f"error: partial statistics {path} {message}\n")
    assert not (tmp_path / "merged").exists()


def test_shards_of_other_windows_or_baselines_are_refused(tmp_path, capsys):
    case = make_case(tmp_path, n=25_000, n_features=2)
    run_cli(_partial_args(case, case.capture, tmp_path / "a") + ["--end", "2026-11-27T01:00:00Z"], capsys)
    run_cli(_partial_args(case, case.capture, tmp_path / "b") + ["--start", "2026-11-27T01:00:00Z"], capsys)
    a, b = tmp_path / "a" / "partial_statistics.json", tmp_path / "b" / "partial_statistics.json"
    code, _, err = run_cli(["merge-statistics", str(a), str(b), "--statistics", str(case.statistics),
                            "--constraints", str(case.constraints), "--output", str(tmp_path / "m")], capsys)
    assert (code, err) == (2, f"error: partial statistics {b} covers window [2026-11-27T01:00:00Z, open), {a} "
                              "covers [open, 2026-11-27T01:00:00Z); merge shards of one window\n")
    other = make_case(tmp_path / "other", n=100, n_features=3)
    code, _, err = run_cli(["merge-statistics", str(a), "--statistics", str(other.statistics), "--constraints",
                            str(other.constraints), "--output", str(tmp_path / "m")], capsys)
    assert (code, err) == (2, f"error: partial statistics {a} was profiled against other features than "
                              f"{other.statistics}; merge with the baseline the shards used\n")
    code, _, err = run_cli(["merge-statistics", str(a), str(tmp_path / "a"), "--statistics", str(case.statistics),
                            "--constraints", str(case.constraints), "--output", str(tmp_path / "m")], capsys)
    assert (code, err) == (2, f"error: partial statistics {a} is given twice; each shard counts once\n")
    code, _, err = run_cli(["merge-statistics", str(tmp_path / "other"), "--statistics", str(case.statistics),
                            "--constraints", str(case.constraints), "--output", str(tmp_path / "m")], capsys)
    assert (code, err) == (2, f"error: no partial_statistics*.json under {tmp_path / 'other'}; pass the shards' "
                              "output folder or their files\n")
    assert not (tmp_path / "m").exists()


def test_data_quality_without_constraints_is_only_for_a_partial_shard(tmp_path, capsys):
    case = make_case(tmp_path, n=100, n_features=2)
    args = [arg for arg in case.dq_args() if arg != str(case.constraints) and arg != "--constraints"]
    assert run_cli(args, capsys) == (2, "", "error: data-quality needs --constraints (only a --partial shard runs "
                                            "without them)\n")


def test_a_shard_without_capture_files_writes_an_empty_partial_and_the_merge_decides_on_the_union(tmp_path, capsys):
    """ShardedByS3Key gives an instance nothing when there are more instances than files: its shard is not an error;
    merged with the others it changes nothing, and shards that found nothing at all fail as one pass would."""
    case = make_case(tmp_path, n=25_000, n_features=2)
    assert run_cli(case.dq_args(), capsys)[0] == 0
    empty = tmp_path / "empty-shard"
    empty.mkdir()
    code, out, err = run_cli(_partial_args(case, empty, tmp_path / "p-empty"), capsys)
    assert (code, out.splitlines()[0], err) == (0, "data-quality --partial: 0 rows from 0 captured records in 0 "
                                                   "file(s); merge the shards with merge-statistics", "")
    run_cli(_partial_args(case, case.capture, tmp_path / "p-full"), capsys)
    code, out, err = run_cli(["merge-statistics", str(tmp_path / "p-empty"), str(tmp_path / "p-full"),
                              "--statistics", str(case.statistics), "--constraints", str(case.constraints),
                              "--output", str(tmp_path / "merged")], capsys)
    assert (code, err) == (0, "")
    assert out.splitlines()[0] == "merge-statistics (2 shard(s)): 25000 rows from 25000 captured records; " \
                                  "0 violation(s)"
    assert (tmp_path / "merged" / "statistics.json").read_bytes() == (case.output / "statistics.json").read_bytes()
    code, out, err = run_cli(["merge-statistics", str(tmp_path / "p-empty"), "--statistics", str(case.statistics),
                              "--constraints", str(case.constraints), "--output", str(tmp_path / "none")], capsys)
    assert (code, out) == (2, "")
    assert err == (f"error: no Data Capture files under {empty} (expected <endpoint>/<variant>/yyyy/mm/dd/hh/*.jsonl);"
                   " check that it is the endpoint's DataCaptureConfig DestinationS3Uri (or one endpoint's folder in "
                   "it) and that capture is enabled and the endpoint had traffic\n")
    assert not (tmp_path / "none").exists()
