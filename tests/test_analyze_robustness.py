"""The analyzer never says "fine" when it could not tell and never crashes (issue 17, section 2).

One test group per defect class: schema before access (capture records, labels, baselines, container settings),
degenerate statistics (strict JSON, bucket counts), files and folders, resources in bytes, one validation for the
CLI and the container, messages with the right counts. Baselines are the SageMaker SDK-built fixtures
(tests/fixtures/sdk/, see its README); records follow AWS's documented layouts (devtools/seed_captures.py).
"""

from __future__ import annotations

from fractions import Fraction

import json
import math
import os
import shutil
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from devtools.seed_captures import capture_line, fraud_rows, start_of_day
from pipelines.analyze import capture, kll
from pipelines.analyze.capture import Problems, Window, batches
from pipelines.analyze.commands import finite_json
from pipelines.analyze.sources import HourFile, Reader
from pipelines.analyze.stats import Profile
from tests.support.analyze import run_cli

SDK = Path(__file__).resolve().parent / "fixtures" / "sdk"
REPO = Path(__file__).resolve().parents[1]
HOUR = "2026/11/27/00"


def strict_loads(text: str):
    """json.loads that refuses NaN and Infinity (strict JSON)."""
    def refuse(token: str) -> None:
        raise ValueError(f"non-strict JSON constant {token}")
    return json.loads(text, parse_constant=refuse)


def _records(n: int = 12) -> list[dict]:
    when = start_of_day() + timedelta(minutes=5)
    return [json.loads(capture_line(row, 0.9 if index % 4 == 0 else 0.05, f"e-{index}", when, f"txn-{index}"))
            for index, row in enumerate(fraud_rows(n, seed=3))]


def _label(index: int) -> dict:
    return {"groundTruthData": {"data": str(int(index % 4 == 0)), "encoding": "CSV"},
            "eventMetadata": {"eventId": f"txn-{index}"}, "eventVersion": "0"}


def _layout(root: Path, records: list, labels: list | None = None) -> None:
    """Captures (and labels) as SageMaker lays them out; records are dicts or raw lines."""
    folder = root / "capture" / "ep" / "AllTraffic" / HOUR
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "a.jsonl").write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in records))
    gt = root / "gt" / "2026/11/28/00"
    gt.mkdir(parents=True, exist_ok=True)
    labels = labels if labels is not None else [_label(index) for index in range(len(records))]
    (gt / "l.jsonl").write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in labels))


def _dq(root: Path, statistics: Path = SDK / "data_quality_statistics.json",
        constraints: Path = SDK / "data_quality_constraints.json") -> list[str]:
    return ["data-quality", "--capture", str(root / "capture"), "--statistics", str(statistics), "--constraints",
            str(constraints), "--output", str(root / "out")]


def _mq(root: Path, *extra: str) -> list[str]:
    return ["model-quality", "--capture", str(root / "capture"), "--ground-truth", str(root / "gt"), "--output",
            str(root / "out"), *extra]


def _estimate(root: Path, *extra: str) -> list[str]:
    return ["estimate", "--capture", str(root / "capture"), "--output", str(root / "out"), *extra]


def _bad(path: str, value) -> dict:
    record = _records(1)[0]
    holder = record
    steps = path.split(".")
    for step in steps[:-1]:
        holder = holder[step]
    holder[steps[-1]] = value
    return record


# --- schema before access: capture records --------------------------------------------------------------------

@pytest.mark.parametrize(("path", "value", "command", "reason"), [
    ("captureData.endpointOutput.data", None, "model-quality",
     "endpointOutput is not a fraud probability (capture without endpointOutput data)"),
    ("captureData.endpointInput", [1, 2], "data-quality", "captureData.endpointInput is not an object"),
    ("eventMetadata", "e-1", "data-quality", "eventMetadata is not an object"),
    ("eventMetadata", "e-1", "model-quality", "eventMetadata is not an object"),
    ("captureData.endpointOutput.data", '{"score": null}', "model-quality",
     "endpointOutput is not a fraud probability (score is not a number)"),
    ("captureData.endpointOutput.data", '{"score": []}', "estimate",
     "endpointOutput is not a fraud probability (score is not a number)"),
    ("captureData.endpointInput.observedContentType", 7, "data-quality",
     "captureData.endpointInput.observedContentType is not a string"),
    ("eventMetadata.inferenceTime", ["2026"], "model-quality", "eventMetadata.inferenceTime is not a string"),
])
def test_a_bad_capture_record_is_one_counted_reason_and_the_run_goes_on(tmp_path, capsys, path, value, command,
                                                                        reason):
    bad = _bad(path, value)
    _layout(tmp_path, _records(12) + [bad])
    argv = {"data-quality": _dq(tmp_path), "model-quality": _mq(tmp_path), "estimate": _estimate(tmp_path)}[command]
    code, _, err = run_cli(argv, capsys)
    assert code in (0, 3), err
    assert err.splitlines()[0] == f"warning: 1 of 13 captured records skipped: {reason}; first: {json.dumps(bad)[:300]}"
    strict_loads((tmp_path / "out" / "statistics.json").read_text())


JSON_VALUES = st.recursive(st.none() | st.booleans() | st.integers(-10**20, 10**20) | st.floats() | st.text(max_size=8),
                           lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner,
                                                                                       max_size=3), max_leaves=6)
CAPTURE_PATHS = ["captureData", "captureData.endpointInput", "captureData.endpointInput.data",
                 "captureData.endpointInput.encoding", "captureData.endpointInput.observedContentType",
                 "captureData.endpointOutput", "captureData.endpointOutput.data", "captureData.endpointOutput.encoding",
                 "captureData.endpointOutput.observedContentType", "eventMetadata", "eventMetadata.eventId",
                 "eventMetadata.inferenceId", "eventMetadata.inferenceTime"]


@pytest.mark.slow
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(path=st.sampled_from(CAPTURE_PATHS), value=JSON_VALUES,
       command=st.sampled_from(["data-quality", "model-quality", "estimate"]))
def test_any_value_in_any_capture_field_never_ends_the_run(tmp_path_factory, path, value, command):
    import contextlib
    import io

    from pipelines.analyze.__main__ import main

    root = tmp_path_factory.mktemp("fuzz")
    _layout(root, _records(12) + [_bad(path, value)])
    argv = {"data-quality": _dq(root), "model-quality": _mq(root), "estimate": _estimate(root)}[command]
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = main(argv)  # a traceback fails the test
    assert code in (0, 3), err.getvalue()
    for name in ("statistics.json", "constraint_violations.json"):
        strict_loads((root / "out" / name).read_text())
    lines = err.getvalue().splitlines()
    assert all(line.startswith("warning: ") for line in lines)
    assert len(lines) <= 2  # one bad record: at most one reason line (+ a note on values written as strings)


# --- schema before access: labels -------------------------------------------------------------------------------

@pytest.mark.parametrize(("label", "reason"), [
    ({"groundTruthData": None, "eventMetadata": {"eventId": "txn-0"}},
     "ground truth line without groundTruthData.data and eventMetadata.eventId"),
    ({"groundTruthData": {"data": "1"}, "eventMetadata": "txn-0"},
     "ground truth line without groundTruthData.data and eventMetadata.eventId"),
    ({"groundTruthData": {"data": "1", "encoding": ["CSV"]}, "eventMetadata": {"eventId": "txn-0"}},
     "ground truth groundTruthData.data or .encoding is not a string"),
    ({"groundTruthData": {"data": 1, "encoding": "BASE64"}, "eventMetadata": {"eventId": "txn-0"}},
     "ground truth label that is not 0/1"),
    ({"groundTruthData": {"data": "1"}, "eventMetadata": {"eventId": {"id": 1}}},
     "ground truth eventMetadata.eventId is not a string"),
    ([1, 2], "ground truth line without groundTruthData.data and eventMetadata.eventId"),
])
def test_a_bad_label_is_one_counted_reason_and_the_run_goes_on(tmp_path, capsys, label, reason):
    _layout(tmp_path, _records(12), [label] + [_label(index) for index in range(1, 12)])
    code, _, err = run_cli(_mq(tmp_path), capsys)
    assert code == 0, err
    assert err == f"warning: 1 ground truth label(s) skipped: {reason}; first: {json.dumps(label)}\n"


# --- schema before access: baselines ----------------------------------------------------------------------------

def _edited(tmp_path: Path, name: str, edit) -> Path:
    document = json.loads((SDK / name).read_text())
    edit(document)
    path = tmp_path / name
    path.write_text(json.dumps(document))
    return path


FIX = "fix the file or regenerate it with a baselining job"


@pytest.mark.parametrize(("name", "edit", "message"), [
    ("data_quality_constraints.json", lambda d: d["features"][1].update(completeness="high"),
     "baseline constraints {p}: features[1].completeness is 'high', not a number"),
    ("data_quality_constraints.json", lambda d: d.update(monitoring_config=[1]),
     "baseline constraints {p}: monitoring_config is a list, not an object"),
    ("data_quality_constraints.json", lambda d: d["monitoring_config"]["distribution_constraints"].update(
        comparison_threshold=None),
     "baseline constraints {p}: monitoring_config.distribution_constraints.comparison_threshold is null, not a "
     "number"),
    ("data_quality_constraints.json", lambda d: d["monitoring_config"]["distribution_constraints"].update(
        comparison_threshold="abc"),
     "baseline constraints {p}: monitoring_config.distribution_constraints.comparison_threshold is 'abc', not a "
     "number"),
    ("data_quality_constraints.json", lambda d: d["monitoring_config"]["distribution_constraints"].update(
        comparison_method=["Robust"]),
     "baseline constraints {p}: monitoring_config.distribution_constraints.comparison_method is a list, not a "
     "string"),
    ("data_quality_constraints.json", lambda d: d["features"][2]["string_constraints"].update(domains=-1),
     "baseline constraints {p}: features[2].string_constraints.domains is -1, not a list"),
    ("data_quality_statistics.json",
     lambda d: d["features"][1]["numerical_statistics"]["distribution"]["kll"]["sketch"].update(data=[["a", 1]]),
     "baseline statistics {p}: features[1].numerical_statistics.distribution.kll.sketch.data[0][0] is 'a', not a "
     "number"),
    ("data_quality_statistics.json",
     lambda d: d["features"][1]["numerical_statistics"]["distribution"]["kll"]["sketch"]["parameters"].update(
         k=math.inf),
     "baseline statistics {p}: features[1].numerical_statistics.distribution.kll.sketch.parameters.k is inf, not a "
     "number"),
    ("data_quality_statistics.json", lambda d: d["features"][2]["string_statistics"]["distribution"]["categorical"][
        "buckets"][0].update(count="many"),
     "baseline statistics {p}: features[2].string_statistics.distribution.categorical.buckets[0].count is 'many', "
     "not a number"),
    ("data_quality_statistics.json", lambda d: d["features"][3].update(name=d["features"][1]["name"]),
     "baseline statistics {p}: features[3].name 'transaction_amount' appears twice (each feature once)"),
])
def test_a_bad_data_quality_baseline_is_one_line_and_exit_2(tmp_path, capsys, name, edit, message):
    _layout(tmp_path, _records(12))
    path = _edited(tmp_path, name, edit)
    kinds = {"statistics": path if "statistics" in name else SDK / "data_quality_statistics.json",
             "constraints": path if "constraints" in name else SDK / "data_quality_constraints.json"}
    code, out, err = run_cli(_dq(tmp_path, **kinds), capsys)
    if message is None:
        assert code in (0, 3), err
        return
    assert (code, out, err) == (2, "", f"error: {message.format(p=path)}; {FIX}\n")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(("name", "edit", "flag", "message"), [
    ("model_quality_constraints.json", lambda d: d["binary_classification_constraints"]["recall"].pop("threshold"),
     "--constraints", "model quality constraints {p}: binary_classification_constraints.recall.threshold is null, "
                      "not a number"),
    ("model_quality_constraints.json",
     lambda d: d["binary_classification_constraints"]["recall"].update(threshold="0.8x"), "--constraints",
     "model quality constraints {p}: binary_classification_constraints.recall.threshold is '0.8x', not a number"),
    ("model_quality_constraints.json", lambda d: d["binary_classification_constraints"].update(recall=None),
     "--constraints", "model quality constraints {p}: binary_classification_constraints.recall is null, not an "
                      "object"),
    ("model_quality_statistics.json", lambda d: d["binary_classification_metrics"].update(
        confusion_matrix={"0": {"0": 0, "1": 0}, "1": {"0": 0, "1": 0}}), "--statistics",
     "model quality baseline statistics {p}: binary_classification_metrics.confusion_matrix counts no records (all "
     "zero)"),
    ("model_quality_statistics.json", lambda d: d["binary_classification_metrics"]["confusion_matrix"]["0"].update(
        {"0": math.nan}), "--statistics",
     "model quality baseline statistics {p}: binary_classification_metrics.confusion_matrix.0.0 is nan, not a "
     "number"),
])
def test_a_bad_model_quality_baseline_is_one_line_and_exit_2(tmp_path, capsys, name, edit, flag, message):
    _layout(tmp_path, _records(12))
    path = _edited(tmp_path, name, edit)
    argv = _estimate(tmp_path, flag, str(path)) if flag == "--statistics" else _mq(tmp_path, flag, str(path))
    code, out, err = run_cli(argv, capsys)
    assert (code, out, err) == (2, "", f"error: {message.format(p=path)}; {FIX}\n")
    assert not (tmp_path / "out").exists()


def _paths(document, prefix=()):
    yield prefix
    if isinstance(document, dict):
        for key, value in document.items():
            yield from _paths(value, prefix + (key,))
    elif isinstance(document, list):
        for index, value in enumerate(document[:2]):
            yield from _paths(value, prefix + (index,))


BASELINES = {name: json.loads((SDK / name).read_text()) for name in (
    "data_quality_statistics.json", "data_quality_constraints.json", "model_quality_statistics.json",
    "model_quality_constraints.json")}
BASELINE_PATHS = [(name, path) for name, document in BASELINES.items() for path in _paths(document) if path]


@pytest.mark.slow
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(target=st.sampled_from(BASELINE_PATHS), value=JSON_VALUES)
def test_any_value_anywhere_in_a_baseline_is_exit_2_with_one_line_or_a_strict_result(tmp_path_factory, target,
                                                                                     value):
    import contextlib
    import copy
    import io

    from pipelines.analyze.__main__ import main

    name, path = target
    document = copy.deepcopy(BASELINES[name])
    holder = document
    for step in path[:-1]:
        holder = holder[step]
    holder[path[-1]] = value
    root = tmp_path_factory.mktemp("baseline")
    _layout(root, _records(12))
    edited = root / name
    edited.write_text(json.dumps(document))
    argv = {"data_quality_statistics.json": _dq(root, statistics=edited),
            "data_quality_constraints.json": _dq(root, constraints=edited),
            "model_quality_statistics.json": _estimate(root, "--statistics", str(edited)),
            "model_quality_constraints.json": _mq(root, "--constraints", str(edited))}[name]
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = main(argv)  # a traceback fails the test
    if code == 2:
        assert len(err.getvalue().splitlines()) == 1 and err.getvalue().startswith("error: ")
        assert not (root / "out").exists()
    else:
        assert code in (0, 3), err.getvalue()
        for output in ("statistics.json", "constraint_violations.json"):
            strict_loads((root / "out" / output).read_text())


# --- degenerate statistics --------------------------------------------------------------------------------------

@pytest.mark.slow
@settings(max_examples=60, deadline=None)
@given(values=st.lists(st.floats(allow_nan=False, allow_infinity=False), min_size=1, max_size=300) |
       st.lists(st.sampled_from([0.0, 1e308, -1e308, 5e-324]), min_size=1, max_size=50))
def test_profile_statistics_are_strict_json_and_bucket_counts_never_negative(values):
    profile = Profile([("x", "Fractional")])
    profile.add_csv([repr(value) for value in values], Problems())
    replaced: list[str] = []
    document = finite_json(profile.to_json(), "statistics.json", replaced)
    strict_loads(json.dumps(document, allow_nan=False))
    numbers = document["features"][0]["numerical_statistics"]
    counts = [bucket["count"] for bucket in numbers["distribution"]["kll"]["buckets"]]
    assert min(counts) >= 0
    assert all(math.isfinite(bucket[key]) for bucket in numbers["distribution"]["kll"]["buckets"]
               for key in ("lower_bound", "upper_bound"))
    assert replaced == [path for path in replaced if path.startswith("statistics.json.features[0]")]


def test_a_sum_that_overflows_is_written_as_a_string_and_said(tmp_path, capsys):
    """Two captures of 1e308 in a numeric column: the sum overflows a double; strict JSON has no Infinity. The mean
    is the exact sum divided by the count, rounded once (pipelines/analyze/exact.py): finite."""
    when = start_of_day() + timedelta(minutes=5)
    rows = ["1e308,grocery,1,2,3,4", "1e308,grocery,1,2,3,4"] + fraud_rows(10, seed=1)
    _layout(tmp_path, [capture_line(row, 0.1, f"e-{i}", when) for i, row in enumerate(rows)])
    code, _, err = run_cli(_dq(tmp_path), capsys)
    assert code == 3, err  # the is_fraud column (the 0.1 output, START layout) fails its Integral type check
    statistics = strict_loads((tmp_path / "out" / "statistics.json").read_text())
    amount = statistics["features"][1]["numerical_statistics"]
    exact_mean = float((2 * Fraction(1e308) + sum(Fraction(float(row.split(",")[0])) for row in rows[2:])) / 12)
    assert (amount["sum"], amount["mean"], amount["std_dev"], amount["max"]) == ("Infinity", exact_mean, "NaN", 1e308)
    assert [bucket["count"] for bucket in amount["distribution"]["kll"]["buckets"]] == [10.0] + [0.0] * 8 + [2.0]
    assert err.splitlines() == [
        'warning: 2 value(s) that are not finite numbers written as strings ("NaN", "Infinity"); first: '
        "statistics.json.features[1].numerical_statistics.sum",
        "warning: 1 CloudWatch metric(s) without a finite value not published (CloudWatch takes numbers only); "
        "first: feature_data_transaction_amount"]


def test_chi_squared_with_one_category_left_is_said_not_passed(tmp_path, capsys):
    constraints = _edited(tmp_path, "data_quality_constraints.json", lambda d: d["monitoring_config"][
        "distribution_constraints"].update(categorical_drift_method="ChiSquared"))
    when = start_of_day() + timedelta(minutes=5)
    rows = [row.replace(row.split(",")[1], "grocery") for row in fraud_rows(12, seed=1)]
    statistics = _edited(tmp_path, "data_quality_statistics.json", lambda d: d["features"][2]["string_statistics"][
        "distribution"]["categorical"].update(buckets=[{"value": "grocery", "count": 100.0}]))
    _layout(tmp_path, [capture_line(row, 0.1, f"e-{i}", when) for i, row in enumerate(rows)])
    code, _, err = run_cli(_dq(tmp_path, statistics=statistics, constraints=constraints), capsys)
    assert code in (0, 3), err
    assert ("warning: merchant_category: ChiSquared drift not checked (fewer than 2 categories left after "
            "regrouping, or a baseline that counts nothing)") in err.splitlines()


def _regroup_reference(expected: dict, sample: dict) -> tuple[dict, dict]:
    """The earlier quadratic loop (a dict rescanned at every step), kept to show the heap gives the same groups."""
    expected, sample = dict(expected), dict(sample)
    while len(expected) >= 2:
        threshold, allowed = (10, 0) if len(expected) == 2 else (5, int(0.2 * len(expected)))
        if sum(1 for value in expected.values() if value < threshold) <= allowed:
            break
        smallest = min(expected, key=expected.__getitem__)
        moved_expected, moved_sample = expected.pop(smallest), sample.pop(smallest, 0.0)
        second = min(expected, key=expected.__getitem__)
        expected[second] += moved_expected
        sample[second] = sample.get(second, 0.0) + moved_sample
    return expected, sample


@pytest.mark.slow
@settings(max_examples=200, deadline=None)
@given(counts=st.lists(st.tuples(st.integers(0, 40), st.integers(0, 40)), min_size=1, max_size=120))
def test_chi_squared_regrouping_by_heap_equals_the_rescanning_loop(counts):
    expected = {f"c{index}": float(e) for index, (e, _) in enumerate(counts)}
    sample = {f"c{index}": float(s) for index, (_, s) in enumerate(counts) if s}
    assert kll._regroup(dict(expected), dict(sample)) == _regroup_reference(expected, sample)


# --- files and folders ------------------------------------------------------------------------------------------

def test_a_dangling_symlink_and_a_fifo_are_named_counted_and_said_in_the_run(tmp_path, capsys):
    _layout(tmp_path, _records(12))
    folder = tmp_path / "capture" / "ep" / "AllTraffic" / HOUR
    (folder / "gone.jsonl").symlink_to(tmp_path / "nowhere.jsonl")
    os.mkfifo(folder / "pipe.jsonl")  # opening it would block the run forever
    code, out, err = run_cli(_dq(tmp_path), capsys)
    assert code in (0, 3)
    assert err.splitlines()[:2] == [
        f"warning: 1 capture file(s) or folder(s) skipped: dangling symlink; first: {folder / 'gone.jsonl'}",
        f"warning: 1 capture file(s) or folder(s) skipped: not a regular file (a FIFO, socket or device); first: "
        f"{folder / 'pipe.jsonl'}"]
    assert out.splitlines()[0].startswith("data-quality: 12 rows from 12 captured records")


def test_a_symlinked_hour_folder_is_read_and_a_link_cycle_is_walked_once(tmp_path, capsys):
    _layout(tmp_path, _records(12))
    elsewhere = tmp_path / "elsewhere"
    shutil.move(str(tmp_path / "capture" / "ep" / "AllTraffic" / "2026"), elsewhere)
    (tmp_path / "capture" / "ep" / "AllTraffic" / "2026").symlink_to(elsewhere)
    (elsewhere / "11" / "loop").symlink_to(elsewhere)
    code, out, err = run_cli(_dq(tmp_path), capsys)
    assert (code in (0, 3), err) == (True, "")
    assert out.splitlines()[0].startswith("data-quality: 12 rows from 12 captured records")


@pytest.mark.slow
@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("setpriv"), reason="needs root and setpriv to run as nobody")
def test_unreadable_files_and_hour_folders_are_named_and_counted_as_nobody_sees_them(tmp_path):
    """Run as an unprivileged user (root reads everything): a file and an hour folder it may not read."""
    _layout(tmp_path, _records(12))
    base = tmp_path / "capture" / "ep" / "AllTraffic" / "2026" / "11" / "27"
    (base / "01").mkdir()
    (base / "01" / "b.jsonl").write_text(json.dumps(_records(1)[0]) + "\n")
    (base / "00" / "secret.jsonl").write_text(json.dumps(_records(1)[0]) + "\n")
    os.chmod(base / "00" / "secret.jsonl", 0o000)
    os.chmod(base / "01", 0o000)
    os.chmod(tmp_path, 0o777)
    for folder in tmp_path.parents:  # pytest's tmp folders are private to root
        if str(folder).startswith("/tmp/"):
            os.chmod(folder, 0o755)
    done = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", sys.executable, "-m",
                           "pipelines.analyze", *_dq(tmp_path)[:-1], "/tmp/" + tmp_path.name + "-out"],
                          cwd=REPO, env={"PATH": os.environ["PATH"], "PYTHONPATH": str(REPO)},
                          capture_output=True, text=True, timeout=120, check=False)
    if "Permission denied" in done.stderr and "python" in done.stderr.lower() and done.returncode not in (0, 3):
        pytest.skip(f"nobody cannot run this interpreter here: {done.stderr[-200:]}")
    assert done.returncode in (0, 3), done.stderr
    assert sorted(done.stderr.splitlines()[:2]) == [
        f"warning: 1 capture file(s) or folder(s) skipped: cannot be read (Permission denied); first: "
        f"{base / '00' / 'secret.jsonl'}",
        f"warning: 1 capture file(s) or folder(s) skipped: folder cannot be listed (Permission denied); first: "
        f"{base / '01'}"]


def test_output_is_checked_before_anything_is_read(tmp_path, capsys):
    (tmp_path / "taken").write_text("a file")
    argv = ["data-quality", "--capture", str(tmp_path / "no-such-capture"), "--statistics", str(tmp_path / "none"),
            "--constraints", str(tmp_path / "none"), "--output", str(tmp_path / "taken")]
    assert run_cli(argv, capsys) == (2, "", f"error: --output {tmp_path / 'taken'} is a file; pass a directory (it "
                                            "is created if missing)\n")
    argv[-1] = str(tmp_path / "taken" / "below")
    assert run_cli(argv, capsys)[2] == (f"error: --output {tmp_path / 'taken' / 'below'}: {tmp_path / 'taken'} is a "
                                        "file, so the directory cannot be created; pass another directory\n")


# --- resources in bytes -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("features", [4, 400])
def test_batches_end_at_the_byte_bound_whatever_the_record_width(tmp_path, monkeypatch, features):
    monkeypatch.setattr(capture, "BATCH_BYTES", 20_000)
    row = ",".join(["12.50"] * features)
    when = start_of_day() + timedelta(minutes=1)
    path = tmp_path / "c" / "ep" / "v" / HOUR / "a.jsonl"
    path.parent.mkdir(parents=True)
    path.write_text("".join(capture_line(row, 0.1, f"e-{i}", when) + "\n" for i in range(300)))
    files = [HourFile(str(path), start_of_day(), str(path.parent))]
    for check_time in (False, True):  # the whole-chunk path and the line-by-line path
        window = Window(start_of_day(), start_of_day() + timedelta(minutes=30)) if check_time else Window()
        found = list(batches(Reader(), files, window, Problems()))
        assert sum(len(batch) for batch in found) == 300
        line = len(capture_line(row, 0.1, "e-0", when)) + 1
        for batch in found[:-1]:
            assert 20_000 <= batch.bytes < 20_000 + (line if check_time else 1 << 22)
        if check_time:
            assert len(found) == math.ceil(300 * line / (20_000 + line - 1)) or len(found) > 1


# --- one validation for the CLI and the container ---------------------------------------------------------------

def _container_env(tmp_path: Path, monkeypatch, **overrides: str) -> Path:
    _layout(tmp_path, _records(12))
    opt_ml = tmp_path / "opt" / "ml"
    env = {"ANALYZER_OPT_ML": str(opt_ml), "dataset_source": str(tmp_path / "capture"),
           "output_path": str(tmp_path / "result"), "analyzer_command": "model-quality",
           "ground_truth": str(tmp_path / "gt"), "publish_cloudwatch_metrics": "Enabled",
           "dataset_format": '{"sagemakerCaptureJson": {"captureIndexNames": ["endpointInput","endpointOutput"]}}'}
    env.update(overrides)
    for name in ("analyzer_command", "dataset_source", "output_path", "start_time", "end_time", "threshold",
                 "baseline_statistics", "baseline_constraints", "ground_truth", "publish_cloudwatch_metrics",
                 "dataset_format"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return opt_ml


@pytest.mark.parametrize(("overrides", "cli_flags", "reason"), [
    ({"threshold": "abc"}, ["--threshold", "abc"], "threshold 'abc' is not a number between 0 and 1 (exclusive); "
                                                   "pass the score at which the model flags fraud, e.g. 0.5"),
    ({"threshold": "0"}, ["--threshold", "0"], "threshold '0' is not a number between 0 and 1 (exclusive); pass the "
                                               "score at which the model flags fraud, e.g. 0.5"),
    ({"threshold": "nan"}, ["--threshold", "nan"], "threshold 'nan' is not a number between 0 and 1 (exclusive); pass "
                                                   "the score at which the model flags fraud, e.g. 0.5"),
    ({"start_time": "yesterday"}, ["--start", "yesterday"], "start_time 'yesterday' is not an ISO-8601 time (e.g. "
                                                            "2026-11-28T10:00:00Z)"),
])
def test_the_container_refuses_what_the_cli_refuses_and_writes_the_reason_for_the_job(tmp_path, monkeypatch, capsys,
                                                                                      overrides, cli_flags, reason):
    from pipelines.analyze import container

    opt_ml = _container_env(tmp_path, monkeypatch, **overrides)
    assert container.main() == 2
    assert (opt_ml / "output" / "message").read_text() == reason
    assert capsys.readouterr().err == f"error: {reason}\n"
    assert not (tmp_path / "result").exists()
    cli_reason = reason.replace("threshold '", "--threshold '").replace("start_time '", "--start '")
    assert run_cli(_mq(tmp_path, *cli_flags), capsys) == (2, "", f"error: {cli_reason}\n")


@pytest.mark.parametrize(("overrides", "reason"), [
    ({"publish_cloudwatch_metrics": "yes"}, "publish_cloudwatch_metrics 'yes' is not Enabled or Disabled"),
    ({"dataset_format": "{csv"}, "environment variable dataset_format is not JSON ('{csv'); use e.g. "
                                 '{"csv": {"header": false, "output_columns_position": "START"}}'),
    ({"analyzer_command": "drift"}, "analyzer_command 'drift' is not one of data-quality, model-quality, estimate, "
                                    "merge-statistics, merge-model-quality, clarify-dataset, clarify-check, shap-dataset, "
                                    "shap-check"),
])
def test_container_only_settings_are_checked_too(tmp_path, monkeypatch, capsys, overrides, reason):
    from pipelines.analyze import container

    opt_ml = _container_env(tmp_path, monkeypatch, **overrides)
    assert container.main() == 2
    assert (opt_ml / "output" / "message").read_text() == reason


def test_the_container_says_when_it_completed_on_less_data_than_was_there(tmp_path, monkeypatch, capsys):
    from pipelines.analyze import container

    opt_ml = _container_env(tmp_path, monkeypatch)
    with open(tmp_path / "capture" / "ep" / "AllTraffic" / HOUR / "a.jsonl", "a") as handle:
        handle.write("not json\n")
    assert container.main() == 0
    assert (opt_ml / "output" / "message").read_text() == (
        "Completed: no violations; 1 unreadable file(s), record(s) or row(s) skipped (see the job's log)")
    for line in (opt_ml / "output" / "metrics" / "cloudwatch" / "metrics.jsonl").read_text().splitlines():
        strict_loads(line)


# --- messages with the right counts -----------------------------------------------------------------------------

def test_a_thousand_bad_records_give_one_line_per_reason_with_counts_that_add_up(tmp_path, capsys):
    rng = np.random.default_rng(5)
    good = _records(20)
    bad = []
    for index in range(1000):
        kind = index % 4
        record = _records(1)[0]
        if kind == 0:
            bad.append('{"captureData": ' + "x" * int(rng.integers(1, 50)))  # broken JSON, a different place each
        elif kind == 1:
            record["captureData"]["endpointInput"].update(observedContentType="application/json",
                                                          data="{" * int(rng.integers(1, 30)))
            bad.append(record)
        elif kind == 2:
            record["captureData"]["endpointInput"].update(observedContentType=f"text/x-{index}", data="[1, 2]")
            bad.append(record)
        else:
            record["eventMetadata"] = f"meta-{index}"
            bad.append(record)
    _layout(tmp_path, good + bad)
    code, _, err = run_cli(_dq(tmp_path), capsys)
    assert code in (0, 3)
    assert err.splitlines() == [
        "warning: 250 of 1020 captured records skipped: eventMetadata is not an object; first: "
        + json.dumps(bad[3])[:300],
        "warning: 250 of 1020 captured records skipped: not a JSON line; first: " + bad[0],
        "warning: 250 of 520 rows skipped: JSON data where CSV is expected (endpointInput observedContentType is not JSON); first: "
        + json.dumps(bad[2])[:300],
        "warning: 250 of 520 rows skipped: endpointInput JSON that is not valid JSON; first: " + json.dumps(bad[1])[:300]]


@pytest.mark.slow
@settings(max_examples=300, deadline=None)
@given(document=JSON_VALUES, content_type=st.sampled_from(["application/json", "text/csv"]))
def test_any_json_payload_is_a_row_a_counted_problem_or_a_score_never_an_exception(document, content_type):
    """endpointInput / endpointOutput data that parses as JSON but has any shape at all."""
    from pipelines.analyze.model_quality import parse_score

    text = json.dumps(document)
    for part in ("endpointInput", "endpointOutput"):
        problems = Problems()
        rows = Profile._rows(text, content_type, ["a", "b"], text, problems, part)
        assert (rows is None) == (problems.total == 1)
        assert rows is None or all(isinstance(row, str) for row in rows)
    try:
        score = parse_score(text, content_type)
    except ValueError as exc:
        assert "\n" not in str(exc)
    else:
        assert 0.0 <= score <= 1.0


def test_an_empty_capture_or_label_folder_gets_advice_that_is_not_the_input_again(tmp_path, capsys):
    (tmp_path / "capture").mkdir()
    code, _, err = run_cli(_dq(tmp_path), capsys)
    assert (code, err) == (2, f"error: no Data Capture files under {tmp_path / 'capture'} (expected <endpoint>/<variant>/"
                              "yyyy/mm/dd/hh/*.jsonl); check that it is the endpoint's DataCaptureConfig "
                              "DestinationS3Uri (or one endpoint's folder in it) and that capture is enabled and the "
                              "endpoint had traffic\n")
    _layout(tmp_path, _records(3))
    shutil.rmtree(tmp_path / "gt")
    (tmp_path / "gt").mkdir()
    code, _, err = run_cli(_mq(tmp_path), capsys)
    assert (code, err) == (2, f"error: no ground truth files under {tmp_path / 'gt'} (expected yyyy/mm/dd/hh/*.jsonl); "
                              "check that it is the stage's GroundTruthInput and that labels were uploaded (python -m "
                              "pipelines.ground_truth)\n")
