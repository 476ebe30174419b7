"""Real Model Monitor job outputs (tests/fixtures/real/, tests/fixtures/analyzer/sdk/; see their READMEs) against
our code: kind detection, the analyzer reading them, the analyzer reproducing a real job's statistics from the
job's own input, and our generated registry fixtures having the same key structure."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from devtools.seed import FIXTURES as SDK_FIXTURES
from pipelines.analyze.capture import Problems
from pipelines.analyze.stats import Profile
from pipelines.formats.baseline_kinds import document_kinds
from tests.support.analyze import FIXTURES as ANALYZER_FIXTURES
from tests.support.analyze import csv_capture, read, run_cli, structure

REAL = Path(__file__).resolve().parent / "fixtures" / "real" / "quality_check_step"
MONITOR = ANALYZER_FIXTURES / "sdk"  # the SDK's tests/data/monitor/, verbatim


@pytest.mark.parametrize(("path", "kinds"), [
    (REAL / "data_quality" / "statistics.json", ["statistics"]),
    (REAL / "data_quality" / "constraints.json", ["constraints"]),
    (REAL / "model_quality" / "statistics.json", ["model-quality-statistics"]),
    (REAL / "model_quality" / "constraints.json", ["model-quality-constraints"]),
    (MONITOR / "statistics.json", ["statistics"]),
    (MONITOR / "constraints.json", ["constraints"]),
    (MONITOR / "constraint_violations.json", []),  # a job's result, never a baseline
], ids=lambda value: str(value).rsplit("fixtures/", 1)[-1] if isinstance(value, Path) else None)
def test_our_kind_detection_classifies_each_real_output(path, kinds):
    assert document_kinds(read(path)) == kinds


def test_our_analyzer_reproduces_the_real_jobs_statistics_from_its_input():
    """Same dataset in, same statistics.json out: types, counts, moments, the KLL sketch item for item and the 10
    buckets; std_dev differs in the last bit only (Spark sums in another order)."""
    real = read(REAL / "data_quality" / "statistics.json")
    profile = Profile([(feature["name"], feature["inferred_type"]) for feature in real["features"]])
    problems = Problems()
    profile.add_csv((REAL / "data_quality" / "baseline_dataset.csv").read_text().splitlines(), problems)
    ours = profile.to_json()
    assert problems.total == 0
    for mine, theirs in zip(ours["features"], real["features"], strict=True):
        assert mine["numerical_statistics"].pop("std_dev") == pytest.approx(
            theirs["numerical_statistics"].pop("std_dev"), rel=1e-15, abs=0)
    assert ours == real


def test_our_analyzer_reads_the_real_baselines_and_finds_nothing_in_the_jobs_own_input(tmp_path, capsys):
    capture = tmp_path / "capture" / "ep" / "AllTraffic" / "2026" / "11" / "27" / "00"
    capture.mkdir(parents=True)
    rows = (REAL / "data_quality" / "baseline_dataset.csv").read_text().splitlines()
    # the job baselined with the SDK's DatasetFormat.csv (output_columns_position START): a row is the endpoint's
    # output, then its input; captured the same way, each row's first field is the output
    (capture / "a.jsonl").write_text("".join(csv_capture(row.split(",", 1)[1], f"e-{i}", output=row.split(",", 1)[0])
                                             + "\n" for i, row in enumerate(rows)))
    code, out, err = run_cli(["data-quality", "--capture", str(tmp_path / "capture"),
                              "--statistics", str(REAL / "data_quality" / "statistics.json"),
                              "--constraints", str(REAL / "data_quality" / "constraints.json"),
                              "--output", str(tmp_path / "out")], capsys)
    assert (code, err, out.splitlines()[0]) == (0, "", "data-quality: 100 rows from 100 captured records; "
                                                       "0 violation(s)")
    assert read(tmp_path / "out" / "constraint_violations.json") == {"violations": []}


def _sdk(name: str) -> dict:
    return json.loads((SDK_FIXTURES / name).read_text())


def test_our_data_quality_statistics_have_the_real_jobs_key_structure():
    ours, real, real_strings = _sdk("data_quality_statistics.json"), read(REAL / "data_quality" / "statistics.json"), \
        read(MONITOR / "statistics.json")
    assert structure({**ours, "features": []}) == structure({**real, "features": []})
    real_numerical = structure(real["features"][0])
    for feature in ours["features"]:
        expected = structure(real_strings["features"][0]) if feature["inferred_type"] == "String" else real_numerical
        assert structure(feature) == expected, feature["name"]


def test_our_data_quality_constraints_have_the_real_jobs_key_structure_and_monitoring_config():
    ours, real = _sdk("data_quality_constraints.json"), read(REAL / "data_quality" / "constraints.json")
    real_string = read(MONITOR / "constraints.json")["features"][1]  # the one without per-feature overrides
    assert ours["monitoring_config"] == real["monitoring_config"]
    assert structure({**ours, "features": []}) == structure({**real, "features": []})
    for feature in ours["features"]:
        expected = real_string if feature["inferred_type"] == "String" else real["features"][0]
        assert structure(feature) == structure(expected), feature["name"]


def test_our_model_quality_baselines_have_the_real_jobs_key_structure():
    """Ours is binary classification, the real job's a regression: same top level, same entry per metric."""
    ours, real = _sdk("model_quality_statistics.json"), read(REAL / "model_quality" / "statistics.json")
    assert set(ours) - {"binary_classification_metrics"} == set(real) - {"regression_metrics"} == {"version",
                                                                                                   "dataset"}
    assert set(real["dataset"]) == set(ours["dataset"]) == {"item_count"}  # a baselining job: no evaluation_time
    assert structure(ours["binary_classification_metrics"]["recall"]) == structure(real["regression_metrics"]["mae"])
    ours_c, real_c = _sdk("model_quality_constraints.json"), read(REAL / "model_quality" / "constraints.json")
    assert structure(ours_c["binary_classification_constraints"]["recall"]) == structure(
        real_c["regression_constraints"]["mae"])
