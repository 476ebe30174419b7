"""python -m pipelines.analyze estimate: CBPE recall before labels, its interval, and the calibration check."""

from __future__ import annotations

import json
from datetime import timedelta

import numpy as np
import pytest

from devtools.seed_captures import start_of_day, traffic, write_captures, write_ground_truth
from pipelines.analyze import estimate as cbpe
from tests.support.analyze import read, run_cli

pytestmark = pytest.mark.slow  # each test writes and analyzes tens of thousands of captures


def _realized_recall(labels: np.ndarray, scores: np.ndarray, threshold: float) -> float:
    caught = np.sum((scores >= threshold) & (labels == 1))
    return caught / labels.sum()


def test_interval_covers_the_realized_recall_in_at_least_90_percent_of_calibrated_windows():
    threshold, covered, windows = 0.3, 0, 300
    for seed in range(windows):
        data = traffic(5000, 1, seed=seed, fraud_rate=0.01)
        statistics = cbpe.estimate_statistics(data.scores, threshold, {"holds": None})
        low, high = statistics["binary_classification_metrics"]["recall"]["confidence_interval_95"]
        covered += low <= _realized_recall(data.labels, data.scores, threshold) <= high
    assert covered / windows >= 0.90, covered


def test_expected_confusion_matrix_is_the_sum_of_scores_on_each_side_of_the_threshold():
    scores = np.array([0.875, 0.625, 0.25, 0.125])  # exact in binary
    counts = cbpe.expected_counts(scores, 0.5)
    assert (counts["tp"], counts["fp"], counts["fn"], counts["tn"]) == (1.5, 0.5, 0.375, 1.625)
    block = cbpe.estimate_statistics(scores, 0.5, {"holds": None})["binary_classification_metrics"]
    assert block["recall"]["value"] == 0.8
    assert block["precision"]["value"] == 0.75
    assert block["confusion_matrix"] == {"0": {"0": 1.625, "1": 0.5}, "1": {"0": 0.375, "1": 1.5}}


def _case(tmp_path, *, miscalibrate=1.0, labelled=6000, seed=11):
    data = traffic(20_000, 2, seed=seed, fraud_rate=0.01, miscalibrate=miscalibrate)
    ids = write_captures(tmp_path / "capture", data, start_of_day())
    write_ground_truth(tmp_path / "gt", ids[:labelled], data.labels[:labelled], start_of_day() + timedelta(days=1))
    return data


def _args(tmp_path, *extra):
    return ["estimate", "--capture", str(tmp_path / "capture"), "--output", str(tmp_path / "out"), *extra]


def test_calibrated_scores_pass_the_check_against_labels_that_have_arrived(tmp_path, capsys):
    _case(tmp_path)
    code, out, err = run_cli(_args(tmp_path, "--ground-truth", str(tmp_path / "gt"), "--threshold", "0.3"), capsys)
    assert (code, err) == (0, "")
    statistics = read(tmp_path / "out" / "statistics.json")
    calibration = statistics["estimate"]["calibration"]
    assert calibration["checked_against"] == "labels that have arrived"
    assert calibration["holds"] is True and calibration["labelled_records"] == 6000
    assert out.splitlines()[1].startswith("  calibration assumption holds (labels that have arrived: ")


def test_miscalibrated_scores_are_reported_as_a_failed_assumption_with_exit_3(tmp_path, capsys):
    data = _case(tmp_path, miscalibrate=0.6)  # scores inflated after the labels were drawn
    code, out, _ = run_cli(_args(tmp_path, "--ground-truth", str(tmp_path / "gt")), capsys)
    assert code == 3
    calibration = read(tmp_path / "out" / "statistics.json")["estimate"]["calibration"]
    assert calibration["holds"] is False and calibration["p_value"] < 0.01
    assert calibration["observed_fraud"] == int(data.labels[:6000].sum())
    assert out.splitlines()[1].startswith("  calibration assumption FAILS: the scores are not calibrated; do not "
                                          "trust the estimate (labels that have arrived: ")


def test_without_labels_the_baseline_fraud_rate_is_the_check(tmp_path, capsys):
    _case(tmp_path, miscalibrate=0.5)
    baseline = {"binary_classification_metrics": {"confusion_matrix": {"0": {"0": 9880, "1": 20},
                                                                       "1": {"0": 20, "1": 80}}}}
    (tmp_path / "mq.json").write_text(json.dumps(baseline))
    code, out, _ = run_cli(_args(tmp_path, "--statistics", str(tmp_path / "mq.json")), capsys)
    assert code == 3
    calibration = read(tmp_path / "out" / "statistics.json")["estimate"]["calibration"]
    assert calibration["checked_against"] == "model quality baseline fraud rate"
    assert calibration["baseline_fraud_rate"] == 0.01 and calibration["holds"] is False
    assert "calibration assumption FAILS: the fraud rate the scores imply is far from the baseline's" in out


def test_output_is_model_monitor_model_quality_statistics_marked_as_an_estimate(tmp_path, capsys):
    _case(tmp_path)
    constraints = {"binary_classification_constraints": {"recall": {"threshold": 0.99,
                                                                    "comparison_operator": "LessThanThreshold"}}}
    (tmp_path / "c.json").write_text(json.dumps(constraints))
    code, out, _ = run_cli(_args(tmp_path, "--constraints", str(tmp_path / "c.json")), capsys)
    assert code == 3
    statistics = read(tmp_path / "out" / "statistics.json")
    assert statistics["dataset"] == {"item_count": 20_000}
    assert set(statistics) == {"version", "dataset", "binary_classification_metrics", "estimate"}
    assert statistics["estimate"]["method"].startswith("confidence-based performance estimation (CBPE)")
    assert statistics["estimate"]["threshold"] == 0.5
    recall = statistics["binary_classification_metrics"]["recall"]
    assert set(recall) == {"value", "standard_deviation", "confidence_interval_95"}
    violation = read(tmp_path / "out" / "constraint_violations.json")["violations"][0]
    assert violation["metric_name"] == "recall" and violation["constraint_check_type"] == "LessThanThreshold"
    assert "calibration assumption not checked" in out


def test_threshold_outside_zero_one_is_bad_input(tmp_path, capsys):
    assert run_cli(_args(tmp_path, "--threshold", "1.5"), capsys)[1:] == (
        "", "error: --threshold '1.5' is not a number between 0 and 1 (exclusive); pass the score at which the model "
        "flags fraud, e.g. 0.5\n")
