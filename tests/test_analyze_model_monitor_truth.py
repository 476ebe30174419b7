"""The analyzer against what real Model Monitor jobs wrote (../shared/docs/facts.md, "What real Model Monitor jobs
wrote" and "Constraints defaults"): figures, counts and wording as those outputs give them, Deequ's type regexes
(awslabs/deequ StatefulDataType.scala) and Spark's CSV fields."""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime, timezone

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipelines.analyze import checks, metrics
from pipelines.analyze.capture import split_fields
from pipelines.analyze.stats import Profile, value_type
from tests.support.analyze import read, run_cli

WHEN = datetime(2026, 11, 27, 0, 30, tzinfo=timezone.utc)


# --- data quality: wording and figures -------------------------------------------------------------------------

def test_data_type_wording_and_share_are_the_real_jobs_for_1908_integral_values_of_1915():
    """facts.md quotes "Only 99.63446475195823% of data is Integral." with the 1.0 threshold; 1908/1915 is the
    smallest count that gives that share as (matched / present) * 100 in doubles."""
    profile = Profile([("Account Length", "Integral")])
    profile.add_csv(["12"] * 1908 + ["12.5"] * 7)
    constraints = {"features": [{"name": "Account Length", "inferred_type": "Integral", "completeness": 1.0}],
                   "monitoring_config": {"datatype_check_threshold": 1.0, "domain_content_threshold": 1.0}}
    result = checks.evaluate(profile, {"features": []}, constraints)
    assert result.violations == [{
        "feature_name": "Account Length", "constraint_check_type": "data_type_check",
        "description": "Data type match requirement is not met. Expected data type: Integral, Expected match: "
                       "100.0%. Observed: Only 99.63446475195823% of data is Integral."}]


def test_type_failures_get_no_drift_check_so_violations_are_type_failures_plus_one():
    """Three columns drift far; two of them also fail their type check: 2 type + 1 drift violations, as the real
    executions counted (type failures + 1)."""
    baseline = Profile([(name, "Fractional") for name in ("a", "b", "c")])
    baseline.add_csv([f"{v:.2f},{v:.2f},{v:.2f}" for v in np.linspace(0, 10, 500)])
    window = Profile([(name, "Fractional") for name in ("a", "b", "c")])
    window.add_csv([f"{v:.0f},{v:.0f},{v + 0.5:.2f}" for v in np.linspace(20, 30, 500)])
    constraints = {"features": [{"name": name, "inferred_type": "Fractional"} for name in ("a", "b", "c")],
                   "monitoring_config": {"datatype_check_threshold": 1.0, "domain_content_threshold": 1.0,
                                         "distribution_constraints": {"comparison_threshold": 0.1}}}
    result = checks.evaluate(window, baseline.to_json(), constraints)
    assert [(v["feature_name"], v["constraint_check_type"]) for v in result.violations] == [
        ("a", "data_type_check"), ("b", "data_type_check"), ("c", "baseline_drift_check")]
    assert set(result.distances) == {"c"}


# --- Deequ's types, on every path ------------------------------------------------------------------------------

@pytest.mark.parametrize(("token", "kind"), [
    ("3", "Integral"), ("-3", "Integral"), ("+ 3", "Integral"), ("3.5", "Fractional"), ("1e3", "Fractional"),
    ("1.5E-3", "Fractional"), ("true", "Boolean"), (".5", "String"), ("3.", "String"), ("1_000", "String"),
    ("5 ", "String"), ("  5", "String"), ("\u0661\u0662", "String"), ("\uff11", "String"), ("nan", "String"),
    ("Infinity", "String"), ("0x10", "String"), ("3\n", "String"), ("TRUE", "String"),
])
def test_value_types_are_deequs_regexes_with_javas_ascii_digits(token, kind):
    assert value_type(token) == kind


@pytest.mark.parametrize("column", [
    [".5", "0.25", "1.0"], ["3.", "2.0", "1.0"], ["1_000", "2.0", "3.0"], ["\u0661", "2.0", "3.0"],
    ["5 ", "2.0", "3.0"], ["-.5", "2.0", "3.0"], ["1.e5", "2.0", "3.0"], ["nan", "2.0", "3.0"],
])
def test_a_batch_types_each_value_as_deequ_whatever_the_batch_holds(column):
    """numpy reads all of these as numbers; the all-numeric batch path, the per-column path (a String feature
    next to it) and the per-token path must all say String for the first value."""
    expected = Counter(value_type(token) for token in column)
    assert expected["String"] == 1
    alone = Profile([("x", "Fractional")])
    alone.add_csv(column)
    beside = Profile([("x", "Fractional"), ("s", "String")])
    beside.add_csv([f"{token},a" for token in column])
    with_null = Profile([("x", "Fractional")])
    with_null.add_csv(column + [""])
    for profile in (alone, beside, with_null):
        assert +profile.features[0].types == +expected, profile
    assert (alone.features[0].count, alone.features[0].total) == (2, sum(float(v) for v in column[1:]))


def test_quoted_fields_are_one_field_with_the_quotes_removed():
    assert split_fields('1,"grocery, intl",3') == ["1", "grocery, intl", "3"]
    assert split_fields('"say \\"hi\\"",2') == ['say "hi"', "2"]
    assert split_fields("1,2,3") == ["1", "2", "3"]


# --- constraints defaults (AWS's constraints page) -------------------------------------------------------------

def test_categorical_threshold_falls_back_to_the_comparison_threshold_and_linf_spellings_are_accepted():
    config = {"distribution_constraints": {"comparison_threshold": 0.3, "comparison_method": "linf_simple"}}
    found = checks.settings(config)
    assert (found.threshold, found.categorical_threshold, found.method) == (0.3, 0.3, "Simple")
    assert checks.settings({"distribution_constraints": {"comparison_method": "linf_robust"}}).method == "Robust"
    both = {"distribution_constraints": {"comparison_threshold": 0.3, "categorical_comparison_threshold": 0.05}}
    assert checks.settings(both).categorical_threshold == 0.05


def test_absent_type_and_domain_thresholds_take_the_pages_default_and_the_run_says_so():
    profile = Profile([("x", "Integral")])
    profile.add_csv(["1"] * 85 + ["1.5"] * 15)  # 85% Integral: fails 1.0, passes the default 0.1
    constraints = {"features": [{"name": "x", "inferred_type": "Integral"}],
                   "monitoring_config": {"distribution_constraints": {"perform_comparison": "Disabled"}}}
    result = checks.evaluate(profile, {"features": []}, constraints)
    assert result.violations == []
    assert result.notes == [
        "datatype_check_threshold absent from the constraints' monitoring_config: AWS's default 0.1 applies (at "
        "least 10% of values must have the baseline type)",
        "domain_content_threshold absent from the constraints' monitoring_config: AWS's default 0.1 applies (at "
        "least 10% of values must lie in the baseline domain)"]


# --- model quality ---------------------------------------------------------------------------------------------

def test_best_constant_classifier_is_the_majority_class_for_every_metric():
    labels = np.array([1] * 13 + [0] * 987)
    scores = np.where(labels == 1, 0.9, 0.1)
    block = metrics.binary_statistics(labels, scores, 0.5)["binary_classification_metrics"]
    assert {name: block[name] for name in block if name.endswith("_best_constant_classifier")} == {
        f"{name}_best_constant_classifier": {"value": value, "standard_deviation": 0.0} for name, value in (
            ("recall", 0.0), ("precision", 0.0), ("accuracy", 0.987), ("f0_5", 0.0), ("f1", 0.0), ("f2", 0.0))}
    mostly_positive = metrics.constant_classifier(positives=3, negatives=1)
    assert mostly_positive == {"recall_best_constant_classifier": 1.0, "precision_best_constant_classifier": 0.75,
                               "accuracy_best_constant_classifier": 0.75,
                               "f0_5_best_constant_classifier": metrics.f_beta(0.75, 1.0, 0.5),
                               "f1_best_constant_classifier": metrics.f_beta(0.75, 1.0, 1.0),
                               "f2_best_constant_classifier": metrics.f_beta(0.75, 1.0, 2.0)}


def test_violation_wording_is_the_real_jobs_with_the_standard_deviation():
    """facts.md: "Metric auc with 0.5127590160341251 +/- 0.00714... was LessThanThreshold '0.9395...'" (the real
    figures are given to the digits shown)."""
    found = metrics.evaluate_constraints(
        {"auc": {"value": 0.5127590160341251, "standard_deviation": 0.00714}},
        {"binary_classification_constraints": {"auc": {"threshold": 0.9395, "comparison_operator":
                                                       "LessThanThreshold"}}})
    assert found == [{"constraint_check_type": "LessThanThreshold", "metric_name": "auc",
                      "description": "Metric auc with 0.5127590160341251 +/- 0.00714 was LessThanThreshold "
                                     "'0.9395'"}]


def test_rate_metrics_are_named_in_camel_case_and_f0_5_is_not_a_violation():
    values = {name: {"value": 0.2, "standard_deviation": 0.01} for name in (
        "true_positive_rate", "true_negative_rate", "false_positive_rate", "false_negative_rate", "f0_5")}
    rules = {name: {"threshold": 0.5, "comparison_operator": "LessThanThreshold"} for name in values}
    notes: list[str] = []
    found = metrics.evaluate_constraints(values, {"binary_classification_constraints": rules}, notes)
    assert [item["metric_name"] for item in found] == ["falseNegativeRate", "falsePositiveRate",
                                                       "trueNegativeRate", "truePositiveRate"]
    assert found[0]["description"] == "Metric falseNegativeRate with 0.2 +/- 0.01 was LessThanThreshold '0.5'"
    assert notes == ["f0_5 0.2 is LessThanThreshold '0.5' but is not a violation: Model Monitor writes none for it"]


def test_curves_are_sparks_roc_and_pr_points():
    labels = np.array([1, 1, 0, 1, 0, 0])
    scores = np.array([0.9, 0.8, 0.8, 0.4, 0.3, 0.3])
    assert metrics.curves(labels, scores) == {
        "receiver_operating_characteristic_curve": {
            "false_positive_rates": [0.0, 0.0, 1 / 3, 1 / 3, 1.0, 1.0],
            "true_positive_rates": [0.0, 1 / 3, 2 / 3, 1.0, 1.0, 1.0]},
        "precision_recall_curve": {"precisions": [1.0, 1.0, 2 / 3, 0.75, 0.5],
                                   "recalls": [0.0, 1 / 3, 2 / 3, 1.0, 1.0]}}


def _capture(root, records):
    folder = root / "capture" / "ep" / "AllTraffic" / "2026" / "11" / "27" / "00"
    folder.mkdir(parents=True, exist_ok=True)
    from devtools.seed_captures import capture_line

    lines = [capture_line("1,2", score, f"ev-{index}", WHEN, inference_id) for index, (score, inference_id)
             in enumerate(records)]
    (folder / "a.jsonl").write_text("\n".join(lines) + "\n")


def _labels(root, pairs, hour="2026/11/28/00", name="a"):
    folder = root / "gt" / hour
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.jsonl").write_text("".join(json.dumps({"groundTruthData": {"data": str(label), "encoding":
                                                                                  "CSV"},
                                                               "eventMetadata": {"eventId": key},
                                                               "eventVersion": "0"}) + "\n" for key, label in pairs))


def _run(tmp_path, capsys):
    return run_cli(["model-quality", "--capture", str(tmp_path / "capture"), "--ground-truth", str(tmp_path / "gt"),
                    "--output", str(tmp_path / "out")], capsys)


def test_every_captured_record_is_joined_even_when_its_id_repeats(tmp_path, capsys):
    """An id captured 3 times is 3 labelled records (the real merge counted records, not unique ids)."""
    _capture(tmp_path, [(0.9, "txn-1"), (0.8, "txn-1"), (0.7, "txn-1"), (0.2, "txn-2"), (0.6, "txn-3")])
    _labels(tmp_path, [("txn-1", 1), ("txn-2", 0)])
    code, out, err = _run(tmp_path, capsys)
    assert (code, err) == (0, "")
    assert out.splitlines()[0].startswith("model-quality: 4 of 5 captured records have a label (join rate 80.0%)")
    statistics = read(tmp_path / "out" / "statistics.json")
    assert statistics["binary_classification_metrics"]["confusion_matrix"] == {"0": {"0": 1, "1": 0},
                                                                               "1": {"0": 0, "1": 3}}


def test_labels_that_disagree_for_one_id_are_a_reported_conflict_never_settled_by_file_order(tmp_path, capsys):
    _capture(tmp_path, [(0.9, "txn-1"), (0.2, "txn-2"), (0.7, "txn-3")])
    _labels(tmp_path, [("txn-1", 1), ("txn-2", 0), ("txn-3", 1)], name="a")
    _labels(tmp_path, [("txn-1", 0), ("txn-3", 1)], hour="2026/11/29/00", name="b")  # txn-3 agrees
    code, out, err = _run(tmp_path, capsys)
    assert code == 0
    conflict = json.dumps({"groundTruthData": {"data": "0", "encoding": "CSV"}, "eventMetadata": {"eventId": "txn-1"},
                           "eventVersion": "0"})
    assert err.splitlines() == [
        "warning: 1 ground truth label(s) skipped: ground truth id labelled both 0 and 1 (in different lines); its "
        f"records are left out; first: {conflict}"]
    assert out.splitlines()[0].startswith("model-quality: 2 of 3 captured records have a label")


def test_the_container_reads_output_columns_position_from_dataset_format(monkeypatch):
    from pipelines.analyze import container
    from pipelines.core.errors import UsageError

    for raw, expected in (('{"csv": {"header": false, "output_columns_position": "END"}}', "END"),
                          ('{"sagemakerCaptureJson": {"captureIndexNames": ["endpointInput"]}}', "START"),
                          ("", "START")):
        monkeypatch.setenv("dataset_format", raw)
        assert container.output_columns_position() == expected
    monkeypatch.setenv("dataset_format", '{"csv": {"output_columns_position": "MIDDLE"}}')
    with pytest.raises(UsageError, match="^dataset_format output_columns_position 'MIDDLE' is not START or END$"):
        container.output_columns_position()



@pytest.mark.slow
@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(alphabet="0123456789.eE+- ", min_size=1, max_size=6), min_size=1, max_size=8))
def test_every_path_types_numeric_looking_tokens_exactly_as_deequs_regexes(tokens):
    """Tokens made of the bytes numbers are made of: the batch path never calls a value a number that Deequ's
    regexes call String, nor the reverse."""
    expected = Counter(value_type(token) for token in tokens)
    profile = Profile([("x", "Fractional")])
    profile.add_csv(tokens)
    assert +profile.features[0].types == +expected


@pytest.mark.parametrize(("value", "text"), [
    (100.0, "100.0"), (99.63446475195823, "99.63446475195823"), (0.0, "0.0"), (0.001, "0.001"),
    (9999999.0, "9999999.0"), (1e-4, "1.0E-4"), (2.684187234734373e-4, "2.684187234734373E-4"), (1.5e7, "1.5E7"),
    (-2.5e-7, "-2.5E-7"), (float("nan"), "NaN"),
])
def test_numbers_in_descriptions_are_written_as_javas_double_to_string(value, text):
    """Java switches to computerized scientific notation below 1e-3 and from 1e7 on (Double.toString)."""
    assert metrics.java_double(value) == text
