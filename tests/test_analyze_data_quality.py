"""python -m pipelines.analyze data-quality: the six checks, Model Monitor's formats and wording, bad captures."""

from __future__ import annotations

import base64
import json
import math
import re
from pathlib import Path

import numpy as np
import pytest

from pipelines.analyze import checks, kll
from pipelines.analyze.capture import Problems
from pipelines.analyze.stats import Profile
from tests.support.analyze import FIXTURES, append_lines, csv_capture, make_case, read, run_cli, structure
from tests.support.shared_fixtures import sagemaker_sdk_file


def test_clean_window_has_no_violation_and_writes_both_files(tmp_path, capsys):
    case = make_case(tmp_path)
    code, out, err = run_cli(case.dq_args(), capsys)
    assert (code, err) == (0, "")
    assert out.splitlines()[0] == "data-quality: 2000 rows from 2000 captured records; 0 violation(s)"
    assert read(case.output / "constraint_violations.json") == {"violations": []}
    statistics = read(case.output / "statistics.json")
    assert statistics["dataset"] == {"item_count": 2000}
    # the endpoint's output column first (Model Monitor's output_columns_position START), then the inputs
    assert [f["name"] for f in statistics["features"]] == ["score", "transaction_amount", "merchant_category",
                                                           "card_present", "customer_age_band"]


def test_statistics_and_violations_have_the_aws_documentedstructure(tmp_path, capsys):
    schemas = read(FIXTURES / "aws-doc-schemas.json")
    case = make_case(tmp_path, drift={1: 1.0})
    assert run_cli(case.dq_args(), capsys)[0] == 3
    statistics = read(case.output / "statistics.json")
    assert structure(statistics["dataset"]) == structure(schemas["statistics"]["dataset"])
    assert structure(statistics["features"][0]) == structure(schemas["statistics"]["numerical_feature"])
    violations = read(case.output / "constraint_violations.json")
    assert structure(violations) == structure(schemas["violations"])


def test_violations_have_the_structure_of_a_real_model_monitor_violations_file(tmp_path, capsys):
    real = read(sagemaker_sdk_file("monitor/constraint_violations.json"))
    case = make_case(tmp_path, drift={1: 1.0})
    assert run_cli(case.dq_args(), capsys)[0] == 3
    assert structure(read(case.output / "constraint_violations.json")) == structure(real)


def test_drift_violation_is_worded_and_computed_as_deequ_robust_linf(tmp_path, capsys):
    case = make_case(tmp_path, drift={1: 1.0})
    code, out, _ = run_cli(case.dq_args(), capsys)
    violations = read(case.output / "constraint_violations.json")["violations"]
    assert code == 3
    assert [(v["feature_name"], v["constraint_check_type"]) for v in violations] == [
        ("merchant_category", "baseline_drift_check")]
    baseline = read(case.statistics)["features"][2]["numerical_statistics"]["distribution"]["kll"]["sketch"]
    current = read(case.output / "statistics.json")["features"][2]["numerical_statistics"]["distribution"]["kll"][
        "sketch"]
    simple, n, m = kll.linf_simple_numerical(kll.KLL.from_json(baseline).rank_table(),
                                             kll.KLL.from_json(current).rank_table())
    expected = simple - 1.8 * math.sqrt((n + m) / (n * m))
    assert violations[0]["description"] == f"Baseline drift distance: {expected!r} exceeds threshold: 0.1"
    assert "  baseline_drift_check merchant_category: Baseline drift distance:" in out


def test_sdk_string_constraints_give_the_sdk_wording_for_categorical_values(tmp_path, capsys):
    """The SDK's real constraints (String features, monitoring_config_overrides, enable_comparisons) read as-is. They
    carry no domain_content_threshold, so AWS's default 0.1 applies and a 90% share passes, said on stderr; with
    the 1.0 that generated files write, it fails."""
    capture = tmp_path / "capture" / "ep" / "AllTraffic" / "2026" / "11" / "27" / "00"
    capture.mkdir(parents=True)
    rows = ["preproc-not-YET-supported-for-csv-json,preproc-not-YET-supported-for-csv-json"] * 9 + ["other,x"]
    # captures of the input only (the SDK's baseline has no output column)
    (capture / "a.jsonl").write_text("".join(csv_capture(row, f"e-{i}", output=None) + "\n"
                                             for i, row in enumerate(rows)))
    statistics = json.loads(sagemaker_sdk_file("monitor/statistics.json").read_text())
    statistics["features"].append(dict(statistics["features"][0], name="second_message"))
    (tmp_path / "statistics.json").write_text(json.dumps(statistics))
    argv = ["data-quality", "--capture", str(tmp_path / "capture"), "--statistics", str(tmp_path / "statistics.json"),
            "--constraints", str(sagemaker_sdk_file("monitor/constraints.json")), "--output", str(tmp_path / "out")]
    code, _, err = run_cli(argv, capsys)
    assert (code, err.splitlines()) == (0, [
        "warning: datatype_check_threshold absent from the constraints' monitoring_config: AWS's default 0.1 applies "
        "(at least 10% of values must have the baseline type)",
        "warning: domain_content_threshold absent from the constraints' monitoring_config: AWS's default 0.1 applies "
        "(at least 10% of values must lie in the baseline domain)"])
    constraints = json.loads(sagemaker_sdk_file("monitor/constraints.json").read_text())
    constraints["monitoring_config"].update(datatype_check_threshold=1.0, domain_content_threshold=1.0)
    (tmp_path / "constraints.json").write_text(json.dumps(constraints))
    argv[6] = str(tmp_path / "constraints.json")
    code, _, err = run_cli(argv, capsys)
    assert (code, err) == (3, "")
    assert read(tmp_path / "out" / "constraint_violations.json")["violations"] == [
        {"feature_name": "message", "constraint_check_type": "categorical_values_check",
         "description": "Value: 0.9 does not meet the constraint requirement! "},
        {"feature_name": "second_message", "constraint_check_type": "categorical_values_check",
         "description": "Value: 0.9 does not meet the constraint requirement! "}]


def test_data_type_check_counts_integral_tokens_in_a_fractional_column_as_deequ_does(tmp_path, capsys):
    """Worded as 2020-11..2022-04 containers write it (facts.md); the share is 11/12 times 100."""
    case = make_case(tmp_path, n=10)
    append_lines(case, [csv_capture("50,50.00,50.00,50.00", "int-1"), csv_capture("1e3,50.00,50.00,50.00", "e-2")])
    code, _, _ = run_cli(case.dq_args(), capsys)
    assert code == 3
    assert read(case.output / "constraint_violations.json")["violations"] == [
        {"feature_name": "transaction_amount", "constraint_check_type": "data_type_check",
         "description": "Data type match requirement is not met. Expected data type: Fractional, Expected match: "
                        "100.0%. Observed: Only 91.66666666666666% of data is Fractional."}]


def test_completeness_check_fires_on_empty_fields(tmp_path, capsys):
    case = make_case(tmp_path, n=10)
    append_lines(case, [csv_capture("50.00,,50.00,50.00", "m-1"), csv_capture("50.00,,50.00,50.00", "m-2")])
    assert run_cli(case.dq_args(), capsys)[0] == 3
    assert read(case.output / "constraint_violations.json")["violations"] == [
        {"feature_name": "merchant_category", "constraint_check_type": "completeness_check",
         "description": f"Value: {10 / 12!r} does not meet the constraint requirement! "}]
    feature = read(case.output / "statistics.json")["features"][2]
    assert feature["numerical_statistics"]["common"] == {"num_present": 10, "num_missing": 2}


def _edit_inputs(case, edit) -> None:
    """Rewrite every captured input of the case with ``edit(row) -> row``."""
    for path in case.capture.rglob("*.jsonl"):
        lines = []
        for line in path.read_text().splitlines():
            record = json.loads(line)
            part = record["captureData"]["endpointInput"]
            part["data"] = edit(part["data"])
            lines.append(json.dumps(record, separators=(",", ":")))
        path.write_text("\n".join(lines) + "\n")


@pytest.mark.parametrize(("edit", "check", "feature", "description"), [
    (lambda row: row.rsplit(",", 1)[0], "missing_column_check", "customer_age_band",
     "There are missing columns in current dataset. Number of columns in current dataset: 4, Number of columns in "
     "baseline constraints: 5"),
    (lambda row: row + ",1", "extra_column_check", "_c5",
     "There are extra columns in current dataset. Number of columns in current dataset: 6, Number of columns in "
     "baseline constraints: 5"),
])
def test_a_window_of_another_width_is_a_column_violation_not_refused_rows(tmp_path, capsys, edit, check, feature,
                                                                          description):
    """1 output + 3 or 5 inputs against a baseline of 1 output + 4: every row is read (Spark's PERMISSIVE CSV
    reading), the column check is the only violation, exit 3 and both files written."""
    case = make_case(tmp_path, n=300)
    _edit_inputs(case, edit)
    code, out, err = run_cli(case.dq_args(), capsys)
    assert (code, err) == (3, "")
    assert out.splitlines()[0] == "data-quality: 300 rows from 300 captured records; 1 violation(s)"
    assert read(case.output / "constraint_violations.json")["violations"] == [
        {"feature_name": feature, "constraint_check_type": check, "description": description}]
    names = [item["name"] for item in read(case.output / "statistics.json")["features"]]
    assert names == ["score", "transaction_amount", "merchant_category", "card_present", "customer_age_band"][
        :4 if check == "missing_column_check" else 5]


def test_a_column_the_window_does_not_have_gets_no_metric(tmp_path):
    from pipelines.analyze import commands
    from pipelines.analyze.capture import Window
    from pipelines.analyze.sources import Reader

    case = make_case(tmp_path, n=50)
    _edit_inputs(case, lambda row: row.rsplit(",", 1)[0])
    outcome = commands.data_quality(Reader(), str(case.capture), Window(), str(case.statistics), str(case.constraints))
    named = {re.sub(r"^feature_(data|non_null|baseline_drift)_", "", metric["MetricName"])
             for metric in outcome.metrics}
    assert named == {"score", "transaction_amount", "merchant_category", "card_present"}


def test_quoted_csv_fields_are_one_field_as_sparks_reader_reads_them(tmp_path, capsys):
    """"grocery, intl" is one String field: the row keeps the baseline's width; no column violation."""
    statistics = {"version": 0.0, "dataset": {"item_count": 3}, "features": [
        {"name": "score", "inferred_type": "Fractional"}, {"name": "merchant", "inferred_type": "String"},
        {"name": "amount", "inferred_type": "Fractional"}]}
    constraints = {"version": 0.0, "features": [
        {"name": "score", "inferred_type": "Fractional", "completeness": 1.0},
        {"name": "merchant", "inferred_type": "String", "completeness": 1.0,
         "string_constraints": {"domains": ["grocery, intl", "fuel"]}},
        {"name": "amount", "inferred_type": "Fractional", "completeness": 1.0}],
        "monitoring_config": {"datatype_check_threshold": 1.0, "domain_content_threshold": 1.0,
                              "distribution_constraints": {"perform_comparison": "Disabled"}}}
    (tmp_path / "statistics.json").write_text(json.dumps(statistics))
    (tmp_path / "constraints.json").write_text(json.dumps(constraints))
    capture = tmp_path / "capture" / "ep" / "AllTraffic" / "2026" / "11" / "27" / "00"
    capture.mkdir(parents=True)
    rows = ['"grocery, intl",12.50', "fuel,3.25", '"fuel",7.00']
    (capture / "a.jsonl").write_text("".join(csv_capture(row, f"q-{i}", output="0.25") + "\n"
                                             for i, row in enumerate(rows)))
    code, out, err = run_cli(["data-quality", "--capture", str(tmp_path / "capture"), "--statistics",
                              str(tmp_path / "statistics.json"), "--constraints", str(tmp_path / "constraints.json"),
                              "--output", str(tmp_path / "out")], capsys)
    assert (code, err, out.splitlines()[0]) == (0, "", "data-quality: 3 rows from 3 captured records; 0 violation(s)")
    merchant = read(tmp_path / "out" / "statistics.json")["features"][1]
    assert merchant["string_statistics"]["distribution"]["categorical"]["buckets"] == [
        {"value": "fuel", "count": 2}, {"value": "grocery, intl", "count": 1}]


@pytest.mark.parametrize("position", ["START", "END"])
def test_output_columns_go_where_output_columns_position_says(tmp_path, capsys, position):
    """A baseline of label + inputs (AWS's XGBoost layout) with START; inputs + label with END."""
    names = ["label", "amount"] if position == "START" else ["amount", "label"]
    kinds = {"label": "Integral", "amount": "Fractional"}
    statistics = {"version": 0.0, "dataset": {"item_count": 2},
                  "features": [{"name": name, "inferred_type": kinds[name]} for name in names]}
    constraints = {"version": 0.0, "features": [{"name": name, "inferred_type": kinds[name], "completeness": 1.0}
                                                for name in names],
                   "monitoring_config": {"datatype_check_threshold": 1.0, "domain_content_threshold": 1.0,
                                         "distribution_constraints": {"perform_comparison": "Disabled"}}}
    (tmp_path / "statistics.json").write_text(json.dumps(statistics))
    (tmp_path / "constraints.json").write_text(json.dumps(constraints))
    capture = tmp_path / "capture" / "ep" / "AllTraffic" / "2026" / "11" / "27" / "00"
    capture.mkdir(parents=True)
    (capture / "a.jsonl").write_text(csv_capture("12.50", "o-1", output="1") + "\n" +
                                     csv_capture("3.25", "o-2", output="0") + "\n")
    argv = ["data-quality", "--capture", str(tmp_path / "capture"), "--statistics", str(tmp_path / "statistics.json"),
            "--constraints", str(tmp_path / "constraints.json"), "--output", str(tmp_path / "out")]
    code, _, err = run_cli(argv + ["--output-columns-position", position], capsys)
    assert (code, err) == (0, "")
    features = {item["name"]: item for item in read(tmp_path / "out" / "statistics.json")["features"]}
    assert (features["label"]["inferred_type"], features["label"]["numerical_statistics"]["sum"]) == ("Integral", 1.0)
    assert (features["amount"]["inferred_type"], features["amount"]["numerical_statistics"]["sum"]) == (
        "Fractional", 15.75)


def test_a_label_column_typed_against_a_probability_output_fails_its_type_check_and_skips_drift(tmp_path, capsys):
    """AWS's layout with a model that outputs probabilities: Model Monitor type-checks the label column against the
    output (facts.md), so the Integral label sees 0% Integral; the column gets no drift check."""
    case = make_case(tmp_path, n=300, drift={0: 3.0})

    def integral_label(constraints):
        constraints["features"][0]["inferred_type"] = "Integral"

    integral_label(json_constraints := read(case.constraints))
    case.constraints.write_text(json.dumps(json_constraints))
    code, _, _ = run_cli(case.dq_args(), capsys)
    assert code == 3
    assert read(case.output / "constraint_violations.json")["violations"] == [
        {"feature_name": "score", "constraint_check_type": "data_type_check",
         "description": "Data type match requirement is not met. Expected data type: Integral, Expected match: "
                        "100.0%. Observed: Only 0.0% of data is Integral."},
        {"feature_name": "transaction_amount", "constraint_check_type": "baseline_drift_check",
         "description": read(case.output / "constraint_violations.json")["violations"][1]["description"]}]


def test_unparseable_captures_are_counted_with_an_example_never_a_traceback(tmp_path, capsys):
    case = make_case(tmp_path, n=20)
    json_input = csv_capture('{"instances": [[1, 2, 3, 4]]}', "j-1")
    append_lines(case, ["this is not json", json_input, json_input, '{"eventVersion": "0"}'])
    code, out, err = run_cli(case.dq_args(), capsys)
    assert code == 0, err
    assert err.splitlines() == [  # one line per reason: count of the whole, reason, first example
        "warning: 1 of 24 captured records skipped: JSON without captureData (not a Data Capture record); first: "
        '{"eventVersion": "0"}',
        "warning: 1 of 24 captured records skipped: not a JSON line; first: this is not json",
        "warning: 2 of 22 rows skipped: JSON data where CSV is expected (endpointInput observedContentType is not "
        "JSON); first: " + json_input[:300]]
    assert "Traceback" not in out + err


def test_a_window_with_nothing_readable_is_bad_input_with_one_line(tmp_path, capsys):
    case = make_case(tmp_path, n=1)
    for path in case.capture.rglob("*.jsonl"):
        path.write_text("garbage\n")
    code, out, err = run_cli(case.dq_args(), capsys)
    assert (code, out) == (2, "")
    assert err == (f"error: no readable captured record in {case.capture} for the window; 1 record(s): not a JSON "
                   "line; first: garbage; captures must be Data Capture JSON lines with CSV or JSON endpointInput "
                   "data\n")
    assert not case.output.exists()


def test_base64_and_json_inputs_are_decoded(tmp_path, capsys):
    case = make_case(tmp_path, n=3)
    encoded = base64.b64encode(b"50.00,50.00,50.00,50.00").decode()
    line = json.loads(csv_capture("x", "b-1"))
    line["captureData"]["endpointInput"].update(data=encoded, encoding="BASE64")
    json_line = json.loads(csv_capture("x", "j-1"))
    json_line["captureData"]["endpointInput"].update(
        observedContentType="application/json", encoding="JSON",
        data=json.dumps({"transaction_amount": 50.0, "merchant_category": 50.0, "card_present": 50.0,
                         "customer_age_band": 50.0}))
    append_lines(case, [json.dumps(line), json.dumps(json_line)])
    code, out, err = run_cli(case.dq_args(), capsys)
    assert (code, err) == (0, "")
    assert out.splitlines()[0] == "data-quality: 5 rows from 5 captured records; 0 violation(s)"


def test_window_keeps_only_records_inside_start_end(tmp_path, capsys):
    case = make_case(tmp_path, n=20_000)  # 0.36 s apart: two hours of traffic
    code, out, _ = run_cli(case.dq_args("--start", "2026-11-27T00:30:00Z", "--end", "2026-11-27T01:00:00Z"), capsys)
    assert code == 0
    assert out.splitlines()[0] == "data-quality: 5000 rows from 5000 captured records; 0 violation(s)"


def test_contract_time_format_with_spaces_is_accepted(tmp_path, capsys):
    """AWS's own contract example writes "2019-12-01T16: 20: 00Z"."""
    case = make_case(tmp_path, n=20_000)
    code, out, _ = run_cli(case.dq_args("--start", "2026-11-27T00: 30: 00Z", "--end", "2026-11-27T01: 00: 00Z"),
                           capsys)
    assert (code, out.splitlines()[0]) == (0, "data-quality: 5000 rows from 5000 captured records; 0 violation(s)")


@pytest.mark.parametrize(("argv_edit", "message"), [
    (lambda a: a + ["--start", "yesterday"], "error: --start 'yesterday' is not an ISO-8601 time "
                                             "(e.g. 2026-11-28T10:00:00Z)\n"),
    (lambda a: a[:4] + ["/nope/statistics.json"] + a[5:], "error: baseline statistics /nope/statistics.json does "
                                                          "not exist; pass an existing file or s3:// URI\n"),
])
def test_bad_arguments_are_one_line_and_exit_2(tmp_path, capsys, argv_edit, message):
    case = make_case(tmp_path, n=1)
    code, out, err = run_cli(argv_edit(case.dq_args()), capsys)
    assert (code, out, err) == (2, "", message)


def test_two_endpoints_under_the_capture_prefix_are_refused(tmp_path, capsys):
    case = make_case(tmp_path, n=1)
    other = case.capture / "fraud-detect-staging" / "AllTraffic" / "2026" / "11" / "27" / "00"
    other.mkdir(parents=True)
    (other / "a.jsonl").write_text(csv_capture("1,2,3,4") + "\n")
    code, _, err = run_cli(case.dq_args(), capsys)
    assert code == 2
    assert err == (f"error: {case.capture} holds captures of 2 endpoints ({case.capture}/fraud-detect-prod, "
                   f"{case.capture}/fraud-detect-staging); pass one endpoint's folder, e.g. "
                   f"{case.capture}/fraud-detect-prod\n")


def test_per_feature_override_raises_one_features_drift_threshold(tmp_path, capsys):
    def relax(constraints):
        constraints["features"][2]["monitoringConfigOverrides"] = {"comparison_threshold": 0.9}  # merchant_category

    case = make_case(tmp_path, drift={1: 1.0, 2: 1.0}, edit_constraints=relax)
    assert run_cli(case.dq_args(), capsys)[0] == 3
    violations = read(case.output / "constraint_violations.json")["violations"]
    assert [v["feature_name"] for v in violations] == ["card_present"]


def test_perform_comparison_disabled_skips_drift(tmp_path, capsys):
    def disable(constraints):
        constraints["monitoring_config"]["distribution_constraints"]["perform_comparison"] = "Disabled"

    case = make_case(tmp_path, drift={1: 1.0}, edit_constraints=disable)
    assert run_cli(case.dq_args(), capsys)[0] == 0


def test_unknown_comparison_method_is_bad_input(tmp_path, capsys):
    def bad(constraints):
        constraints["monitoring_config"]["distribution_constraints"]["comparison_method"] = "Fancy"

    case = make_case(tmp_path, n=1, edit_constraints=bad)
    assert run_cli(case.dq_args(), capsys)[1:] == (
        "", "error: constraints comparison_method 'Fancy' is not Simple, Robust, linf_simple or linf_robust; fix "
            "monitoring_config.distribution_constraints\n")


def _profile(values: np.ndarray, name: str = "x") -> Profile:
    profile = Profile([(name, "Fractional")])
    profile.add_csv([f"{v:.3f}" for v in values], Problems())
    return profile


def _constraints(method: str = "Robust", threshold: float = 0.1) -> dict:
    return {"features": [{"name": "x", "inferred_type": "Fractional", "completeness": 1.0}],
            "monitoring_config": {"distribution_constraints": {"comparison_method": method,
                                                               "comparison_threshold": threshold}}}


def test_simple_and_robust_differ_by_the_ks_critical_value():
    baseline = _profile(np.arange(100) + 0.5).to_json()
    current = _profile(np.arange(100) + 10.5)
    simple = checks.evaluate(current, baseline, _constraints("Simple", 0.05))
    robust = checks.evaluate(current, baseline, _constraints("Robust", 0.05))
    # every CDF gap is k/100 - (k-10)/100; in doubles the largest is 0.8 - 0.7 (Deequ subtracts the same way)
    assert simple.distances == {"x": 0.8 - 0.7}
    assert robust.distances == {"x": 0.0}  # 0.1 - 1.8 * sqrt(200 / 10000) < 0
    assert [v["description"] for v in simple.violations] == [
        "Baseline drift distance: 0.10000000000000009 exceeds threshold: 0.05"]
    assert robust.violations == []


def test_categorical_chi_squared_uses_the_p_value():
    statistics = {"features": [{"name": "c", "inferred_type": "String", "string_statistics": {
        "distribution": {"categorical": {"buckets": [{"value": "a", "count": 500}, {"value": "b", "count": 500}]}}}}]}
    constraints = {"features": [{"name": "c", "inferred_type": "String"}], "monitoring_config": {
        "distribution_constraints": {"categorical_drift_method": "ChiSquared", "categorical_comparison_threshold":
                                     0.01}}}
    profile = Profile([("c", "String")])
    profile.add_csv(["a"] * 700 + ["b"] * 300, Problems())
    result = checks.evaluate(profile, statistics, constraints)
    assert result.distances["c"] == pytest.approx(kll.chi2_sf(160.0, 1))  # (700-500)^2/500 * 2
    assert result.violations[0]["constraint_check_type"] == "baseline_drift_check"


def test_chi2_survival_function_matches_tabulated_critical_values():
    assert kll.chi2_sf(3.841458820694124, 1) == pytest.approx(0.05, rel=1e-9)
    assert kll.chi2_sf(18.307038053275146, 10) == pytest.approx(0.05, rel=1e-9)
    assert kll.chi2_sf(0.0, 3) == 1.0


def test_baseline_without_a_kll_sketch_is_noted_not_guessed(tmp_path, capsys):
    case = make_case(tmp_path, n=50, drift={0: 3.0})
    statistics = read(case.statistics)
    del statistics["features"][1]["numerical_statistics"]["distribution"]
    case.statistics.write_text(json.dumps(statistics))
    code, _, err = run_cli(case.dq_args(), capsys)
    assert code == 0
    assert err == ("warning: drift not checked for transaction_amount: the baseline statistics hold no KLL sketch "
                   "(distribution.kll.sketch) for them\n")


def test_capture_prefix_in_s3_is_read_like_a_folder(tmp_path, capsys, s3):
    from devtools.seed import OUTPUTS_BUCKET

    case = make_case(tmp_path, n=300, drift={0: 1.0})
    for path in Path(case.capture).rglob("*.jsonl"):
        key = "data-capture/" + str(path.relative_to(case.capture))
        s3.put_object(Bucket=OUTPUTS_BUCKET, Key=key, Body=path.read_bytes())
    for name in ("statistics.json", "constraints.json"):
        s3.put_object(Bucket=OUTPUTS_BUCKET, Key=f"baselines/{name}", Body=(case.root / "baseline" / name).read_bytes())
    code, out, _ = run_cli(["data-quality", "--capture", f"s3://{OUTPUTS_BUCKET}/data-capture", "--statistics",
                            f"s3://{OUTPUTS_BUCKET}/baselines/statistics.json", "--constraints",
                            f"s3://{OUTPUTS_BUCKET}/baselines/constraints.json", "--output", str(case.output)], capsys)
    assert code == 3
    assert out.splitlines()[:2] == ["data-quality: 300 rows from 300 captured records; 1 violation(s)",
                                    out.splitlines()[1]]
    assert read(case.output / "constraint_violations.json")["violations"][0]["feature_name"] == "transaction_amount"


def test_the_aws_doc_constraints_example_is_read_key_by_key():
    doc = read(FIXTURES / "aws-doc-schemas.json")["constraints"]
    feature = doc["features"][0]
    assert checks.settings(doc["monitoring_config"], checks._overrides(feature)) == checks.Settings(
        evaluate=True, emit_metrics=True, datatype_threshold=0.1, domain_threshold=0.1, compare=True, threshold=0.1,
        method="Simple", categorical_threshold=0.1, categorical_method="LInfinity")
    # the page's defaults (facts.md "Constraints defaults"): 0.1 for both shares
    assert checks.settings({}) == checks.Settings(
        evaluate=True, emit_metrics=True, datatype_threshold=0.1, domain_threshold=0.1, compare=True, threshold=0.1,
        method="Robust", categorical_threshold=0.1, categorical_method="LInfinity")


def test_problem_counts_stay_right_across_batches(tmp_path, capsys, monkeypatch):
    from pipelines.analyze import capture

    monkeypatch.setattr(capture, "BATCH", 5)  # the short rows fill the first batch; the good ones come later
    case = make_case(tmp_path, n=20)
    append_lines(case, ["not json"] + [csv_capture("50.00,50.00,50.00", f"w-{i}") for i in range(6)],
                 hour="2026/11/26/23")
    code, _, err = run_cli(case.dq_args(), capsys)
    # 6 short rows of 26 do not make the window's column count 4; read as Spark reads them, their missing last
    # field is null: customer_age_band is 20/26 complete
    assert code == 3
    assert err.splitlines() == ["warning: 1 of 27 captured records skipped: not a JSON line; first: not json"]
    assert read(case.output / "constraint_violations.json")["violations"][0] == {
        "feature_name": "customer_age_band", "constraint_check_type": "completeness_check",
        "description": f"Value: {20 / 26!r} does not meet the constraint requirement! "}


@pytest.mark.parametrize(("statistics", "constraints", "message"), [
    ("data_quality_constraints.json", "data_quality_statistics.json",
     "error: baseline statistics {c} is not data quality statistics (it looks like data quality constraints); pass "
     "the baseline's own file\n"),
    ("data_quality_statistics.json", "data_quality_statistics.json",
     "error: baseline constraints {s} is not data quality constraints (it looks like data quality statistics); pass "
     "the baseline's own file\n"),
])
def test_baselines_of_the_wrong_kind_are_refused_not_checked_into_a_pass(tmp_path, capsys, statistics, constraints,
                                                                         message):
    """Swapped flags used to read as 'drift not checked' and exit 0: monitoring quietly reduced."""
    from devtools.seed import FIXTURES as SDK

    (tmp_path / "captures").mkdir()
    code, out, err = run_cli(["data-quality", "--capture", str(tmp_path / "captures"), "--statistics",
                              str(SDK / statistics), "--constraints", str(SDK / constraints), "--output",
                              str(tmp_path / "out")], capsys)
    assert (code, out, err) == (2, "", message.format(c=SDK / "data_quality_constraints.json",
                                                     s=SDK / "data_quality_statistics.json"))
    assert not (tmp_path / "out").exists()
