"""Real Model Monitor job outputs (aws/sagemaker-python-sdk's, read from ../shared/fixtures/sagemaker-python-sdk/;
see tests/support/shared_fixtures.py) against our code: kind detection, the analyzer reading them, the analyzer reproducing a real job's statistics from the
job's own input, and our generated registry fixtures having the same key structure."""

from __future__ import annotations

import json

import pytest

from devtools.seed import FIXTURES as SDK_FIXTURES
from pipelines.analyze.capture import Problems
from pipelines.analyze.stats import Profile
from pipelines.formats.baseline_kinds import document_kinds
from tests.support.analyze import csv_capture, read, run_cli, structure
from tests.support.shared_fixtures import sagemaker_sdk_file


def job_output(name: str):
    """A real QualityCheckStep baselining output (the SDK's tests/data/pipeline/quality_check_step/)."""
    return sagemaker_sdk_file(f"quality_check_step/{name}")


def monitor_output(name: str):
    """A real Model Monitor output from the SDK's tests/data/monitor/."""
    return sagemaker_sdk_file(f"monitor/{name}")


@pytest.mark.parametrize(("name", "kinds"), [
    ("quality_check_step/data_quality/statistics.json", ["statistics"]),
    ("quality_check_step/data_quality/constraints.json", ["constraints"]),
    ("quality_check_step/model_quality/statistics.json", ["model-quality-statistics"]),
    ("quality_check_step/model_quality/constraints.json", ["model-quality-constraints"]),
    ("monitor/statistics.json", ["statistics"]),
    ("monitor/constraints.json", ["constraints"]),
    ("monitor/constraint_violations.json", []),  # a job's result, never a baseline
], ids=lambda value: value if isinstance(value, str) else None)
def test_our_kind_detection_classifies_each_real_output(name, kinds):
    assert document_kinds(read(sagemaker_sdk_file(name))) == kinds


def test_our_analyzer_reproduces_the_real_jobs_statistics_from_its_input():
    """Same dataset in, same statistics.json out: types, counts, moments, the KLL sketch item for item and the 10
    buckets; std_dev differs in the last bit only (Spark sums in another order)."""
    real = read(job_output("data_quality/statistics.json"))
    profile = Profile([(feature["name"], feature["inferred_type"]) for feature in real["features"]])
    problems = Problems()
    profile.add_csv(job_output("data_quality/baseline_dataset.csv").read_text().splitlines(), problems)
    ours = profile.to_json()
    assert problems.total == 0
    for mine, theirs in zip(ours["features"], real["features"], strict=True):
        assert mine["numerical_statistics"].pop("std_dev") == pytest.approx(
            theirs["numerical_statistics"].pop("std_dev"), rel=1e-15, abs=0)
    assert ours == real


def test_our_analyzer_reads_the_real_baselines_and_finds_nothing_in_the_jobs_own_input(tmp_path, capsys):
    capture = tmp_path / "capture" / "ep" / "AllTraffic" / "2026" / "11" / "27" / "00"
    capture.mkdir(parents=True)
    rows = job_output("data_quality/baseline_dataset.csv").read_text().splitlines()
    # the job baselined with the SDK's DatasetFormat.csv (output_columns_position START): a row is the endpoint's
    # output, then its input; captured the same way, each row's first field is the output
    (capture / "a.jsonl").write_text("".join(csv_capture(row.split(",", 1)[1], f"e-{i}", output=row.split(",", 1)[0])
                                             + "\n" for i, row in enumerate(rows)))
    code, out, err = run_cli(["data-quality", "--capture", str(tmp_path / "capture"),
                              "--statistics", str(job_output("data_quality/statistics.json")),
                              "--constraints", str(job_output("data_quality/constraints.json")),
                              "--output", str(tmp_path / "out")], capsys)
    assert (code, err, out.splitlines()[0]) == (0, "", "data-quality: 100 rows from 100 captured records; "
                                                       "0 violation(s)")
    assert read(tmp_path / "out" / "constraint_violations.json") == {"violations": []}


def _sdk(name: str) -> dict:
    return json.loads((SDK_FIXTURES / name).read_text())


def test_our_data_quality_statistics_have_the_real_jobs_key_structure():
    ours, real, real_strings = _sdk("data_quality_statistics.json"), read(job_output("data_quality/statistics.json")), \
        read(monitor_output("statistics.json"))
    assert structure({**ours, "features": []}) == structure({**real, "features": []})
    real_numerical = structure(real["features"][0])
    for feature in ours["features"]:
        expected = structure(real_strings["features"][0]) if feature["inferred_type"] == "String" else real_numerical
        assert structure(feature) == expected, feature["name"]


def test_our_data_quality_constraints_have_the_real_jobs_key_structure_and_monitoring_config():
    ours, real = _sdk("data_quality_constraints.json"), read(job_output("data_quality/constraints.json"))
    real_string = read(monitor_output("constraints.json"))["features"][1]  # the one without per-feature overrides
    assert ours["monitoring_config"] == real["monitoring_config"]
    assert structure({**ours, "features": []}) == structure({**real, "features": []})
    for feature in ours["features"]:
        expected = real_string if feature["inferred_type"] == "String" else real["features"][0]
        assert structure(feature) == structure(expected), feature["name"]


def test_our_model_quality_baselines_have_the_real_jobs_key_structure():
    """Ours is binary classification, the real job's a regression: same top level, same entry per metric."""
    ours, real = _sdk("model_quality_statistics.json"), read(job_output("model_quality/statistics.json"))
    assert set(ours) - {"binary_classification_metrics"} == set(real) - {"regression_metrics"} == {"version",
                                                                                                   "dataset"}
    assert set(real["dataset"]) == set(ours["dataset"]) == {"item_count"}  # a baselining job: no evaluation_time
    assert structure(ours["binary_classification_metrics"]["recall"]) == structure(real["regression_metrics"]["mae"])
    ours_c, real_c = _sdk("model_quality_constraints.json"), read(job_output("model_quality/constraints.json"))
    assert structure(ours_c["binary_classification_constraints"]["recall"]) == structure(
        real_c["regression_constraints"]["mae"])


def test_a_shared_file_that_is_not_the_sdks_fails_instead_of_testing_other_bytes(tmp_path, monkeypatch):
    from tests.support import shared_fixtures

    assert shared_fixtures.git_blob_id(b"") == "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391"  # git's empty blob
    (tmp_path / "sagemaker-python-sdk" / "monitor").mkdir(parents=True)
    (tmp_path / "sagemaker-python-sdk" / "monitor" / "statistics.json").write_text("{}")
    monkeypatch.setenv(shared_fixtures.ENV, str(tmp_path))
    path = tmp_path / "sagemaker-python-sdk" / "monitor"
    with pytest.raises(pytest.fail.Exception) as failed:
        sagemaker_sdk_file("monitor/statistics.json")
    assert str(failed.value) == (f"{path / 'statistics.json'} is not the SDK's file: git blob "
                                 f"9e26dfeeb6e641a33dae4961196235bdb965b21b, expected "
                                 f"cc39d2b458472d489a10b710c93d42b357aec5ac")
    with pytest.raises(pytest.fail.Exception) as failed:
        sagemaker_sdk_file("monitor/constraints.json")
    assert str(failed.value) == (f"{path / 'constraints.json'} is missing from the shared fixtures (expected git "
                                 f"blob dc874177730042f870bfc62b87350c88d7b38db0)")
