"""python -m pipelines.analyze model-quality: Model Monitor's merge rule, metrics schema and constraint operators."""

from __future__ import annotations

import itertools
import json
from datetime import datetime, timedelta, timezone

import numpy as np
import pytest

from devtools.seed_captures import capture_line, start_of_day, traffic, write_captures, write_ground_truth
from pipelines.analyze import metrics
from tests.support.analyze import FIXTURES, read, run_cli


def _write(tmp_path, records, hour="2026/11/27/00"):
    """records: (score, event_id, inference_id or None)."""
    folder = tmp_path / "capture" / "ep" / "AllTraffic" / hour
    folder.mkdir(parents=True, exist_ok=True)
    when = datetime(2026, 11, 27, 0, 10, tzinfo=timezone.utc)
    with open(folder / "a.jsonl", "a") as handle:
        for score, event_id, inference_id in records:
            handle.write(capture_line("1.00,2.00", score, event_id, when, inference_id) + "\n")


def _labels(tmp_path, pairs, hour="2026/11/28/09"):
    folder = tmp_path / "gt" / hour
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "labels.jsonl", "a") as handle:
        for event_id, label in pairs:
            handle.write(json.dumps({"groundTruthData": {"data": str(label), "encoding": "CSV"},
                                     "eventMetadata": {"eventId": event_id}, "eventVersion": "0"}) + "\n")


def _args(tmp_path, *extra):
    return ["model-quality", "--capture", str(tmp_path / "capture"), "--ground-truth", str(tmp_path / "gt"),
            "--output", str(tmp_path / "out"), *extra]


def test_the_aws_doc_example_confusion_matrix_and_metrics_come_out_exactly(tmp_path, capsys):
    """AWS's binary example: {"0": {"0": 1, "1": 2}, "1": {"0": 0, "1": 1}}, recall 1, precision 1/3, accuracy 0.5."""
    _write(tmp_path, [(0.1, "e0", None), (0.9, "e1", None), (0.8, "e2", None), (0.7, "e3", None)])
    _labels(tmp_path, [("e0", 0), ("e1", 0), ("e2", 0), ("e3", 1)])
    code, out, err = run_cli(_args(tmp_path), capsys)
    assert (code, err) == (0, "")
    block = read(tmp_path / "out" / "statistics.json")["binary_classification_metrics"]
    doc = read(FIXTURES / "aws-doc-schemas.json")["binary_classification_metrics"]
    for name in ("confusion_matrix", "recall", "precision", "accuracy"):
        assert block[name] == doc[name]
    assert out.splitlines()[0] == ("model-quality: 4 of 4 captured records have a label (join rate 100.0%); recall "
                                   "1.0000, precision 0.3333, pr_auc 0.3333; 0 violation(s)")


def test_merge_uses_inference_id_when_present_else_event_id(tmp_path, capsys):
    # record 1 has an inferenceId: a label on its eventId must NOT match; record 2 has none: its eventId matches
    _write(tmp_path, [(0.9, "event-1", "txn-1"), (0.2, "event-2", None), (0.6, "event-3", "txn-3")])
    _labels(tmp_path, [("event-1", 0), ("event-2", 0), ("txn-3", 1)])
    code, out, _ = run_cli(_args(tmp_path), capsys)
    assert code == 0
    statistics = read(tmp_path / "out" / "statistics.json")
    assert statistics["dataset"] == {"item_count": 2, "join_rate": 2 / 3}
    assert statistics["binary_classification_metrics"]["confusion_matrix"] == {"0": {"0": 1, "1": 0},
                                                                               "1": {"0": 0, "1": 1}}
    assert "2 of 3 captured records have a label (join rate 66.7%)" in out


def test_labels_collected_before_the_window_are_not_read(tmp_path, capsys):
    _write(tmp_path, [(0.9, "e1", None), (0.1, "e2", None)], hour="2026/11/27/05")
    _labels(tmp_path, [("e1", 1)], hour="2026/11/27/03")  # before the window: ignored
    _labels(tmp_path, [("e2", 0)], hour="2026/12/04/00")  # a week later: read
    code, out, _ = run_cli(_args(tmp_path, "--start", "2026-11-27T05:00:00Z", "--end", "2026-11-27T06:00:00Z"),
                           capsys)
    assert code == 0
    assert read(tmp_path / "out" / "statistics.json")["dataset"]["item_count"] == 1


def test_constraints_operators_become_model_monitor_violations(tmp_path, capsys):
    _write(tmp_path, [(0.9, "e1", None), (0.2, "e2", None), (0.3, "e3", None), (0.1, "e4", None)])
    _labels(tmp_path, [("e1", 1), ("e2", 1), ("e3", 0), ("e4", 0)])
    constraints = {"version": 0.0, "binary_classification_constraints": {
        "recall": {"threshold": 0.78, "comparison_operator": "LessThanThreshold"},
        "precision": {"threshold": 0.5, "comparison_operator": "LessThanThreshold"},
        "false_positive_rate": {"threshold": 0.0, "comparison_operator": "GreaterThanThreshold"}}}
    (tmp_path / "constraints.json").write_text(json.dumps(constraints))
    code, out, _ = run_cli(_args(tmp_path, "--constraints", str(tmp_path / "constraints.json")), capsys)
    assert code == 3
    assert read(tmp_path / "out" / "constraint_violations.json") == {"violations": [
        {"constraint_check_type": "LessThanThreshold", "description": "Metric recall with 0.5 +/- NaN was "
                                                                      "LessThanThreshold '0.78'",
         "metric_name": "recall"}]}  # under 200 samples the standard deviation is "NaN"
    assert out.splitlines()[1] == "  Metric recall with 0.5 +/- NaN was LessThanThreshold '0.78'"


def test_unknown_comparison_operator_is_bad_input(tmp_path, capsys):
    _write(tmp_path, [(0.9, "e1", None)])
    _labels(tmp_path, [("e1", 1)])
    (tmp_path / "c.json").write_text(json.dumps({"binary_classification_constraints": {
        "recall": {"threshold": 0.8, "comparison_operator": "Below"}}}))
    assert run_cli(_args(tmp_path, "--constraints", str(tmp_path / "c.json")), capsys)[1:] == (
        "", "error: model quality constraint 'recall' has comparison_operator 'Below'; use one of LessThanThreshold, "
            "LessThanOrEqualToThreshold, GreaterThanThreshold, GreaterThanOrEqualToThreshold\n")
    assert not (tmp_path / "out").exists()


def test_no_label_for_any_record_is_bad_input_that_names_the_join_rule(tmp_path, capsys):
    _write(tmp_path, [(0.9, "e1", "txn-1")])
    _labels(tmp_path, [("e1", 1)])
    assert run_cli(_args(tmp_path), capsys)[1:] == (
        "", f"error: none of the 1 captured records in the window has a ground truth label in {tmp_path / 'gt'} (1 "
            "labels read); labels are matched on the capture's inferenceId (else eventId) = the label's "
            "eventMetadata.eventId\n")


def test_outputs_that_are_not_probabilities_are_counted(tmp_path, capsys):
    _write(tmp_path, [(0.9, "e1", None), (0.1, "e2", None)])
    folder = tmp_path / "capture" / "ep" / "AllTraffic" / "2026/11/27/00"
    bad = json.loads(capture_line("1,2", 0.5, "e3", start_of_day()))
    bad["captureData"]["endpointOutput"]["data"] = "fraud"
    with open(folder / "a.jsonl", "a") as handle:
        handle.write(json.dumps(bad) + "\n")
    _labels(tmp_path, [("e1", 1), ("e2", 0), ("e3", 1)])
    code, _, err = run_cli(_args(tmp_path), capsys)
    assert code == 0
    assert err.splitlines() == ["warning: 1 of 3 captured records skipped: endpointOutput is not a fraud "
                                f"probability (score is not a number); first: {json.dumps(bad)[:300]}"]


def test_standard_deviations_appear_from_200_samples_as_model_monitor_computes_them(tmp_path, capsys):
    data = traffic(1000, 2, seed=5, fraud_rate=0.2)
    ids = write_captures(tmp_path / "capture", data, start_of_day())
    write_ground_truth(tmp_path / "gt", ids, data.labels, start_of_day() + timedelta(days=2))
    assert run_cli(_args(tmp_path), capsys)[0] == 0
    block = read(tmp_path / "out" / "statistics.json")["binary_classification_metrics"]
    expected = metrics.binary_statistics(data.labels, np.round(data.scores, 6), 0.5)["binary_classification_metrics"]
    assert block["recall"] == expected["recall"]
    assert isinstance(block["recall"]["standard_deviation"], float) and block["recall"]["standard_deviation"] > 0
    assert set(block) == {"confusion_matrix", "recall", "precision", "accuracy", "true_positive_rate",
                          "true_negative_rate", "false_positive_rate", "false_negative_rate",
                          "recall_best_constant_classifier", "precision_best_constant_classifier",
                          "accuracy_best_constant_classifier", "f0_5", "f1", "f2", "f0_5_best_constant_classifier",
                          "f1_best_constant_classifier", "f2_best_constant_classifier", "auc", "pr_auc",
                          "receiver_operating_characteristic_curve", "precision_recall_curve"}


def test_auc_and_pr_auc_match_their_definitions_by_brute_force():
    rng = np.random.default_rng(3)
    labels = rng.integers(0, 2, 60)
    scores = np.round(rng.random(60), 1)  # ties on purpose
    pairs = [(s1, s0) for (s1, y1), (s0, y0) in itertools.product(zip(scores, labels, strict=True), repeat=2) if y1 == 1 and y0 == 0]
    brute_auc = sum(1.0 if a > b else 0.5 if a == b else 0.0 for a, b in pairs) / len(pairs)
    assert metrics.roc_auc(labels, scores) == pytest.approx(brute_auc, abs=1e-12)
    thresholds = sorted(set(scores), reverse=True)
    brute_ap, previous_recall = 0.0, 0.0
    for t in thresholds:
        tp = int(np.sum((scores >= t) & (labels == 1)))
        recall, precision = tp / labels.sum(), tp / np.sum(scores >= t)
        brute_ap += (recall - previous_recall) * precision
        previous_recall = recall
    assert metrics.pr_auc(labels, scores) == pytest.approx(brute_ap, abs=1e-12)
