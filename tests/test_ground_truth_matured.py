"""python -m pipelines.ground_truth --matured-negatives: the 0 labels of a matured day of captures, once, and the
day's entry of the label development curve (issue 18). Captures are written by devtools.seed_captures.capture_line
in the Data Capture format of AWS's "Capture data from real-time endpoint" page; labels in the ground-truth format
of "Ingest Ground Truth labels and merge them with predictions" (facts.md)."""

from __future__ import annotations

import io
import json
from datetime import datetime, timezone

from devtools.seed import OUTPUTS_BUCKET as BUCKET  # the bucket the shared s3 fixture creates
from devtools.seed_captures import capture_line
from pipelines import ground_truth as gt
from pipelines.core.errors import MonitorError
from pipelines.ground_truth.matured import latest_matured_day
from pipelines.formats.label_development import summarize

GT_URI = f"s3://{BUCKET}/ground-truth/prod"
CAPTURE_URI = f"s3://{BUCKET}/data-capture"
NOW = datetime(2026, 12, 1, 10, 30, tzinfo=timezone.utc)  # LabelMaturityDays 90: 2026-09-01 is the newest matured day
CURVE_KEY = "label-development/fraud-detect-prod/curve.json"


def record(ident: str, data: str) -> str:
    return json.dumps({"groundTruthData": {"data": data, "encoding": "CSV"}, "eventMetadata": {"eventId": ident},
                       "eventVersion": "0"}) + "\n"


def put(s3, key: str, body: str) -> None:
    s3.put_object(Bucket=BUCKET, Key=key, Body=body.encode())


def seed_day(s3) -> None:
    """Six transactions on 2026-09-01: tx-1 caught and labelled fraud 2 days later, tx-2 missed and charged back 49
    days later, tx-3 cleared by an analyst, tx-4..tx-6 never labelled; plus a label and negatives of other days."""
    def at(hour: int, minute: int) -> datetime:
        return datetime(2026, 9, 1, hour, minute, tzinfo=timezone.utc)
    put(s3, "data-capture/fraud-detect-prod/AllTraffic/2026/09/01/09/10-00-000-a.jsonl", "\n".join([
        capture_line("120.5,online,0,3,9,2", 0.91, "ev-1", at(9, 10), "tx-1"),
        capture_line("12.0,grocery,1,2,9,0", 0.20, "ev-2", at(9, 20), "tx-2"),
        capture_line("40.0,fuel,1,4,9,1", 0.55, "ev-3", at(9, 30), "tx-3")]) + "\n")
    put(s3, "data-capture/fraud-detect-prod/AllTraffic/2026/09/01/23/10-00-000-b.jsonl", "\n".join([
        capture_line("8.0,grocery,1,5,23,0", 0.01, "ev-4", at(23, 5), "tx-4"),
        capture_line("9.0,grocery,1,5,23,0", 0.02, "ev-5", at(23, 6), "tx-5"),
        capture_line("7.0,travel,0,1,23,0", 0.03, "ev-6", at(23, 7), "tx-6")]) + "\n")
    put(s3, "data-capture/fraud-detect-prod/AllTraffic/2026/09/02/00/10-00-000-c.jsonl",  # the next day: not read
        capture_line("7.0,travel,0,1,0,0", 0.03, "ev-7", datetime(2026, 9, 2, 0, 1, tzinfo=timezone.utc), "tx-7") + "\n")
    put(s3, "ground-truth/prod/2026/09/03/10/labels-a.jsonl", record("tx-1", "1") + record("tx-9", "1"))
    put(s3, "ground-truth/prod/2026/09/05/12/labels-b.jsonl", record("tx-3", "0"))
    put(s3, "ground-truth/prod/2026/10/20/00/labels-c.jsonl", record("tx-2", "1"))
    put(s3, "ground-truth/prod/2026/11/30/10/matured-negatives-2026-08-31-0123456789abcdef0123.jsonl",
        record("tx-0", "0"))


def run(s3, *argv: str, now: datetime = NOW) -> tuple[int, str, str]:
    args = gt.parse_args(["--matured-negatives", "--ground-truth-s3-uri", GT_URI, "--endpoint-name",
                          "fraud-detect-prod", *argv])
    out = io.StringIO()
    try:
        return gt.run(args, s3=s3, now=now, out=out), out.getvalue(), ""
    except MonitorError as exc:
        return exc.exit_code, out.getvalue(), f"error: {exc}"


def state(s3) -> dict[str, bytes]:
    listing = s3.list_objects_v2(Bucket=BUCKET).get("Contents", [])
    return {o["Key"]: s3.get_object(Bucket=BUCKET, Key=o["Key"])["Body"].read() for o in listing}


def test_the_newest_matured_day_ended_label_maturity_days_before_today_began():
    assert latest_matured_day(NOW, 90).isoformat() == "2026-09-01"
    assert latest_matured_day(datetime(2026, 12, 1, 0, 0, tzinfo=timezone.utc), 30).isoformat() == "2026-10-31"


def test_every_captured_id_without_a_label_gets_one_zero_label_and_the_day_enters_the_curve(s3):
    seed_day(s3)
    code, out, err = run(s3, "--capture-s3-uri", CAPTURE_URI)
    body = record("tx-4", "0") + record("tx-5", "0") + record("tx-6", "0")
    key = next(k for k in state(s3) if "matured-negatives-2026-09-01-" in k)
    assert (code, err) == (0, "")
    assert key.startswith("ground-truth/prod/2026/12/01/10/matured-negatives-2026-09-01-")  # the run's hour
    assert state(s3)[key] == body.encode()
    assert out == f"""\
matured day 2026-09-01 (LabelMaturityDays 90): 6 captured ids in 2 capture files
  positive labels: 2 (1 caught by the model, 1 labelled by day 7)
  other labels:    1
  negatives written earlier: 0
wrote 3 negative labels in 1 object:
  s3://{BUCKET}/{key}  3 records
label development curve s3://{BUCKET}/{CURVE_KEY}: updated (day 2026-09-01: 2 frauds)
"""
    curve = json.loads(state(s3)[CURVE_KEY])
    labelled = [0, 0] + [1] * 46 + [2] * 43  # tx-1 at 2 days (01 09:10 -> 03 10:00), tx-2 at 48 days (-> 10-20 00:00)
    assert curve == {"version": 1, "label_maturity_days": 90, "days": {"2026-09-01": {
        "frauds": 2, "caught": 1, "labelled_by_day": labelled, "caught_labelled_by_day": [0, 0] + [1] * 89}}}
    summary = summarize(curve)
    assert (summary.share(7), summary.early_recall(7), summary.matured_recall, summary.enough) == (0.5, 1.0, 0.5, False)


def test_a_rerun_writes_nothing(s3):
    seed_day(s3)
    assert run(s3, "--capture-s3-uri", CAPTURE_URI)[0] == 0
    before = state(s3)
    code, out, err = run(s3, "--capture-s3-uri", CAPTURE_URI, now=datetime(2026, 12, 1, 15, tzinfo=timezone.utc))
    assert (code, err) == (0, "")
    assert state(s3) == before
    assert out == f"""\
matured day 2026-09-01 (LabelMaturityDays 90): 6 captured ids in 2 capture files
  positive labels: 2 (1 caught by the model, 1 labelled by day 7)
  other labels:    1
  negatives written earlier: 3
wrote 0 negative labels in 0 objects (nothing new to write)
label development curve s3://{BUCKET}/{CURVE_KEY}: unchanged (day 2026-09-01: 2 frauds)
"""


def test_a_dry_run_says_what_it_would_write_and_writes_nothing(s3):
    seed_day(s3)
    before = state(s3)
    code, out, _ = run(s3, "--capture-s3-uri", CAPTURE_URI, "--dry-run")
    assert (code, state(s3)) == (0, before)
    assert "dry run: would write 3 negative labels in 1 object:" in out.splitlines()
    assert out.splitlines()[-1] == (f"label development curve s3://{BUCKET}/{CURVE_KEY}: would be updated (day "
                                    "2026-09-01: 2 frauds)")


def test_a_day_that_is_not_matured_is_refused(s3):
    seed_day(s3)
    before = state(s3)
    assert run(s3, "--capture-s3-uri", CAPTURE_URI, "--day", "2026-09-02") == (2, "", (
        "error: day 2026-09-02 is not matured yet: with LabelMaturityDays 90 its labels may arrive until 2026-12-02; "
        "the newest matured day is 2026-09-01"))
    assert state(s3) == before


def test_a_day_whose_captures_are_gone_is_refused_naming_the_lifecycle_rules(s3):
    assert run(s3, "--capture-s3-uri", CAPTURE_URI, "--day", "2026-08-15") == (2, "", (
        f"error: no Data Capture files for 2026-08-15 under s3://{BUCKET}/data-capture/fraud-detect-prod/: expired "
        "(check the capture bucket's lifecycle rules: get_baselines_and_configs.py warns when they are shorter than "
        "LabelMaturityDays + 1) or a wrong --capture-s3-uri; nothing written"))


def test_the_mode_needs_the_capture_location_and_no_label_file(s3, tmp_path):
    assert run(s3) == (2, "", "error: --matured-negatives needs --capture-s3-uri (the endpoint's data capture "
                              "destination)")
    labels = tmp_path / "labels.csv"
    labels.write_text("inference_id,is_fraud\ntx-1,1\n")
    assert run(s3, str(labels), "--capture-s3-uri", CAPTURE_URI) == (2, "", (
        "error: --matured-negatives writes the negatives of captured ids only; upload the label file in a separate "
        "run without it"))


def test_without_the_mode_a_label_file_is_still_required(s3):
    args = gt.parse_args(["--ground-truth-s3-uri", GT_URI])
    try:
        gt.run(args, s3=s3, now=NOW, out=io.StringIO())
    except MonitorError as exc:
        assert (exc.exit_code, str(exc)) == (2, "no label file given; pass the CSV or JSON-lines file of labels (or "
                                                "--matured-negatives)")
    else:
        raise AssertionError("no error")


def test_maturity_and_the_decision_threshold_come_from_the_stage_parameter_file(s3, tmp_path, monkeypatch):
    seed_day(s3)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "prod-config-export.json").write_text(json.dumps({"Parameters": {
        "StageName": "prod", "GroundTruthInput": GT_URI, "EndpointName": "fraud-detect-prod",
        "LabelMaturityDays": "30", "ProbabilityAttribute": "0", "ProbabilityThresholdAttribute": "0.95",
        "GroundTruthEndTimeOffset": "-P7D"}}))
    args = gt.parse_args(["--matured-negatives", "--stage", "prod", "--capture-s3-uri", CAPTURE_URI,
                          "--day", "2026-09-01", "--dry-run"])
    out = io.StringIO()
    assert gt.run(args, s3=s3, now=NOW, out=out) == 0
    # tx-1 scored 0.91 < 0.95: not caught; tx-2's chargeback came 48 days later, after a 30-day maturity
    assert out.getvalue().splitlines()[:5] == [
        "matured day 2026-09-01 (LabelMaturityDays 30): 6 captured ids in 2 capture files",
        "  positive labels: 1 (0 caught by the model, 1 labelled by day 7)",
        "  other labels:    1",
        "  negatives written earlier: 0",
        "  positives labelled after LabelMaturityDays: 1 (not in the curve; labels arrive later than "
        "LabelMaturityDays: raise it)"]
