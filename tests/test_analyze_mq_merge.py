"""Sharded model quality (issue 19 section 2): ``model-quality --partial`` per shard, ``merge-model-quality`` after;
the merged files are one pass's bytes (pipelines/analyze/mq_partial.py), and every bad input is one line."""

from __future__ import annotations

import json
import shutil
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from devtools.seed_captures import capture_line, start_of_day, traffic, write_captures, write_ground_truth
from tests.support.analyze import read, run_cli

FILES = ("statistics.json", "constraint_violations.json")
CONSTRAINTS = {"version": 0.0, "binary_classification_constraints": {  # the shape of the SDK's suggested constraints
    "recall": {"threshold": 0.99, "comparison_operator": "LessThanThreshold"},
    "precision": {"threshold": 0.05, "comparison_operator": "LessThanThreshold"},
    "auc": {"threshold": 0.5, "comparison_operator": "LessThanThreshold"}}}


def _case(root: Path, seed: int, n: int, per_file: int, labelled: float, seconds_apart: float = 7.0) -> Path:
    """Captures over several hour folders and files (a few unreadable or non-probability records among them),
    labels for a random share of them (collected the next day), and a constraints file; the case's root."""
    rng = np.random.default_rng(seed)
    data = traffic(n, 2, seed=seed, high_risk=0.05)
    ids = write_captures(root / "capture", data, start_of_day(), per_file=per_file, seconds_apart=seconds_apart)
    files = sorted((root / "capture").rglob("*.jsonl"))
    for path in rng.choice(files, size=min(2, len(files)), replace=False):  # problems, counted per file
        when = start_of_day() + timedelta(minutes=int(rng.integers(0, 50)))
        with open(path, "a", encoding="utf-8") as handle:
            handle.write("{not json\n")
            handle.write(capture_line("1.0,2.0", "7.5", f"bad-{path.stem}", when) + "\n")
    pick = rng.random(n) < labelled
    write_ground_truth(root / "gt", [i for i, keep in zip(ids, pick, strict=True) if keep], data.labels[pick],
                       start_of_day() + timedelta(days=1, hours=3))
    (root / "constraints.json").write_text(json.dumps(CONSTRAINTS))
    return root


def _shards(root: Path, owners: list[int], count: int) -> list[Path]:
    """The capture files dealt to ``count`` shard folders as ShardedByS3Key would (file i to owners[i]); a shard may
    get no file (its folder is empty)."""
    files = sorted((root / "capture").rglob("*.jsonl"))
    folders = [root / f"shard{index}" for index in range(count)]
    for folder in folders:
        folder.mkdir()
    for path, owner in zip(files, owners, strict=True):
        target = folders[owner] / path.relative_to(root / "capture")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, target)
    return folders


def _single(root: Path, capsys: Any, *extra: str, capture: Path | None = None) -> tuple[int, str, str]:
    return run_cli(["model-quality", "--capture", str(capture or root / "capture"), "--ground-truth",
                    str(root / "gt"), "--constraints", str(root / "constraints.json"), "--output",
                    str(root / "single"), *extra], capsys)


def _partial(root: Path, capsys: Any, shard: Path, output: Path, *extra: str) -> tuple[int, str, str]:
    return run_cli(["model-quality", "--partial", "--capture", str(shard), "--ground-truth", str(root / "gt"),
                    "--constraints", str(root / "constraints.json"), "--output", str(output), *extra], capsys)


@pytest.mark.slow
@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10_000), n=st.integers(20, 2500), per_file=st.integers(40, 900),
       labelled=st.sampled_from([0.3, 0.9, 1.0]), count=st.integers(1, 5), cut=st.booleans(),
       deal=st.randoms(use_true_random=False))
def test_merged_shards_write_the_single_pass_files_byte_for_byte(tmp_path_factory, capsys, seed, n, per_file, labelled,
                                                                 count, cut, deal):
    root = _case(tmp_path_factory.mktemp("mq"), seed, n, per_file, labelled)
    files = sorted((root / "capture").rglob("*.jsonl"))
    owners = [deal.randrange(count) for _ in files]
    window = ["--start", "2026-11-27T00:20:00Z", "--end", "2026-11-27T02:40:00Z"] if cut else []  # partial hours
    single = _single(root, capsys, *window)
    for index, folder in enumerate(_shards(root, owners, count)):
        code, out, err = _partial(root, capsys, folder, root / "parts" / f"p{index}", *window)
        assert (code, err) == (0, "")  # a shard never fails for no data, and warns nothing: the merge does
    order = [str(root / "parts" / f"p{index}" / "partial_model_quality.json") for index in range(count)]
    deal.shuffle(order)
    merged = run_cli(["merge-model-quality", *order, "--output", str(root / "merged")], capsys)
    assert merged[0] == single[0] and merged[2] == single[2]  # exit code; warnings, or the no-data error
    if single[0] == 2:
        assert not (root / "merged").exists()
        return
    for name in FILES:
        assert (root / "merged" / name).read_bytes() == (root / "single" / name).read_bytes()
    assert merged[1].splitlines()[:-1] == [single[1].splitlines()[0].replace(
        "model-quality:", f"merge-model-quality ({count} shard(s)):", 1), *single[1].splitlines()[1:-1]]


def test_three_shards_one_of_them_empty_merge_to_the_single_pass_and_say_so(tmp_path, capsys):
    root = _case(tmp_path, seed=5, n=2400, per_file=5000, labelled=0.9)  # one file an hour, 5 hours
    assert len(sorted((root / "capture").rglob("*.jsonl"))) == 5
    code, out, err = _single(root, capsys)
    assert code == 3
    assert err.splitlines()[0].startswith(
        "warning: 2 of 2404 captured records skipped: endpointOutput is not a fraud probability (output is not a "
        "probability between 0 and 1); first: {\"captureData\":")
    assert err.splitlines()[1:] == ["warning: 2 of 2404 captured records skipped: not a JSON line; first: {not json"]
    folders = _shards(root, [2, 0, 2, 0, 2], 3)
    lines = [_partial(root, capsys, folder, root / f"p{index}") for index, folder in enumerate(folders)]
    assert [line[1].splitlines()[0] for line in lines] == [
        "model-quality --partial: 933 of 1029 captured records have a label, in 2 file(s); merge the shards with "
        "merge-model-quality",
        "model-quality --partial: 0 of 0 captured records have a label, in 0 file(s); merge the shards with "
        "merge-model-quality",
        "model-quality --partial: 1224 of 1373 captured records have a label, in 3 file(s); merge the shards with "
        "merge-model-quality"]
    merged = run_cli(["merge-model-quality", str(root / "p2"), str(root / "p0"), str(root / "p1"), "--output",
                      str(root / "merged")], capsys)
    assert (merged[0], merged[2]) == (3, err)
    assert merged[1].splitlines()[0] == out.splitlines()[0].replace("model-quality:", "merge-model-quality (3 "
                                                                                      "shard(s)):")
    assert merged[1].splitlines()[0].startswith("merge-model-quality (3 shard(s)): 2157 of 2402 captured records have "
                                                "a label (join rate 89.8%)")
    for name in FILES:
        assert (root / "merged" / name).read_bytes() == (root / "single" / name).read_bytes()
    assert [v["metric_name"] for v in read(root / "merged" / "constraint_violations.json")["violations"]] == ["recall"]
    assert read(root / "merged" / "constraints.json") == CONSTRAINTS  # what the container writes next to them
    assert read(root / "merged" / "statistics.json")["binary_classification_metrics"]["auc"]["standard_deviation"] \
        != "NaN"  # 2,157 samples: the five 80% resamples, drawn by position, came out the same


def test_no_label_and_no_ground_truth_are_decided_by_the_merge_with_the_single_pass_error(tmp_path, capsys):
    root = _case(tmp_path, seed=2, n=300, per_file=100, labelled=0.0)
    folders = _shards(root, [0, 1, 0], 2)
    for index, folder in enumerate(folders):
        assert _partial(root, capsys, folder, root / f"p{index}")[0] == 0
    single = _single(root, capsys)
    assert single == (2, "", "error: none of the 302 captured records in the window has a ground truth label in "
                             f"{root / 'gt'} (0 labels read); labels are matched on the capture's inferenceId (else "
                             "eventId) = the label's eventMetadata.eventId\n")
    assert run_cli(["merge-model-quality", str(root / "p0"), str(root / "p1"), "--output", str(root / "m")],
                   capsys) == single
    shutil.rmtree(root / "gt")
    (root / "gt").mkdir()
    for index, folder in enumerate(folders):
        assert _partial(root, capsys, folder, root / f"q{index}")[0] == 0
    single = _single(root, capsys)
    assert single == (2, "", f"error: no ground truth files under {root / 'gt'} (expected yyyy/mm/dd/hh/*.jsonl); "
                             "check that it is the stage's GroundTruthInput and that labels were uploaded (python -m "
                             "pipelines.ground_truth)\n")
    assert run_cli(["merge-model-quality", str(root / "q0"), str(root / "q1"), "--output", str(root / "m")],
                   capsys) == single
    empty = [root / "e0", root / "e1"]
    for index, folder in enumerate(empty):
        folder.mkdir()
        assert _partial(root, capsys, folder, root / f"r{index}")[0] == 0
    assert run_cli(["merge-model-quality", str(root / "r0"), str(root / "r1"), "--output", str(root / "m")],
                   capsys) == _single(root, capsys, capture=empty[0]) == (
        2, "", f"error: no Data Capture files under {empty[0]} (expected <endpoint>/<variant>/yyyy/mm/dd/hh/*.jsonl); "
               "check that it is the endpoint's DataCaptureConfig DestinationS3Uri (or one endpoint's folder in it) "
               "and that capture is enabled and the endpoint had traffic\n")
    assert not (root / "m").exists()


@pytest.mark.parametrize(("edit", "message"), [
    (lambda doc: doc.update(kind="fraud-monitor/partial-statistics"), "is not a partial model quality file (no "
     "\"kind\": \"fraud-monitor/partial-model-quality\"); pass the files `model-quality --partial` wrote"),
    (lambda doc: doc.update(version=2), "has version 2; this analyzer reads version 1: run the shards and the merge "
     "with the same analyzer"),
    (lambda doc: doc["files"][0]["scores"].append(0.5), "is malformed (ValueError: file {first}: labels must be 0/1 "
     "and scores in [0, 1], as many of each); rerun the shard"),
    (lambda doc: doc["files"][0]["labels"].__setitem__(0, 2), "is malformed (ValueError: file {first}: labels must be "
     "0/1 and scores in [0, 1], as many of each); rerun the shard"),
    (lambda doc: doc.pop("ground_truth"), "is malformed (KeyError: 'ground_truth'); rerun the shard"),
    (lambda doc: doc.update(threshold="0.5"), "is malformed (ValueError: threshold is not a number); rerun the shard"),
])
def test_a_bad_partial_file_is_one_line_and_exit_2_with_nothing_written(tmp_path, capsys, edit, message):
    root = _case(tmp_path, seed=3, n=200, per_file=100, labelled=1.0)
    assert _partial(root, capsys, root / "capture", root / "part")[0] == 0
    path = root / "part" / "partial_model_quality.json"
    document = read(path)
    first = str(sorted((root / "capture").rglob("*.jsonl"))[0].relative_to(root / "capture"))
    assert document["files"][0]["path"] == first  # below the capture root: the same in every shard
    edit(document)
    path.write_text(json.dumps(document))
    assert run_cli(["merge-model-quality", str(path), "--output", str(root / "m")], capsys) == (
        2, "", f"error: partial model quality {path} {message.format(first=first)}\n")
    assert not (root / "m").exists()


def test_shards_of_other_windows_thresholds_ground_truth_or_files_are_refused(tmp_path, capsys):
    root = _case(tmp_path, seed=4, n=900, per_file=200, labelled=1.0)
    a, b = _shards(root, [0, 0, 1, 1, 1], 2)
    parts = root / "parts"
    _partial(root, capsys, a, parts / "a")
    _partial(root, capsys, b, parts / "b", "--start", "2026-11-27T01:00:00Z")
    _partial(root, capsys, b, parts / "c", "--threshold", "0.3")
    _partial(root, capsys, a, parts / "d")  # the same files as a
    write_ground_truth(root / "gt", ["late-1"], np.array([1]), start_of_day() + timedelta(days=2))
    _partial(root, capsys, b, parts / "e")  # read one label more than a
    pa, pb, pc, pd, pe = (parts / name / "partial_model_quality.json" for name in "abcde")

    def merge(*paths: Path) -> tuple[int, str, str]:
        return run_cli(["merge-model-quality", *map(str, paths), "--output", str(root / "m")], capsys)

    assert merge(pa, pb) == (2, "", f"error: partial model quality {pb} covers window [2026-11-27T01:00:00Z, open), "
                                    f"{pa} covers [open, open); merge shards of one window\n")
    assert merge(pc, pa) == (2, "", f"error: partial model quality {pc} has threshold 0.3, {pa} has 0.5; run every "
                                    "shard with the same threshold\n")
    assert merge(pa, pe) == (2, "", f"error: partial model quality {pe} read other ground truth than {pa} (901 "
                                    "labels, 900 there): labels changed while the shards ran; rerun the job\n")
    first = sorted(a.rglob("*.jsonl"))[0].relative_to(a)
    assert merge(pa, pd) == (2, "", f"error: capture file {first} is in two shards ({pa} and {pd}); each file must be "
                                    "read by one shard (ShardedByS3Key)\n")
    assert merge(pa, parts / "a") == (2, "", f"error: partial model quality {pa} is given twice; each shard counts "
                                             "once\n")
    assert merge(root / "gt") == (2, "", f"error: no partial_model_quality*.json under {root / 'gt'}; pass the "
                                         "shards' output folder or their files\n")
    assert not (root / "m").exists()


def test_the_shards_constraints_are_used_unless_the_merge_is_given_others(tmp_path, capsys):
    root = _case(tmp_path, seed=6, n=600, per_file=200, labelled=1.0)
    assert _partial(root, capsys, root / "capture", root / "p")[0] == 0
    loose = root / "loose.json"
    loose.write_text(json.dumps({"binary_classification_constraints": {
        "recall": {"threshold": 0.0, "comparison_operator": "LessThanThreshold"}}}))
    code, _, err = run_cli(["merge-model-quality", str(root / "p"), "--constraints", str(loose), "--output",
                            str(root / "m")], capsys)
    assert (code, read(root / "m" / "constraint_violations.json"), read(root / "m" / "constraints.json")) == (
        0, {"violations": []}, json.loads(loose.read_text()))
    run_cli(["model-quality", "--partial", "--capture", str(root / "capture"), "--ground-truth", str(root / "gt"),
             "--output", str(root / "bare")], capsys)
    first, other = root / "p" / "partial_model_quality.json", root / "bare" / "partial_model_quality.json"
    assert run_cli(["merge-model-quality", str(first), str(other), "--output", str(root / "n")], capsys) == (
        2, "", f"error: partial model quality {other} carries other constraints than {first}; every shard must run "
               "against the same constraints\n")  # one shard ran with constraints, one without
    assert not (root / "n").exists()


# -- the container, as the processing engine's Analyze (InstanceCount 2) and Merge steps run it ---------------------

CONTAINER_KEYS = ("ANALYZER_OPT_ML", "analyzer_command", "dataset_source", "output_path", "start_time", "end_time",
                  "publish_cloudwatch_metrics", "sagemaker_endpoint_name", "sagemaker_monitoring_schedule_name",
                  "baseline_constraints", "ground_truth", "threshold", "shard_count", "cloudwatch_namespace",
                  "metric_time", "partial_statistics", "baseline_statistics")


def _entrypoint(monkeypatch: Any, environment: dict[str, str]) -> int:
    from pipelines.analyze import container

    for name in CONTAINER_KEYS:
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    return container.main()


def _sharded_then_merged(root: Path, monkeypatch: Any, owners: list[int]) -> tuple[list[int], Path, Path]:
    """Two instances (algo-1, algo-2; /opt/ml/config/resourceconfig.json as Processing writes it) each with its
    ShardedByS3Key share of the captures and the whole ground truth; then the merge job with the environment the
    state machine's Merge step gives it (no baseline, ground truth or threshold: the shards carry them)."""
    common = {"start_time": "2026-11-27T00:00:00Z", "end_time": "2026-11-27T06:00:00Z",
              "publish_cloudwatch_metrics": "Enabled", "sagemaker_endpoint_name": "fraud-detect-prod",
              "sagemaker_monitoring_schedule_name": "fraud-detect-prod-model-quality"}
    analyze = {**common, "analyzer_command": "model-quality", "ground_truth": str(root / "gt"), "threshold": "0.5",
               "baseline_constraints": str(root / "constraints.json")}
    shared = root / "s3" / "shards"  # what the instances' outputs become under one S3 prefix
    codes = []
    for index, folder in enumerate(_shards(root, owners, 2)):
        opt_ml = root / f"algo-{index + 1}" / "opt" / "ml"
        (opt_ml / "config").mkdir(parents=True)
        (opt_ml / "config" / "resourceconfig.json").write_text(json.dumps({"current_host": f"algo-{index + 1}",
                                                                          "hosts": ["algo-1", "algo-2"]}))
        codes.append(_entrypoint(monkeypatch, {**analyze, "ANALYZER_OPT_ML": str(opt_ml), "shard_count": "2",
                                               "dataset_source": str(folder), "output_path": str(shared)}))
        assert (opt_ml / "output" / "message").read_text() == "Completed: partial model quality"
    assert sorted(str(p.relative_to(shared)) for p in shared.rglob("*")) == [
        "algo-1", "algo-1/partial_model_quality.json", "algo-2", "algo-2/partial_model_quality.json"]
    merge_ml = root / "merge" / "opt" / "ml"
    codes.append(_entrypoint(monkeypatch, {**common, "ANALYZER_OPT_ML": str(merge_ml),
                                           "analyzer_command": "merge-model-quality", "dataset_source": str(shared),
                                           "output_path": str(root / "merge" / "out")}))
    single_ml = root / "single" / "opt" / "ml"
    codes.append(_entrypoint(monkeypatch, {**analyze, "ANALYZER_OPT_ML": str(single_ml),
                                           "dataset_source": str(root / "capture"),
                                           "output_path": str(root / "single" / "out")}))
    return codes, merge_ml, single_ml


def test_the_containers_shards_and_merge_step_write_and_publish_what_one_instance_does(tmp_path, monkeypatch):
    root = _case(tmp_path, seed=8, n=1500, per_file=5000, labelled=0.9)  # 3 hour files
    codes, merge_ml, single_ml = _sharded_then_merged(root, monkeypatch, [1, 0, 1])
    assert codes == [0, 0, 0, 0]
    merged, single = root / "merge" / "out", root / "single" / "out"
    assert sorted(p.name for p in merged.iterdir()) == sorted(p.name for p in single.iterdir()) == [
        "constraint_violations.json", "constraints.json", "statistics.json"]
    for path in single.iterdir():
        assert (merged / path.name).read_bytes() == path.read_bytes()
    for name in ("message", "metrics/cloudwatch/metrics.jsonl"):
        assert (merge_ml / "output" / name).read_bytes() == (single_ml / "output" / name).read_bytes()
    assert (merge_ml / "output" / "message").read_text() == "Completed: no violations; 4 unreadable file(s), " \
                                                            "record(s) or row(s) skipped (see the job's log)"


def test_no_label_in_any_shard_fails_the_merge_job_with_the_no_data_mark_the_state_machine_matches(tmp_path,
                                                                                                   monkeypatch):
    root = _case(tmp_path, seed=9, n=600, per_file=5000, labelled=0.0)
    codes, merge_ml, single_ml = _sharded_then_merged(root, monkeypatch, [0, 1])
    assert codes == [0, 0, 2, 2]  # the shards complete; the merge fails as the one-instance job does
    assert (merge_ml / "output" / "message").read_text() == (single_ml / "output" / "message").read_text() == (
        "NoData: none of the 602 captured records in the window has a ground truth label in "
        f"{root / 'gt'} (0 labels read); labels are matched on the capture's inferenceId (else eventId) = the label's "
        "eventMetadata.eventId")
    assert not (root / "merge" / "out").exists()
