"""The analyzer as a custom Model Monitor container: the entrypoint in a subprocess with the contract's environment
and directory layout (AWS docs model-monitor-byoc-contract-inputs / -outputs / -cloudwatch)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.analyze import make_case, read

REPO = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


def _container(tmp_path: Path, drift: dict[int, float] | None, **overrides: str) -> tuple[subprocess.CompletedProcess,
                                                                                          Path]:
    """Lay out /opt/ml as a monitoring execution sees it, then run the entrypoint as the image would."""
    case = make_case(tmp_path / "src", n=3000, drift=drift)
    opt_ml = tmp_path / "opt" / "ml"
    endpoint_data = opt_ml / "processing" / "input" / "endpoint"
    shutil.copytree(case.capture, endpoint_data)
    baseline = opt_ml / "processing" / "baseline"
    baseline.mkdir(parents=True)
    shutil.copy(case.statistics, baseline / "statistics.json")
    shutil.copy(case.constraints, baseline / "constraints.json")
    env = {"PATH": os.environ["PATH"], "PYTHONPATH": str(REPO), "ANALYZER_OPT_ML": str(opt_ml),
           # the contract's example, spaces in the times included ("2019-12-01T16: 20: 00Z")
           "dataset_format": '{"sagemakerCaptureJson": {"captureIndexNames": ["endpointInput","endpointOutput"]}}',
           "dataset_source": str(endpoint_data), "output_path": str(opt_ml / "processing" / "resultdata"),
           "start_time": "2026-11-27T00: 00: 00Z", "end_time": "2026-11-27T01: 00: 00Z",
           "publish_cloudwatch_metrics": "Enabled", "sagemaker_endpoint_name": "fraud-detect-prod",
           "sagemaker_monitoring_schedule_name": "fraud-detect-prod-data-quality",
           "baseline_statistics": str(baseline / "statistics.json"),
           "baseline_constraints": str(baseline / "constraints.json")}
    env.update(overrides)
    env = {key: value for key, value in env.items() if value}
    done = subprocess.run([sys.executable, "-m", "pipelines.analyze.container"], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=300, check=False)
    return done, opt_ml


def test_violations_give_completed_with_violations_three_files_and_metric_records(tmp_path):
    done, opt_ml = _container(tmp_path, drift={2: 1.0})
    assert done.returncode == 0, done.stderr
    assert (opt_ml / "output" / "message").read_text() == "CompletedWithViolations: 1 violation(s)"
    result = opt_ml / "processing" / "resultdata"
    assert sorted(p.name for p in result.iterdir()) == ["constraint_violations.json", "constraints.json",
                                                       "statistics.json"]
    assert [v["feature_name"] for v in read(result / "constraint_violations.json")["violations"]] == ["card_present"]
    assert read(result / "statistics.json")["dataset"] == {"item_count": 3000}
    records = [json.loads(line) for line in
               (opt_ml / "output" / "metrics" / "cloudwatch" / "metrics.jsonl").read_text().splitlines()]
    names = [record["MetricName"] for record in records]
    # the endpoint's output column (score) comes first: Model Monitor's output_columns_position START
    assert names[:3] == ["feature_data_score", "feature_non_null_score", "feature_baseline_drift_score"]
    assert len(names) == 15
    drift = next(r for r in records if r["MetricName"] == "feature_baseline_drift_card_present")
    assert set(drift) == {"MetricName", "Timestamp", "Dimensions", "Value"}
    assert drift["Timestamp"] == "2026-11-27T01:00:00Z"
    assert drift["Dimensions"] == [{"Name": "Endpoint", "Value": "fraud-detect-prod"},
                                   {"Name": "MonitoringSchedule", "Value": "fraud-detect-prod-data-quality"}]
    assert set(records[0]["StatisticValues"]) == {"SampleCount", "Sum", "Minimum", "Maximum"}


def test_a_clean_window_completes_and_metrics_stay_off_unless_enabled(tmp_path):
    done, opt_ml = _container(tmp_path, drift=None, publish_cloudwatch_metrics="Disabled")
    assert done.returncode == 0, done.stderr
    assert (opt_ml / "output" / "message").read_text() == "Completed: no violations"
    assert not (opt_ml / "output" / "metrics").exists()


def test_a_missing_baseline_fails_the_job_with_a_one_line_reason(tmp_path):
    done, opt_ml = _container(tmp_path, drift=None, baseline_statistics="")
    assert done.returncode == 2
    reason = ("environment variable baseline_statistics is not set; Model Monitor sets it for a monitoring execution "
              "(see docs/analyzer.md to run the container by hand)")
    assert (opt_ml / "output" / "message").read_text() == reason  # the job's ExitMessage (AWS byoc-metadata)
    assert done.stderr == f"error: {reason}\n"
    assert not (opt_ml / "processing" / "resultdata").exists()


def test_the_image_installs_everything_the_entrypoint_imports(tmp_path):
    """requirements-analyzer.txt (boto3 pins + numpy) and the COPYed files cover the entrypoint's imports."""
    from tests.test_imports import BOTO_STACK

    code = ("import json, sys\nimport pipelines.analyze.container, pipelines.analyze.commands\n"
            "print(json.dumps(sorted(sys.modules)))\n")
    done = subprocess.run([sys.executable, "-c", code], env={"PATH": os.environ["PATH"], "PYTHONPATH": str(REPO)},
                          cwd=tmp_path, capture_output=True, text=True, timeout=120, check=True)
    roots = {name.split(".")[0] for name in json.loads(done.stdout)}
    outside = {root for root in roots if root not in sys.stdlib_module_names and not root.startswith("_")}
    assert outside - {"pipelines", "utils", "numpy"} - BOTO_STACK == set()
    dockerfile = (REPO / "docker" / "analyzer.Dockerfile").read_text()
    assert "COPY utils.py ./" in dockerfile and "COPY pipelines/ ./pipelines/" in dockerfile
    assert "numpy==" in (REPO / "requirements-analyzer.txt").read_text()


def test_the_estimate_schedule_publishes_estimated_recall_and_fails_on_miscalibration(tmp_path):
    """analyzer_command=estimate with labels that have arrived (ground_truth may be a local path or s3:// prefix)."""
    from datetime import timedelta

    from devtools.seed_captures import start_of_day, traffic, write_captures, write_ground_truth

    opt_ml = tmp_path / "opt" / "ml"
    endpoint_data = opt_ml / "processing" / "input" / "endpoint"
    data = traffic(8000, 2, seed=4, miscalibrate=0.5)
    ids = write_captures(endpoint_data, data, start_of_day())
    write_ground_truth(tmp_path / "labels", ids[:4000], data.labels[:4000], start_of_day() + timedelta(days=1))
    env = {"PATH": os.environ["PATH"], "PYTHONPATH": str(REPO), "ANALYZER_OPT_ML": str(opt_ml),
           "analyzer_command": "estimate", "threshold": "0.5", "ground_truth": str(tmp_path / "labels"),
           "dataset_source": str(endpoint_data), "output_path": str(opt_ml / "processing" / "output"),
           "start_time": "2026-11-27T00:00:00Z", "end_time": "2026-11-27T01:00:00Z",
           "publish_cloudwatch_metrics": "Enabled", "sagemaker_endpoint_name": "fraud-detect-prod",
           "sagemaker_monitoring_schedule_name": "fraud-detect-prod-estimate"}
    done = subprocess.run([sys.executable, "-m", "pipelines.analyze.container"], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    assert (opt_ml / "output" / "message").read_text() == \
        "CompletedWithViolations: 0 violation(s); calibration assumption fails"
    statistics = read(opt_ml / "processing" / "output" / "statistics.json")
    assert statistics["estimate"]["window"] == {"start": "2026-11-27T00:00:00Z", "end": "2026-11-27T01:00:00Z"}
    assert statistics["dataset"]["item_count"] == 8000  # 0.36 s apart: all inside the one-hour window
    records = [json.loads(line) for line in
               (opt_ml / "output" / "metrics" / "cloudwatch" / "metrics.jsonl").read_text().splitlines()]
    assert [record["MetricName"] for record in records] == ["estimated_recall", "estimated_precision",
                                                            "estimated_f1", "estimated_recall_upper_95"]
    assert records[0]["Dimensions"][1] == {"Name": "MonitoringSchedule", "Value": "fraud-detect-prod-estimate"}


def _entrypoint(env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    env = {"PATH": os.environ["PATH"], "PYTHONPATH": str(REPO), **env}
    return subprocess.run([sys.executable, "-m", "pipelines.analyze.container"], env=env, cwd=cwd,
                          capture_output=True, text=True, timeout=300, check=False)


def test_sharded_processing_job_then_merge_step_write_what_one_execution_writes(tmp_path):
    """InstanceCount 2 with ShardedByS3Key (shard_count 2): each instance gets some hour files and writes
    <host>/statistics.json (host from /opt/ml/config/resourceconfig.json); the merge step, run as the processing
    engine runs it (merge-statistics <shards' files> --output, no other input), writes the violations of an
    unsharded run; the container's own merge command also writes the metric records an unsharded run publishes."""
    case = make_case(tmp_path / "src", n=25_000, drift={2: 1.0})  # 3 hour files
    files = sorted(case.capture.rglob("*.jsonl"))
    shared_prefix = tmp_path / "s3" / "shards"  # what both instances' outputs become in S3
    baseline = {"baseline_statistics": str(case.statistics), "baseline_constraints": str(case.constraints)}
    for host, owned in (("algo-1", files[:1]), ("algo-2", files[1:])):
        opt_ml = tmp_path / host / "opt" / "ml"
        endpoint = opt_ml / "processing" / "input" / "endpoint"
        for path in owned:
            target = endpoint / path.relative_to(case.capture)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(path, target)
        (opt_ml / "config").mkdir(parents=True)
        (opt_ml / "config" / "resourceconfig.json").write_text(json.dumps({"current_host": host,
                                                                          "hosts": ["algo-1", "algo-2"]}))
        done = _entrypoint({"ANALYZER_OPT_ML": str(opt_ml), "dataset_source": str(endpoint), "shard_count": "2",
                            "output_path": str(shared_prefix), **baseline}, tmp_path)
        assert done.returncode == 0, done.stderr
        assert (opt_ml / "output" / "message").read_text() == "Completed: partial statistics"
    assert sorted(str(p.relative_to(shared_prefix)) for p in shared_prefix.rglob("*.json")) == [
        "algo-1/statistics.json", "algo-2/statistics.json"]
    engine = subprocess.run([sys.executable, "-m", "pipelines.analyze", "merge-statistics",
                             str(shared_prefix / "algo-1" / "statistics.json"),
                             str(shared_prefix / "algo-2" / "statistics.json"), "--output", str(tmp_path / "engine")],
                            env={"PATH": os.environ["PATH"], "PYTHONPATH": str(REPO)}, cwd=tmp_path,
                            capture_output=True, text=True, timeout=300, check=False)
    assert engine.returncode == 3, engine.stderr
    assert [v["feature_name"] for v in read(tmp_path / "engine" / "constraint_violations.json")["violations"]] == \
        ["card_present"]
    merge_ml = tmp_path / "merge" / "opt" / "ml"
    done = _entrypoint({"ANALYZER_OPT_ML": str(merge_ml), "analyzer_command": "merge-statistics",
                        "dataset_source": str(shared_prefix), "output_path": str(merge_ml / "result"),
                        "publish_cloudwatch_metrics": "Enabled", "end_time": "2026-11-27T03:00:00Z", **baseline},
                       tmp_path)
    assert done.returncode == 0, done.stderr
    assert (merge_ml / "output" / "message").read_text() == "CompletedWithViolations: 1 violation(s)"
    result = merge_ml / "result"
    assert sorted(p.name for p in result.iterdir()) == ["constraint_violations.json", "constraints.json",
                                                       "statistics.json"]
    assert (result / "statistics.json").read_bytes() == (tmp_path / "engine" / "statistics.json").read_bytes()
    assert read(result / "statistics.json")["dataset"] == {"item_count": 25000}
    single_ml = tmp_path / "single" / "opt" / "ml"  # the same window unsharded: one instance, all files
    done = _entrypoint({"ANALYZER_OPT_ML": str(single_ml), "dataset_source": str(case.capture), "output_path":
                        str(single_ml / "result"), "publish_cloudwatch_metrics": "Enabled",
                        "end_time": "2026-11-27T03:00:00Z", **baseline}, tmp_path)
    assert done.returncode == 0, done.stderr
    merged, single = ([json.loads(line) for line in (ml / "output" / "metrics" / "cloudwatch" / "metrics.jsonl")
                       .read_text().splitlines()] for ml in (merge_ml, single_ml))
    assert [m["MetricName"] for m in merged] == [m["MetricName"] for m in single]
    # counts, sums, extremes and completeness exactly; drift distances within the sketches' error
    assert [m.get("StatisticValues") for m in merged] == [m.get("StatisticValues") for m in single]
    for mine, theirs in zip(merged, single, strict=True):
        assert mine.get("Value", 0.0) == pytest.approx(theirs.get("Value", 0.0), abs=0.02)


def test_partial_statistics_for_another_command_is_refused_with_the_failure_file(tmp_path):
    opt_ml = tmp_path / "opt" / "ml"
    done = _entrypoint({"ANALYZER_OPT_ML": str(opt_ml), "analyzer_command": "estimate", "partial_statistics":
                        "Enabled", "dataset_source": str(tmp_path), "output_path": str(tmp_path / "out")}, tmp_path)
    assert done.returncode == 2
    assert (opt_ml / "output" / "message").read_text() == "partial_statistics=Enabled (or shard_count > 1) is for " \
                                                          "analyzer_command data-quality or model-quality, not estimate"


@pytest.mark.parametrize("labels", ["none uploaded", "none for the window's records"])
def test_model_quality_with_nothing_to_merge_fails_with_a_no_data_message(tmp_path, labels):
    # issue 18: the processing engine's model quality state machines tell "nothing to analyse yet" (the first
    # maturity window) from a failure by the "NoData: " prefix of the job's ExitMessage; the reason is the CLI's line
    ground_truth = tmp_path / "labels"
    ground_truth.mkdir()
    if labels == "none for the window's records":  # a label of another transaction, in Model Monitor's format
        hour = ground_truth / "2026" / "11" / "27" / "00"
        hour.mkdir(parents=True)
        (hour / "labels.jsonl").write_text(json.dumps({
            "groundTruthData": {"data": "1", "encoding": "CSV"}, "eventMetadata": {"eventId": "not-captured"},
            "eventVersion": "0"}) + "\n")
    done, opt_ml = _container(tmp_path, drift=None, analyzer_command="model-quality", baseline_statistics="",
                              baseline_constraints="", ground_truth=str(ground_truth), threshold="0.5",
                              sagemaker_monitoring_schedule_name="fraud-detect-prod-model-quality-matured")
    assert done.returncode == 2
    if labels == "none uploaded":
        reason = (f"no ground truth files under {ground_truth} (expected yyyy/mm/dd/hh/*.jsonl); check that it is the "
                  "stage's GroundTruthInput and that labels were uploaded (python -m pipelines.ground_truth)")
    else:
        reason = (f"none of the 3000 captured records in the window has a ground truth label in {ground_truth} "
                  "(1 labels read); labels are matched on the capture's inferenceId (else eventId) = the label's "
                  "eventMetadata.eventId")
    assert (opt_ml / "output" / "message").read_text() == f"NoData: {reason}"
    assert done.stderr == f"error: {reason}\n"
    assert not (opt_ml / "processing" / "resultdata").exists()
