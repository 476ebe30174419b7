"""Issue 18 section 3 and issue 17's calibration item: isotonic calibration on a labelled reference (as NannyML's
CBPE), score drift as the label-free signal for prior shift, and outputs that are not probabilities."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import numpy as np
import pytest

from devtools.seed_captures import Traffic, start_of_day, write_captures, write_ground_truth
from pipelines.analyze import estimate as cbpe
from tests.support.analyze import read, run_cli

NOW = datetime(2031, 5, 4, 12, 0, tzinfo=timezone.utc)


def test_isotonic_fit_pools_adjacent_violators_like_scikit_learn():
    # hand-worked: labels by score 0,1,0,1,1 -> blocks [0], [1,0] pooled to 0.5, [1,1]; scikit-learn's
    # IsotonicRegression keeps each block's lowest and highest x (X_thresholds_) with the block's mean
    scores = np.array([0.1, 0.2, 0.3, 0.4, 0.5])
    labels = np.array([0, 1, 0, 1, 1])
    xs, ys = cbpe.fit_isotonic(scores, labels)
    assert xs.tolist() == [0.1, 0.2, 0.3, 0.4, 0.5]
    assert ys.tolist() == [0.0, 0.5, 0.5, 1.0, 1.0]


def test_isotonic_fit_weights_repeated_scores_by_their_count():
    scores = np.array([0.2, 0.2, 0.2, 0.6, 0.6])
    labels = np.array([1, 1, 0, 0, 0])  # 2/3 at 0.2, 0 at 0.6: violated, pooled to 2/5
    xs, ys = cbpe.fit_isotonic(scores, labels)
    assert xs.tolist() == [0.2, 0.6] and ys.tolist() == [0.4, 0.4]


def test_calibration_is_applied_by_linear_interpolation_clipped_at_both_ends():
    calibration = {"map": {"scores": [0.2, 0.6], "probabilities": [0.1, 0.5]}}
    assert cbpe.apply_calibration(calibration, np.array([0.0, 0.2, 0.4, 0.6, 1.0])).tolist() == \
        [0.1, 0.1, 0.30000000000000004, 0.5, 0.5]


@pytest.mark.parametrize("outputs, expected", [
    ([0.0, 1.0, 0.0, 0.0], "every score is one of 0, 1: the endpoint returns decisions, not probabilities, and no "
                           "recall can be estimated from decisions; capture the fraud probability instead"),
    ([1.0, 1.0, 1.0], "every score is one of 1: the endpoint returns decisions, not probabilities, and no recall can "
                      "be estimated from decisions; capture the fraud probability instead"),
    ([0.1, 0.9, 0.9], "every score is one of 0.1, 0.9: two values are not a probability of fraud per record; "
                      "capture the model's probability, or calibrate the scores on labelled data first"),
    ([0.2, 3.5, -1.0, 0.4], "2 of 4 scores are outside [0, 1]: the endpoint's output is not a probability (a margin "
                            "or logit?); calibrate it on labelled data first (python -m pipelines.analyze calibrate)"),
])
def test_outputs_that_are_not_probabilities_fail_the_calibration_check(outputs, expected):
    assert cbpe.score_problem(np.array(outputs)) == expected


def test_probabilities_pass_the_score_check():
    assert cbpe.score_problem(np.array([0.01, 0.2, 0.9])) is None


def _window(tmp_path, scores, labels, labelled=0):
    data = Traffic(np.full((len(scores), 2), 50.0), np.asarray(scores, dtype=float), np.asarray(labels))
    ids = write_captures(tmp_path / "capture", data, start_of_day())
    if labelled:
        write_ground_truth(tmp_path / "gt", ids[:labelled], data.labels[:labelled],
                           start_of_day() + timedelta(days=1))
    return ids


def test_hard_zero_one_outputs_give_no_estimate_and_exit_3(tmp_path, capsys):
    rng = np.random.default_rng(3)
    decisions = (rng.random(2000) < 0.01).astype(float)
    _window(tmp_path, decisions, decisions.astype(int))
    code, out, err = run_cli(["estimate", "--capture", str(tmp_path / "capture"), "--output",
                              str(tmp_path / "out")], capsys)
    assert (code, err) == (3, "")
    assert out.splitlines()[:2] == [
        "estimate: 2000 scored records at threshold 0.5; no estimate",
        "  calibration assumption FAILS: every score is one of 0, 1: the endpoint returns decisions, not "
        "probabilities, and no recall can be estimated from decisions; capture the fraud probability instead"]
    statistics = read(tmp_path / "out" / "statistics.json")
    assert statistics["binary_classification_metrics"]["recall"] == {"value": "NaN", "standard_deviation": "NaN"}
    assert statistics["estimate"]["calibration"]["holds"] is False


def _reference(seed, n, inflate=1.0):
    rng = np.random.default_rng(seed)
    p = np.where(rng.random(n) < 0.01, rng.beta(9.0, 2.0, n), rng.beta(0.5, 300.0, n))
    labels = (rng.random(n) < p).astype(np.int64)
    scores = inflate * p / (1 - p + inflate * p)  # class weight `inflate` multiplies the odds
    return np.round(scores, 6), labels


@pytest.mark.slow
def test_calibrate_then_estimate_corrects_class_weighted_scores(tmp_path, capsys):
    scores, labels = _reference(5, 30_000, inflate=20.0)
    _window(tmp_path / "ref", scores, labels, labelled=30_000)
    code, out, err = run_cli(["calibrate", "--capture", str(tmp_path / "ref" / "capture"), "--ground-truth",
                              str(tmp_path / "ref" / "gt"), "--output", str(tmp_path / "cal")], capsys, now=NOW)
    assert (code, err) == (0, "")
    document = read(tmp_path / "cal" / "calibration.json")
    assert document["kind"] == "fraud-score-calibration" and document["created"] == "2031-05-04T12:00:00Z"
    assert document["reference"] == {"records": 30_000, "frauds": int(labels.sum()),
                                     "fraud_rate": int(labels.sum()) / 30_000}
    assert document["expected_calibration_error"]["calibrated"] < document["expected_calibration_error"]["raw_scores"]
    assert out.startswith(f"calibrate: 30000 labelled records ({int(labels.sum())} frauds, join rate 100.0%)")

    window_scores, window_labels = _reference(6, 20_000, inflate=20.0)
    _window(tmp_path / "win", window_scores, window_labels)
    realized = float(np.sum((window_scores >= 0.5) & (window_labels == 1)) / window_labels.sum())
    args = ["estimate", "--capture", str(tmp_path / "win" / "capture"), "--output", str(tmp_path / "out")]
    code, out, _ = run_cli(args, capsys)
    raw = read(tmp_path / "out" / "statistics.json")["binary_classification_metrics"]["recall"]["value"]
    code, out, _ = run_cli(args + ["--calibration", str(tmp_path / "cal" / "calibration.json")], capsys)
    statistics = read(tmp_path / "out" / "statistics.json")
    calibrated = statistics["binary_classification_metrics"]["recall"]
    low, high = calibrated["confidence_interval_95"]
    assert abs(raw - realized) > 0.3  # raw class-weighted scores are far off
    assert low <= realized <= high  # calibrated: the interval covers the realized recall
    assert code == 0 and statistics["estimate"]["score_drift"]["drift"] is False
    assert out.splitlines()[0].startswith("estimate: 20000 scored records at threshold 0.5; calibrated estimated "
                                          "recall ")
    assert out.splitlines()[2].startswith("  score drift 0")


@pytest.mark.slow
def test_tripled_fraud_rate_is_score_drift_and_an_unchanged_window_is_not():
    scores, labels = _reference(7, 200_000)
    calibration = cbpe.build_calibration(scores, labels, "test", "2031-05-04T12:00:00Z")
    same, _ = _reference(8, 50_000)
    assert cbpe.score_drift(same, calibration, 0.5)["drift"] is False
    rng = np.random.default_rng(9)
    pool, pool_labels = _reference(10, 400_000)
    frauds, legit = pool[pool_labels == 1], pool[pool_labels == 0]
    n_fraud = int(round(3 * len(frauds) / len(pool) * 50_000))
    shifted = np.concatenate([rng.choice(frauds, n_fraud, replace=False),
                              rng.choice(legit, 50_000 - n_fraud, replace=False)])
    drift = cbpe.score_drift(shifted, calibration, 0.5)
    assert drift["drift"] is True and drift["alert_rate_ratio"] > 2.0 and drift["alert_rate_z"] > 4


def test_a_calibration_file_of_the_wrong_kind_is_bad_input(tmp_path, capsys):
    _window(tmp_path, [0.1, 0.2, 0.7], [0, 0, 1])
    (tmp_path / "c.json").write_text(json.dumps({"version": 0.0}))
    code, out, err = run_cli(["estimate", "--capture", str(tmp_path / "capture"), "--output", str(tmp_path / "out"),
                              "--calibration", str(tmp_path / "c.json")], capsys)
    assert (code, out) == (2, "")
    assert err == (f"error: --calibration {tmp_path / 'c.json'}: not a calibration file (no \"kind\": "
                   "\"fraud-score-calibration\"); write one with python -m pipelines.analyze calibrate\n")
    assert not (tmp_path / "out").exists()


def test_calibrating_on_hard_labels_is_refused(tmp_path, capsys):
    _window(tmp_path, [0.0, 1.0, 0.0, 1.0], [0, 1, 0, 1], labelled=4)
    code, out, err = run_cli(["calibrate", "--capture", str(tmp_path / "capture"), "--ground-truth",
                              str(tmp_path / "gt"), "--output", str(tmp_path / "cal")], capsys, now=NOW)
    assert (code, out) == (2, "")
    assert err.startswith("error: cannot calibrate: every score is one of 0, 1: the endpoint returns decisions")


@pytest.mark.slow
def test_the_docs_table_is_what_the_simulation_prints():
    from devtools import simulate_estimate

    assert simulate_estimate.main(["--check"]) == 0


def test_outputs_outside_zero_one_fail_the_check_even_when_some_fall_inside(tmp_path, capsys):
    # a model that returns logits: those in [0, 1] would otherwise be read as probabilities
    logits = np.array([-4.2, -3.1, 0.4, 2.5, -5.0, 0.9, -2.2, 1.7])
    _window(tmp_path, logits, np.zeros(8, dtype=int))
    code, out, err = run_cli(["estimate", "--capture", str(tmp_path / "capture"), "--output",
                              str(tmp_path / "out")], capsys)
    assert code == 3
    assert out.splitlines()[:2] == [
        "estimate: 2 scored records at threshold 0.5; no estimate",
        "  calibration assumption FAILS: 6 of 8 outputs are numbers outside [0, 1]: the endpoint's output is not a "
        "probability (a margin or logit?), so neither are the others; capture the fraud probability, or calibrate "
        "the scores on labelled data first"]
    # one line per reason with the first offending record (issue 17's warning form); the first logit is -4.2
    first = next(line for path in sorted((tmp_path / "capture").rglob("*.jsonl"))
                 for line in path.read_text().splitlines() if '"data":"-4.200000"' in line)
    assert err.splitlines() == ["warning: 6 of 8 captured records skipped: endpointOutput is not a fraud probability "
                                f"(output is not a probability between 0 and 1); first: {first[:300]}"]


@pytest.mark.slow
def test_calibrate_uploads_next_to_the_derived_baselines_once(tmp_path, capsys, s3):
    from devtools.seed import OUTPUTS_BUCKET

    scores, labels = _reference(11, 3_000)
    _window(tmp_path, scores, labels, labelled=3_000)
    prefix = f"s3://{OUTPUTS_BUCKET}/derived-baselines/fraud-detect-p-abc123/3/"
    args = ["calibrate", "--capture", str(tmp_path / "capture"), "--ground-truth", str(tmp_path / "gt"), "--output",
            str(tmp_path / "cal"), "--upload", prefix]
    code, out, err = run_cli(args, capsys, now=NOW)
    assert (code, err) == (0, "")
    listed = [o["Key"] for o in s3.list_objects_v2(Bucket=OUTPUTS_BUCKET)["Contents"]]
    assert len(listed) == 1 and listed[0].startswith("derived-baselines/fraud-detect-p-abc123/3/estimate/calibration-")
    assert f"uploaded s3://{OUTPUTS_BUCKET}/{listed[0]}" in out.splitlines()
    body = s3.get_object(Bucket=OUTPUTS_BUCKET, Key=listed[0])["Body"].read()
    assert json.loads(body) == read(tmp_path / "cal" / "calibration.json")
    assert run_cli(args, capsys, now=NOW)[0] == 0  # a rerun with the same clock: same key, nothing new
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=OUTPUTS_BUCKET)["Contents"]] == listed


def test_a_bad_upload_prefix_is_refused_before_anything_is_written(tmp_path, capsys):
    code, out, err = run_cli(["calibrate", "--capture", str(tmp_path / "none"), "--ground-truth", str(tmp_path / "gt"),
                              "--output", str(tmp_path / "cal"), "--upload", "derived-baselines/x"], capsys, now=NOW)
    assert (code, out) == (2, "")
    assert err.startswith("error: --upload derived-baselines/x: ")
    assert err.endswith("; pass s3://<bucket>/derived-baselines/<group>/<version>/\n")
    assert not (tmp_path / "cal").exists()
