"""pipelines.ground_truth: label files -> validated Model Monitor ground truth in S3 (moto), and capture coverage."""

from __future__ import annotations

import io
import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

from devtools.seed import OUTPUTS_BUCKET as BUCKET  # the bucket the shared s3 fixture creates
from pipelines import ground_truth as gt
from pipelines.core.errors import MonitorError
from pipelines.ground_truth import store as gt_store
from tests.support.reliability import break_bodies

GT_URI = f"s3://{BUCKET}/ground-truth/prod"
NOW = datetime(2026, 11, 27, 10, 42, 7, tzinfo=timezone.utc)
HOUR_PREFIX = "ground-truth/prod/2026/11/27/10/"


def record(ident: str, data: str) -> str:
    return json.dumps({"groundTruthData": {"data": data, "encoding": "CSV"}, "eventMetadata": {"eventId": ident},
                       "eventVersion": "0"}) + "\n"


def objects(s3, prefix: str = "ground-truth/") -> dict[str, str]:
    """Every object under the prefix: key -> body."""
    listing = s3.list_objects_v2(Bucket=BUCKET, Prefix=prefix).get("Contents", [])
    return {o["Key"]: s3.get_object(Bucket=BUCKET, Key=o["Key"])["Body"].read().decode() for o in listing}


def invoke(s3, tmp_path: Path, name: str, content: str, *argv: str, now: datetime = NOW) -> tuple[int, str, str]:
    """Run the command like main() does, with injected client and clock: (exit code, stdout, error line)."""
    path = tmp_path / name
    path.write_text(content)
    args = gt.parse_args([str(path), "--ground-truth-s3-uri", GT_URI, *argv])
    out = io.StringIO()
    try:
        return gt.run(args, s3=s3, now=now, out=out), out.getvalue(), ""
    except MonitorError as exc:
        return exc.exit_code, out.getvalue(), f"error: {exc}"


# ---- formats --------------------------------------------------------------------------------------------------------


def test_csv_labels_become_ground_truth_records_under_the_hour_they_were_collected(s3, tmp_path):
    code, out, err = invoke(s3, tmp_path, "labels.csv",
                            "inference_id,is_fraud,analyst\ntx-1001,1,ana\ntx-1002,0,bo\ntx-1003,true,ana\n")

    body = record("tx-1001", "1") + record("tx-1002", "0") + record("tx-1003", "1")
    key = gt.object_key(HOUR_PREFIX, body.encode())
    assert (code, err) == (0, "")
    assert objects(s3) == {key: body}
    assert out == f"""\
labels: labels.csv (csv, 3 rows)
  valid:   3 (2 positive, 1 negative)
  invalid: 0
destination: {GT_URI}/
  2026/11/27/10/  3 labels
wrote 3 records in 1 object:
  s3://{BUCKET}/{key}  3 records
"""


def test_record_lines_match_the_model_monitor_ground_truth_format_exactly(s3, tmp_path):
    invoke(s3, tmp_path, "labels.csv", 'inference_id,is_fraud\n"tx-""quoted""",1\n')

    (body,) = objects(s3).values()
    assert body == ('{"groundTruthData": {"data": "1", "encoding": "CSV"}, '
                    '"eventMetadata": {"eventId": "tx-\\"quoted\\""}, "eventVersion": "0"}\n')


def test_jsonl_labels_with_times_go_to_the_utc_hour_of_each_label(s3, tmp_path):
    content = "\n".join([
        '{"inference_id": "tx-1", "is_fraud": true, "labelled_at": "2026-11-25T09:59:59Z"}',
        '{"inference_id": "tx-2", "is_fraud": 0, "labelled_at": "2026-11-25T11:30:00+02:00"}',
        '{"inference_id": 3, "is_fraud": "FRAUD", "labelled_at": "2026-11-25T10:00:00"}',
        "",
        '{"inference_id": "tx-4", "is_fraud": false, "labelled_at": "2026-11-26"}',
    ]) + "\n"

    code, out, err = invoke(s3, tmp_path, "labels.jsonl", content, "--time-column", "labelled_at")

    assert (code, err) == (0, "")
    by_hour = {key.rsplit("/", 1)[0]: body for key, body in objects(s3).items()}
    assert by_hour == {
        "ground-truth/prod/2026/11/25/09": record("tx-1", "1") + record("tx-2", "0"),
        "ground-truth/prod/2026/11/25/10": record("3", "1"),
        "ground-truth/prod/2026/11/26/00": record("tx-4", "0"),
    }
    assert out.splitlines()[:7] == [
        "labels: labels.jsonl (jsonl, 4 rows)",
        "  valid:   4 (2 positive, 2 negative)",
        "  invalid: 0",
        f"destination: {GT_URI}/",
        "  2026/11/25/09/  2 labels",
        "  2026/11/25/10/  1 labels",
        "  2026/11/26/00/  1 labels",
    ]


def test_column_names_and_label_values_are_configurable(s3, tmp_path):
    content = "event_id;decision\n"  # not comma separated: still one column each way -> header check names it
    code, _, err = invoke(s3, tmp_path, "labels.csv", content, "--id-column", "event_id")
    assert (code, err) == (2, "error: labels.csv has no column 'event_id' (columns: event_id;decision); pass "
                              "--id-column with one of them")

    code, out, err = invoke(s3, tmp_path, "decisions.csv", "event_id,decision\ne-1,Chargeback\ne-2,cleared\n",
                            "--id-column", "event_id", "--label-column", "decision",
                            "--positive-values", "chargeback,fraud", "--negative-values", "cleared")

    assert (code, err) == (0, "")
    assert sorted(objects(s3).values()) == [record("e-1", "1") + record("e-2", "0")]


def test_format_is_taken_from_the_flag_when_the_extension_says_nothing(s3, tmp_path):
    code, _, err = invoke(s3, tmp_path, "labels.txt", "inference_id,is_fraud\ntx-1,1\n")
    assert (code, err) == (2, f"error: cannot tell the format of {tmp_path / 'labels.txt'} from its extension; "
                              "pass --format csv or --format jsonl")

    code, _, err = invoke(s3, tmp_path, "labels.txt", "inference_id,is_fraud\ntx-1,1\n", "--format", "csv")
    assert (code, err) == (0, "")


# ---- validation -----------------------------------------------------------------------------------------------------

INVALID_CSV = """\
inference_id,is_fraud
tx-1,1
tx-2,maybe
,0
tx-1,0
tx-5,1,extra
tx-6,
tx-7,0
"""


def test_a_file_with_invalid_rows_uploads_nothing_and_reports_counts_and_lines(s3, tmp_path):
    code, out, err = invoke(s3, tmp_path, "labels.csv", INVALID_CSV)

    assert code == 2
    assert objects(s3) == {}
    assert out == f"""\
labels: labels.csv (csv, 7 rows)
  valid:   2 (1 positive, 1 negative)
  invalid: 5
    malformed row: 1 (line 6: 3 fields, header has 2)
    empty id: 1 (line 4)
    unknown label value: 2 (lines 3, 7: 'maybe', '')
    duplicate id in file: 1 (line 5)
destination: {GT_URI}/
  2026/11/27/10/  2 labels
"""
    assert err == ("error: labels.csv has 5 invalid rows: 1 malformed row (line 6), 1 empty id (line 4), "
                   "2 unknown label values (lines 3, 7), 1 duplicate id in file (line 5); fix them, or pass "
                   "--skip-invalid to upload the 2 valid rows")


def test_skip_invalid_uploads_the_valid_rows_only(s3, tmp_path, capsys):
    code, _, err = invoke(s3, tmp_path, "labels.csv", INVALID_CSV, "--skip-invalid")

    assert (code, err) == (0, "")
    assert list(objects(s3).values()) == [record("tx-1", "1") + record("tx-7", "0")]
    assert capsys.readouterr().err == "warning: skipping 5 invalid rows of labels.csv (--skip-invalid)\n"


def test_malformed_json_lines_and_bad_times_are_reported_with_their_line_numbers(s3, tmp_path):
    content = "\n".join([
        '{"inference_id": "tx-1", "is_fraud": 1, "t": "2026-11-27T10:00:00Z"}',
        '{"inference_id": "tx-2", "is_fraud": 1, "t": "yesterday"}',
        '{"inference_id": "tx-3", "is_fraud": 1',
        '["tx-4", 1]',
        '{"inference_id": "tx-5", "t": "2026-11-27T10:00:00Z"}',
    ]) + "\n"

    code, out, err = invoke(s3, tmp_path, "labels.jsonl", content, "--time-column", "t")

    assert code == 2
    assert out.splitlines()[3:6] == [
        "    malformed row: 3 (lines 3, 4, 5: not valid JSON, not a JSON object, no field 'is_fraud')",
        "    unreadable label time: 1 (line 2: 'yesterday')",
        f"destination: {GT_URI}/",
    ]
    assert err.startswith("error: labels.jsonl has 4 invalid rows: 3 malformed rows (lines 3, 4, 5), "
                          "1 unreadable label time (line 2); ")


def test_a_lone_surrogate_escape_in_a_json_id_is_a_malformed_row_not_a_traceback(s3, tmp_path):
    content = '{"inference_id": "tx-\\ud800", "is_fraud": 1}\n{"inference_id": "tx-2", "is_fraud": 0}\n'

    code, out, err = invoke(s3, tmp_path, "labels.jsonl", content, "--dry-run")

    assert code == 2
    assert "    malformed row: 1 (line 1: not valid UTF-8 text (a lone surrogate escape))" in out.splitlines()
    assert err.startswith("error: labels.jsonl has 1 invalid row: 1 malformed row (line 1); ")
    assert objects(s3) == {}


def test_only_the_first_five_offending_lines_are_listed(s3, tmp_path):
    content = "inference_id,is_fraud\n" + "".join(f"tx-{i},unknown\n" for i in range(8))

    code, out, err = invoke(s3, tmp_path, "labels.csv", content)

    assert code == 2
    assert "    unknown label value: 8 (lines 2, 3, 4, 5, 6, ...: 'unknown')\n" in out
    assert "8 unknown label values (lines 2, 3, 4, 5, 6, ...)" in err


def test_overlapping_positive_and_negative_values_are_a_usage_error(s3, tmp_path):
    code, _, err = invoke(s3, tmp_path, "labels.csv", "inference_id,is_fraud\n",
                          "--positive-values", "1,yes", "--negative-values", "0,YES")

    assert (code, err) == (2, "error: yes is both a positive and a negative value; fix --positive-values / "
                              "--negative-values")


# ---- dedup against S3, idempotence, batches -------------------------------------------------------------------------


def test_rerunning_an_upload_writes_nothing_new(s3, tmp_path):
    content = "inference_id,is_fraud\ntx-1,1\ntx-2,0\n"
    invoke(s3, tmp_path, "labels.csv", content)
    first = objects(s3)

    code, out, err = invoke(s3, tmp_path, "labels.csv", content + "tx-3,1\n")

    assert (code, err) == (0, "")
    assert "  already uploaded: 2 (same id and label in the look-back window; skipped)\n" in out
    new = {k: v for k, v in objects(s3).items() if k not in first}
    assert list(new.values()) == [record("tx-3", "1")]
    code, out, _ = invoke(s3, tmp_path, "labels.csv", content + "tx-3,1\n")
    assert out.endswith("wrote 0 records in 0 objects (nothing new to upload)\n")
    assert len(objects(s3)) == 2


@pytest.mark.parametrize("fault", ["read-timeout", "connection-broken", "eof"])
def test_uploaded_labels_that_break_while_being_read_are_read_again_with_the_same_result(s3, tmp_path, no_backoff,
                                                                                         fault):
    content = "inference_id,is_fraud\ntx-1,1\ntx-2,0\n"
    invoke(s3, tmp_path, "labels.csv", content)
    expected = invoke(s3, tmp_path, "labels.csv", content)
    requests = break_bodies(s3, 2, fault, good=5)

    assert invoke(s3, tmp_path, "labels.csv", content) == expected
    assert len(requests) == 1 + 2  # the one uploaded object, plus the two reads that broke


def test_an_id_uploaded_earlier_in_the_hour_with_another_label_is_a_conflict(s3, tmp_path):
    s3.put_object(Bucket=BUCKET, Key=HOUR_PREFIX + "from-yesterdays-run.jsonl", Body=record("tx-9", "0"))

    code, out, err = invoke(s3, tmp_path, "labels.csv", "inference_id,is_fraud\ntx-8,0\ntx-9,1\n")

    assert code == 2
    assert "    id already uploaded with another label: 1 (line 3)\n" in out
    assert (f"    id tx-9 conflicts with label 0 in s3://{BUCKET}/{HOUR_PREFIX}from-yesterdays-run.jsonl\n"
            in out)
    assert err == ("error: labels.csv has 1 invalid row: 1 id already uploaded with another label (line 3); fix "
                   "them, pass --replace-conflicting to replace the earlier labels, or pass --skip-invalid to upload "
                   "the 1 valid rows")
    assert list(objects(s3)) == [HOUR_PREFIX + "from-yesterdays-run.jsonl"]


def test_batches_hold_at_most_batch_size_records_and_are_named_by_their_content(s3, tmp_path):
    content = "inference_id,is_fraud\n" + "".join(f"tx-{i},{i % 2}\n" for i in range(5))

    code, out, _ = invoke(s3, tmp_path, "labels.csv", content, "--batch-size", "2")

    bodies = [record("tx-0", "0") + record("tx-1", "1"), record("tx-2", "0") + record("tx-3", "1"),
              record("tx-4", "0")]
    keys = [gt.object_key(HOUR_PREFIX, b.encode()) for b in bodies]
    assert code == 0
    assert objects(s3) == dict(zip(keys, bodies, strict=True))
    assert out.splitlines()[-4:] == ["wrote 5 records in 3 objects:"] + [
        f"  s3://{BUCKET}/{k}  {n} records" for k, n in zip(keys, (2, 2, 1), strict=True)]


def test_dry_run_validates_and_lists_objects_but_writes_nothing(s3, tmp_path):
    code, out, _ = invoke(s3, tmp_path, "labels.csv", "inference_id,is_fraud\ntx-1,1\n", "--dry-run")

    key = gt.object_key(HOUR_PREFIX, record("tx-1", "1").encode())
    assert code == 0
    assert objects(s3) == {}
    assert out.endswith(f"dry run: would write 1 records in 1 object:\n  s3://{BUCKET}/{key}  1 records\n")


# ---- coverage --------------------------------------------------------------------------------------------------------


def capture_line(event_id: str, inference_id: str | None, when: str) -> str:
    meta = {"eventId": event_id, "inferenceTime": when}
    if inference_id:
        meta["inferenceId"] = inference_id
    return json.dumps({"captureData": {
        "endpointInput": {"observedContentType": "text/csv", "mode": "INPUT", "data": "129.5,5411,1,3,14,2",
                          "encoding": "CSV"},
        "endpointOutput": {"observedContentType": "text/csv; charset=utf-8", "mode": "OUTPUT", "data": "0.031",
                           "encoding": "CSV"}},
        "eventMetadata": meta, "eventVersion": "0"}) + "\n"


def seed_captures(s3) -> None:
    base = "datacapture/fraud-detect-prod"
    s3.put_object(Bucket=BUCKET, Key=f"{base}/AllTraffic/2026/11/27/09/10-00-000-aa.jsonl",
                  Body=capture_line("ev-1", "tx-1", "2026-11-27T09:10:00Z")
                  + capture_line("ev-2", "tx-2", "2026-11-27T09:11:00Z") + "not json\n")
    s3.put_object(Bucket=BUCKET, Key=f"{base}/AllTraffic/2026/11/27/10/05-00-000-bb.jsonl",
                  Body=capture_line("ev-3", None, "2026-11-27T10:05:00Z")
                  + capture_line("ev-4", "tx-4", "2026-11-27T10:06:00Z"))
    s3.put_object(Bucket=BUCKET, Key=f"{base}/Shadow/2026/11/27/10/07-00-000-cc.jsonl",
                  Body=capture_line("ev-5", "tx-5", "2026-11-27T10:07:00Z"))
    # outside the 2-hour window: not read
    s3.put_object(Bucket=BUCKET, Key=f"{base}/AllTraffic/2026/11/27/07/00-00-000-dd.jsonl",
                  Body=capture_line("ev-0", "tx-0", "2026-11-27T07:00:00Z"))


def test_coverage_counts_captured_events_with_a_label_and_labels_with_no_capture(s3, tmp_path):
    seed_captures(s3)
    labels = "inference_id,is_fraud\ntx-1,1\nev-3,0\ntx-5,0\ntx-0,1\nTX-2,0\n"

    code, out, err = invoke(s3, tmp_path, "labels.csv", labels, "--dry-run", "--check-coverage",
                            "--capture-s3-uri", f"s3://{BUCKET}/datacapture", "--endpoint-name", "fraud-detect-prod",
                            "--window-hours", "2", "--window-end", "2026-11-27T10:59:00Z")

    assert (code, err) == (0, "")
    assert out.split("destination:")[0].endswith("invalid: 0\n")
    coverage = out[out.index("coverage:"):out.index("dry run:")]
    assert coverage == f"""\
coverage: captures 2026-11-27T09:00Z to 2026-11-27T11:00Z under s3://{BUCKET}/datacapture/fraud-detect-prod/ (3 files, 2 variants)
  captured events:             5
  captured events with label:  3 (60.0%)
  labels with no captured event: 2 of 5 (40.0%)
  unreadable capture lines:    1
  unmatched label ids, e.g.:   TX-2, tx-0
  captured ids look like:      tx-1, tx-2, ev-3
"""


def test_coverage_needs_the_capture_location(s3, tmp_path):
    code, _, err = invoke(s3, tmp_path, "labels.csv", "inference_id,is_fraud\n", "--check-coverage")

    assert (code, err) == (2, "error: --check-coverage needs --capture-s3-uri (the endpoint's data capture "
                              "destination)")


# ---- stage parameters and the CLI -------------------------------------------------------------------------------------


def test_ground_truth_input_comes_from_the_stage_parameter_file(s3, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("pipelines.core.clock.utc_now", lambda: NOW)  # main() reads the project's clock
    (tmp_path / "prod-config-export.json").write_text(json.dumps({"Parameters": {"GroundTruthInput": GT_URI}}))
    (tmp_path / "labels.csv").write_text("inference_id,is_fraud,labelled_at\ntx-1,1,2026-11-20T08:15:00Z\n")

    assert gt.main(["labels.csv", "--stage", "prod", "--time-column", "labelled_at"]) == 0
    assert list(objects(s3)) == [gt.object_key("ground-truth/prod/2026/11/20/08/", record("tx-1", "1").encode())]


def test_an_empty_ground_truth_input_is_a_config_error(s3, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "staging-config-export.json").write_text(json.dumps({"Parameters": {"GroundTruthInput": ""}}))
    (tmp_path / "labels.csv").write_text("inference_id,is_fraud\ntx-1,1\n")

    assert gt.main(["labels.csv", "--stage", "staging"]) == 2
    assert capsys.readouterr().err == (
        "error: GroundTruthInput is empty in staging-config-export.json (model quality and bias "
        "monitors are off); set it in the stage config or pass --ground-truth-s3-uri\n")


def test_before_any_export_exists_the_message_says_to_run_the_cli_first(s3, tmp_path, monkeypatch, capsys):
    """The stage config leaves GroundTruthInput to the CLI: its absence there is not "monitors are off"."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "staging-monitoring-schedule-config.json").write_text(json.dumps({"Parameters": {}}))
    (tmp_path / "labels.csv").write_text("inference_id,is_fraud\ntx-1,1\n")

    assert gt.main(["labels.csv", "--stage", "staging"]) == 2
    assert capsys.readouterr().err == (
        "error: GroundTruthInput is not in staging-monitoring-schedule-config.json and staging-config-export.json "
        "does not exist yet; run get_baselines_and_configs.py first (it writes staging-config-export.json), or pass "
        "--ground-truth-s3-uri\n")


def test_a_missing_label_file_is_a_usage_error_without_traceback(tmp_path, capsys):
    assert gt.main([str(tmp_path / "nope.csv"), "--ground-truth-s3-uri", GT_URI]) == 2
    assert capsys.readouterr().err == (
        f"error: cannot read {tmp_path / 'nope.csv'}: No such file or directory; check the path\n")


# ---- large files: bounded memory, exact semantics across store chunks ----------------------------------------------


def test_duplicates_across_store_chunks_keep_the_first_row_counts_and_lines(s3, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(gt_store, "STORE_CHUNK", 2)  # every duplicate below crosses a chunk, or sits inside one
    content = ("inference_id,is_fraud\n"
               "tx-1,1\ntx-2,maybe\ntx-3,0\ntx-1,0\ntx-2,0\ntx-3,0\ntx-1,1\ntx-4,0\ntx-4,1\n")

    code, out, err = invoke(s3, tmp_path, "labels.csv", content, "--skip-invalid")

    assert (code, err) == (0, "")
    assert out.split("wrote")[0] == f"""\
labels: labels.csv (csv, 9 rows)
  valid:   4 (1 positive, 3 negative)
  invalid: 5
    unknown label value: 1 (line 3: 'maybe')
    duplicate id in file: 4 (lines 5, 7, 8, 10)
destination: {GT_URI}/
  2026/11/27/10/  4 labels
"""
    assert list(objects(s3).values()) == [record("tx-1", "1") + record("tx-3", "0") + record("tx-2", "0")
                                          + record("tx-4", "0")]
    assert capsys.readouterr().err == "warning: skipping 5 invalid rows of labels.csv (--skip-invalid)\n"


def reference(content: str, existing: dict[str, dict[str, str]], batch_size: int) -> tuple[dict, dict[str, str]]:
    """The rules with plain Python sets and dicts (unbounded memory): summary numbers and the objects written."""
    problems: dict[str, list[int]] = {}
    seen: set[str] = set()
    valid: list[tuple[int, str, str, str]] = []
    for line, text in enumerate(content.splitlines()[1:], start=2):
        fields = text.split(",")
        if len(fields) != 3:
            problems.setdefault("malformed", []).append(line)
            continue
        ident, label, when = (f.strip() for f in fields)
        label = label.lower()
        if not ident:
            problems.setdefault("empty_id", []).append(line)
        elif label not in ("1", "0"):
            problems.setdefault("unknown_label", []).append(line)
        elif when == "bad":
            problems.setdefault("bad_time", []).append(line)
        elif ident in seen:
            problems.setdefault("duplicate", []).append(line)
        else:
            seen.add(ident)
            valid.append((line, ident, label, datetime.fromisoformat(when).strftime("%Y/%m/%d/%H")))
    summary = {"already": 0, "hours": {}, "positive": 0, "negative": 0}
    batches: dict[str, list[str]] = {}
    in_s3 = {ident: data for ids in existing.values() for ident, data in ids.items()}  # any hour of the window
    for line, ident, label, hour in valid:
        uploaded = in_s3.get(ident)
        if uploaded is not None and uploaded != label:
            problems.setdefault("conflict", []).append(line)
            continue
        summary["hours"][hour] = summary["hours"].get(hour, 0) + 1
        summary["positive" if label == "1" else "negative"] += 1
        if uploaded is None:
            batches.setdefault(hour, []).append(record(ident, label))
        else:
            summary["already"] += 1
    summary["problems"] = problems
    written = {}
    for hour, recs in batches.items():
        for start in range(0, len(recs), batch_size):
            body = "".join(recs[start:start + batch_size])
            written[gt.object_key(f"ground-truth/prod/{hour}/", body.encode())] = body
    return summary, written


def test_a_messy_file_gives_exactly_what_plain_sets_give_whatever_the_chunk_size(s3, tmp_path, monkeypatch):
    import random

    rng = random.Random(5)
    hours = ["2026-11-27T08:15:00+00:00", "2026-11-27T09:59:59+00:00", "2026-11-26T23:00:00+00:00"]
    rows = []
    for _ in range(600):
        kind = rng.random()
        ident = f"tx-{rng.randrange(250)}"
        if kind < 0.03:
            rows.append(f"{ident},1")
        elif kind < 0.06:
            rows.append(f",0,{hours[0]}")
        elif kind < 0.09:
            rows.append(f"{ident},maybe,{hours[1]}")
        elif kind < 0.11:
            rows.append(f"{ident},0,bad")
        else:
            rows.append(f"{ident},{rng.choice('01')},{rng.choice(hours)}")
    content = "inference_id,is_fraud,t\n" + "\n".join(rows) + "\n"
    existing = {"2026/11/27/09": {f"tx-{i}": rng.choice("01") for i in range(0, 250, 3)}}
    s3.put_object(Bucket=BUCKET, Key="ground-truth/prod/2026/11/27/09/earlier.jsonl",
                  Body="".join(record(i, d) for i, d in existing["2026/11/27/09"].items()))
    summary, written = reference(content, existing, batch_size=7)
    monkeypatch.setattr(gt_store, "STORE_CHUNK", 13)

    code, out, err = invoke(s3, tmp_path, "labels.csv", content, "--time-column", "t", "--skip-invalid",
                            "--batch-size", "7")

    assert (code, err) == (0, "")
    assert {k: v for k, v in objects(s3).items() if not k.endswith("earlier.jsonl")} == written
    valid = summary["positive"] + summary["negative"]
    invalid = sum(len(lines) for lines in summary["problems"].values())
    assert out.splitlines()[:3] == [f"labels: labels.csv (csv, {len(rows)} rows)",
                                    f"  valid:   {valid} ({summary['positive']} positive, {summary['negative']} negative)",
                                    f"  invalid: {invalid}"]
    for key, text in gt.PROBLEMS:
        lines = summary["problems"].get(key)
        if lines:
            more = ", ..." if len(lines) > 5 else ""
            assert f"    {text}: {len(lines)} (lines {', '.join(map(str, lines[:5]))}{more}" in out
    assert f"  already uploaded: {summary['already']} (same id and label in the look-back window; skipped)\n" in out
    assert out.split("destination: ")[1].splitlines()[1:len(summary["hours"]) + 1] == [
        f"  {hour}/  {n} labels" for hour, n in sorted(summary["hours"].items())]
    assert summary["problems"].keys() == {"malformed", "empty_id", "unknown_label", "bad_time", "duplicate",
                                          "conflict"}  # the file exercises every rule


def test_rerunning_a_file_of_many_chunks_skips_every_row_it_already_uploaded(s3, tmp_path, monkeypatch):
    monkeypatch.setattr(gt_store, "STORE_CHUNK", 10)
    content = "inference_id,is_fraud\n" + "".join(f"tx-{i},{i % 3 == 0:d}\n" for i in range(95))
    invoke(s3, tmp_path, "labels.csv", content, "--batch-size", "40")
    first = objects(s3)

    code, out, err = invoke(s3, tmp_path, "labels.csv", content.replace("tx-50,0", "tx-50,1"))

    assert (code, err) == (2, "error: labels.csv has 1 invalid row: 1 id already uploaded with another label "
                              "(line 52); fix them, pass --replace-conflicting to replace the earlier labels, or "
                              "pass --skip-invalid to upload the 94 valid rows")
    assert "  valid:   94 (32 positive, 62 negative)\n" in out
    assert "  already uploaded: 94 (same id and label in the look-back window; skipped)\n" in out
    assert "  2026/11/27/10/  94 labels\n" in out
    assert objects(s3) == first and len(first) == 3


def test_coverage_counts_are_exact_when_captures_span_many_store_chunks(s3, tmp_path, monkeypatch):
    seed_captures(s3)
    monkeypatch.setattr(gt_store, "STORE_CHUNK", 1)
    labels = "inference_id,is_fraud\ntx-1,1\nev-3,0\ntx-5,0\ntx-0,1\nTX-2,0\n"

    code, out, _ = invoke(s3, tmp_path, "labels.csv", labels, "--dry-run", "--check-coverage",
                          "--capture-s3-uri", f"s3://{BUCKET}/datacapture", "--endpoint-name", "fraud-detect-prod",
                          "--window-hours", "2", "--window-end", "2026-11-27T10:59:00Z")

    assert code == 0
    assert ("  captured events with label:  3 (60.0%)\n  labels with no captured event: 2 of 5 (40.0%)\n"
            "  unreadable capture lines:    1\n  unmatched label ids, e.g.:   TX-2, tx-0\n") in out


def test_unmatched_examples_are_the_smallest_ids_in_python_string_order(s3, tmp_path):
    seed_captures(s3)
    labels = "inference_id,is_fraud\nz-1,1\né-1,0\nZ-1,0\na-1,1\n\U0001f600-1,0\nb-1,0\n"

    code, out, _ = invoke(s3, tmp_path, "labels.csv", labels, "--dry-run", "--check-coverage",
                          "--capture-s3-uri", f"s3://{BUCKET}/datacapture", "--endpoint-name", "fraud-detect-prod",
                          "--window-hours", "2", "--window-end", "2026-11-27T10:59:00Z")

    assert code == 0
    assert "  unmatched label ids, e.g.:   Z-1, a-1, b-1\n" in out
    assert sorted(["z-1", "é-1", "Z-1", "a-1", "\U0001f600-1", "b-1"])[:3] == ["Z-1", "a-1", "b-1"]


@pytest.mark.slow
def test_validation_memory_does_not_grow_with_the_number_of_ids(tmp_path):
    import tracemalloc

    path = tmp_path / "labels.csv"
    with open(path, "w") as handle:
        handle.write("inference_id,is_fraud\n")
        handle.writelines(f"{i:032x},{i % 2}\n" for i in range(0, 200_000 * 7919, 7919))
    spec = gt.LabelSpec(path=path, fmt="csv")

    tracemalloc.start()
    try:
        result = gt.validate(spec, NOW)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    try:
        assert (result.valid, result.store.count(), result.hours) == (200_000, 200_000, {"2026/11/27/10": 200_000})
    finally:
        result.close()
    assert peak < 8_000_000  # a set of 200,000 such ids alone is about 20 MB; here: one chunk of rows


# ---- the join rule, reruns across hours, relabels, label times (issue 9) ----------------------------------------------
LATER = datetime(2026, 11, 27, 11, 5, 0, tzinfo=timezone.utc)  # the next hour: a rerun after the hour boundary


def _captures_with_inference_ids(s3) -> None:
    s3.put_object(Bucket=BUCKET, Key="datacapture/fraud-detect-prod/AllTraffic/2026/11/27/10/00-00-000-ee.jsonl",
                  Body=capture_line("ev-1", "tx-1", "2026-11-27T10:01:00Z")
                  + capture_line("ev-2", "tx-2", "2026-11-27T10:02:00Z"))


def _coverage(s3, tmp_path, labels: str) -> str:
    code, out, err = invoke(s3, tmp_path, "labels.csv", labels, "--dry-run", "--check-coverage",
                            "--capture-s3-uri", f"s3://{BUCKET}/datacapture", "--endpoint-name", "fraud-detect-prod",
                            "--window-hours", "1", "--window-end", "2026-11-27T10:30:00Z")
    assert (code, err) == (0, "")
    return out[out.index("coverage:"):out.index("dry run:")]


def test_labels_keyed_by_inference_id_match_captures_that_carry_one(s3, tmp_path):
    _captures_with_inference_ids(s3)
    coverage = _coverage(s3, tmp_path, "inference_id,is_fraud\ntx-1,1\ntx-2,0\n")
    assert coverage.splitlines()[1:] == ["  captured events:             2",
                                         "  captured events with label:  2 (100.0%)",
                                         "  labels with no captured event: 0 of 2 (0.0%)"]


def test_labels_keyed_by_event_id_match_zero_captures_that_carry_an_inference_id_and_say_why(s3, tmp_path):
    """Model Monitor merges on inferenceId when the captured record has one: its eventId is then never used."""
    _captures_with_inference_ids(s3)
    coverage = _coverage(s3, tmp_path, "inference_id,is_fraud\nev-1,1\nev-2,0\n")
    assert coverage.splitlines()[1:] == [
        "  captured events:             2",
        "  captured events with label:  0 (0.0%)",
        "  labels with no captured event: 2 of 2 (100.0%)",
        "  unmatched label ids, e.g.:   ev-1, ev-2",
        "  captured ids look like:      tx-1, tx-2",
        "  labels keyed by eventId:     2 match the eventId of captured events that carry an inferenceId; Model "
        "Monitor joins those on inferenceId, so these labels match nothing: label by the InferenceId the endpoint "
        "was invoked with (pass the transaction id as InferenceId to InvokeEndpoint)"]


def test_rerunning_the_same_file_in_the_next_hour_uploads_no_duplicates(s3, tmp_path):
    content = "inference_id,is_fraud\ntx-1,1\ntx-2,0\n"
    assert invoke(s3, tmp_path, "labels.csv", content)[0] == 0
    first = objects(s3)

    code, out, err = invoke(s3, tmp_path, "labels.csv", content, now=LATER)

    assert (code, err) == (0, "")
    assert "  already uploaded: 2 (same id and label in the look-back window; skipped)\n" in out
    assert out.endswith("wrote 0 records in 0 objects (nothing new to upload)\n")
    assert objects(s3) == first


def test_a_relabel_in_a_later_hour_is_refused_naming_the_id_and_where_it_was(s3, tmp_path):
    invoke(s3, tmp_path, "labels.csv", "inference_id,is_fraud\ntx-1,0\ntx-2,0\n")
    first = objects(s3)
    (old_key,) = first

    code, out, err = invoke(s3, tmp_path, "labels.csv", "inference_id,is_fraud\ntx-1,1\n", now=LATER)

    assert code == 2
    assert f"    id tx-1 conflicts with label 0 in s3://{BUCKET}/{old_key}\n" in out
    assert err == ("error: labels.csv has 1 invalid row: 1 id already uploaded with another label (line 2); fix "
                   "them, pass --replace-conflicting to replace the earlier labels, or pass --skip-invalid to upload "
                   "the 0 valid rows")
    assert objects(s3) == first


def test_replace_conflicting_leaves_exactly_one_label_per_id(s3, tmp_path):
    invoke(s3, tmp_path, "labels.csv", "inference_id,is_fraud\ntx-1,0\ntx-2,0\n")
    (old_key,) = objects(s3)

    code, out, err = invoke(s3, tmp_path, "labels.csv", "inference_id,is_fraud\ntx-1,1\n", "--replace-conflicting",
                            now=LATER)

    kept = record("tx-2", "0")
    kept_key = gt.object_key(HOUR_PREFIX, kept.encode())
    new_key = gt.object_key("ground-truth/prod/2026/11/27/11/", record("tx-1", "1").encode())
    assert (code, err) == (0, "")
    assert f"    id tx-1 replaces label 0 in s3://{BUCKET}/{old_key}\n" in out
    assert out.splitlines()[-3:] == [
        f"replaced earlier labels: s3://{BUCKET}/{old_key} rewritten as s3://{BUCKET}/{kept_key} (1 records kept)",
        "wrote 1 records in 1 object:", f"  s3://{BUCKET}/{new_key}  1 records"]
    assert objects(s3) == {kept_key: kept, new_key: record("tx-1", "1")}


def test_replacing_the_only_record_of_an_object_deletes_it(s3, tmp_path):
    invoke(s3, tmp_path, "labels.csv", "inference_id,is_fraud\ntx-1,0\n")
    (old_key,) = objects(s3)

    code, out, _ = invoke(s3, tmp_path, "labels.csv", "inference_id,is_fraud\ntx-1,1\n", "--replace-conflicting",
                          now=LATER)

    assert code == 0
    assert f"replaced earlier labels: s3://{BUCKET}/{old_key} deleted (no records left)\n" in out
    assert list(objects(s3).values()) == [record("tx-1", "1")]


def test_label_times_in_the_future_or_before_the_look_back_window_are_flagged(s3, tmp_path):
    content = ("inference_id,is_fraud,t\ntx-1,1,2026-11-27T10:00:00Z\ntx-2,0,2026-11-27T11:00:00Z\n"
               "tx-3,0,2026-11-18T10:00:00Z\ntx-4,1,2026-11-18T09:59:59Z\n")

    code, out, err = invoke(s3, tmp_path, "labels.csv", content, "--time-column", "t")

    assert code == 2
    assert ("    label time in the future: 1 (line 3)\n"
            "    label time older than the look-back window: 1 (line 5)\n") in out
    assert err == ("error: labels.csv has 2 invalid rows: 1 label time in the future (line 3), 1 label time older "
                   "than the look-back window (line 5); fix them, or pass --skip-invalid to upload the 2 valid rows")
    assert objects(s3) == {}


def test_uploads_older_than_the_look_back_window_are_not_read(s3, tmp_path):
    """The window is bounded (cost): a conflicting record uploaded 10 days ago is outside it and not compared."""
    s3.put_object(Bucket=BUCKET, Key="ground-truth/prod/2026/11/17/10/old.jsonl", Body=record("tx-1", "0"))

    code, out, err = invoke(s3, tmp_path, "labels.csv", "inference_id,is_fraud\ntx-1,1\n")

    assert (code, err) == (0, "")
    assert "conflicts with" not in out


def test_a_coverage_check_that_finds_no_capture_file_is_an_error_not_zero_of_zero(s3, tmp_path):
    code, out, err = invoke(s3, tmp_path, "labels.csv", "inference_id,is_fraud\ntx-1,1\n", "--check-coverage",
                            "--capture-s3-uri", f"s3://{BUCKET}/wrong-prefix", "--endpoint-name", "fraud-detect-prod",
                            "--window-hours", "2", "--window-end", "2026-11-27T10:59:00Z")

    assert (code, err) == (2, f"error: no Data Capture files under s3://{BUCKET}/wrong-prefix/"
                                               "fraud-detect-prod/ from 2026-11-27T09:00Z to 2026-11-27T11:00Z; check "
                                               "--capture-s3-uri (the endpoint's DataCaptureConfig DestinationS3Uri) "
                                               "and --window-end / --window-hours")
    assert objects(s3, "") == {}


@pytest.mark.parametrize(("labels", "extra", "message"), [
    ("inference_id,is_fraud\n", (), "error: labels.csv has no label rows; nothing to upload"),
    ("inference_id,is_fraud\ntx-1,maybe\n", ("--skip-invalid",),
     "error: labels.csv has no valid label rows (1 invalid); nothing to upload"),
])
def test_a_file_with_no_valid_label_row_uploads_nothing_and_says_so(s3, tmp_path, labels, extra, message):
    code, _, err = invoke(s3, tmp_path, "labels.csv", labels, *extra)

    assert (code, err) == (2, message)
    assert objects(s3, "") == {}


def test_a_bucket_root_destination_is_refused(s3, tmp_path):
    code, _, err = invoke(s3, tmp_path, "labels.csv", "inference_id,is_fraud\ntx-1,1\n", "--ground-truth-s3-uri",
                          f"s3://{BUCKET}")

    assert (code, err) == (2, f"error: ground truth destination 's3://{BUCKET}' names a bucket but "
                                               "no object key; pass --ground-truth-s3-uri s3://<bucket>/<prefix>, the "
                                               "stage's GroundTruthInput (e.g. s3://<bucket>/ground-truth/<endpoint>)")
    assert objects(s3, "") == {}


@pytest.mark.parametrize(("name", "message"), [
    ("notes", "error: cannot read {tmp}/notes: No such file or directory; check the path"),
    ("folder", "error: {tmp}/folder is a directory; pass the label file itself"),
    ("s3://bucket/labels.csv", "error: s3://bucket/labels.csv is an S3 URI; the label file must be local: download it "
                               "first (aws s3 cp <uri> .)"),
])
def test_a_label_path_that_is_no_local_file_is_named_before_its_format(s3, tmp_path, name, message):
    (tmp_path / "folder").mkdir()
    path = name if name.startswith("s3://") else str(tmp_path / name)
    args = gt.parse_args([path, "--ground-truth-s3-uri", GT_URI])
    with pytest.raises(MonitorError) as caught:
        gt.run(args, s3=s3, now=NOW, out=io.StringIO())
    assert (caught.value.exit_code, f"error: {caught.value}") == (2, message.format(tmp=tmp_path))
