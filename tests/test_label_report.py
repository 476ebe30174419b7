"""The report's labels-and-recall-windows section (issue 18): the early and matured windows, their alarms, and the
label development curve the ground-truth tool measured, as text and as --json data."""

from __future__ import annotations

import json

from devtools.seed import OUTPUTS_BUCKET as BUCKET  # the bucket the shared s3 fixture creates
from pipelines.formats.label_development import day_counts
from pipelines.report import label_maturity as label_report
from pipelines.report.cli import Report, report_dict

CURVE_KEY = "label-development/fraud-detect-prod/curve.json"
PARAMS = {"EndpointName": "fraud-detect-prod", "MonitoringScheduleBaseName": "fraud-detect-prod",
          "GroundTruthInput": f"s3://{BUCKET}/ground-truth/fraud-detect-prod", "LabelMaturityDays": "90",
          "ExpectedDailyFrauds": "30", "GroundTruthStartTimeOffset": "-P8D", "GroundTruthEndTimeOffset": "-P7D",
          "ModelQualityMaturedAlarmThreshold": "0.679802"}


def put_curve(s3, days: int) -> None:
    """``days`` days of 11 frauds: 9 caught (6 labelled within 5 days), 2 missed (labelled at 3 and 60 days)."""
    entry = day_counts([(2, True)] * 5 + [(5, True), (30, True), (30, True), (45, True), (3, False), (60, False)], 90)
    document = {"version": 1, "label_maturity_days": 90,
                "days": {f"2026-08-{day + 1:02d}": entry for day in range(days)}}
    s3.put_object(Bucket=BUCKET, Key=CURVE_KEY, Body=json.dumps(document).encode())


def test_without_a_curve_the_report_says_early_recall_is_not_paged(s3):
    section = label_report.collect(PARAMS, s3)
    assert label_report.render(section) == f"""
labels and recall windows (LabelMaturityDays 90, ExpectedDailyFrauds 30)
  early    captures -P8D to -P7D old (label age 7 days), schedule fraud-detect-prod-model-quality: not paged: no label \
development curve yet (python -m pipelines.ground_truth --matured-negatives builds it)
  matured  captures -P90DT24H to -P90D old (label age 90 days), schedule fraud-detect-prod-model-quality-matured: \
alarm below 0.679802
  label development curve: none yet at s3://{BUCKET}/{CURVE_KEY}
"""


def test_the_curve_and_the_windows_are_shown_and_carried_as_data(s3):
    put_curve(s3, 14)
    section = label_report.collect(dict(PARAMS, ModelQualityAlarmThreshold="0.661769"), s3)
    assert label_report.render(section) == f"""
labels and recall windows (LabelMaturityDays 90, ExpectedDailyFrauds 30)
  early    captures -P8D to -P7D old (label age 7 days), schedule fraud-detect-prod-model-quality: alarm below 0.661769
  matured  captures -P90DT24H to -P90D old (label age 90 days), schedule fraud-detect-prod-model-quality-matured: \
alarm below 0.679802
  label development curve s3://{BUCKET}/{CURVE_KEY}: 14 matured days, 154 frauds (enough history)
    LABEL AGE (DAYS)  SHARE OF FRAUDS LABELLED  RECALL ON THOSE LABELS
    0                 0.000                     -
    1                 0.000                     -
    2                 0.455                     1.000
    3                 0.545                     0.833
    7                 0.636                     0.857
    14                0.636                     0.857
    30                0.818                     0.889
    45                0.909                     0.900
    60                1.000                     0.818
    90                1.000                     0.818
"""
    assert section["windows"][0] == {
        "window": "early", "start_offset": "-P8D", "end_offset": "-P7D", "label_age_days": 7,
        "schedule": "fraud-detect-prod-model-quality", "alarm_threshold": 0.661769, "paged": True,
        "not_paged_reason": None, "share_labelled": 7 / 11, "recall_at_label_age": 6 / 7,
        "expected_labelled_frauds": 19.0909}
    curve = section["curve"]
    assert (len(curve["share_labelled_by_day"]), curve["share_labelled_by_day"][7], curve["matured_recall"],
            curve["enough_history"]) == (91, 0.636364, 0.818182, True)
    document = report_dict(Report(stage="prod", endpoint="fraud-detect-prod", monitors=[], label_maturity=section))
    assert document["label_maturity"]["windows"][1]["schedule"] == "fraud-detect-prod-model-quality-matured"


def test_too_little_history_is_said_with_its_counts(s3):
    put_curve(s3, 3)
    section = label_report.collect(PARAMS, s3)
    assert section["windows"][0]["not_paged_reason"] == (
        "3 matured day(s) with 33 fraud(s) so far; early thresholds need 14 days and 100 frauds")
    assert "33 frauds (not enough history: 3 matured day(s) with 33 fraud(s) so far; early thresholds need 14 days " \
           "and 100 frauds)" in label_report.render(section)


def test_an_unreadable_curve_is_said_to_be_unreadable_never_fine(s3):
    s3.put_object(Bucket=BUCKET, Key=CURVE_KEY, Body=b'{"version": 2}')
    section = label_report.collect(PARAMS, s3)
    assert section["curve_error"] == 'not a label development curve (expected "version": 1)'
    assert label_report.render(section).splitlines()[-1] == (
        f"  label development curve s3://{BUCKET}/{CURVE_KEY}: cannot be read (not a label development curve "
        "(expected \"version\": 1))")


def test_a_parameter_file_from_before_the_matured_evaluation_has_no_section(s3):
    assert label_report.collect({k: v for k, v in PARAMS.items() if k != "LabelMaturityDays"}, s3) is None
    assert label_report.render(None) == ""


def test_on_the_processing_engine_the_matured_window_is_paged_as_on_model_monitor(s3):
    # the processing engine runs the matured evaluation as a state machine of the same name (issue 18)
    section = label_report.collect(dict(PARAMS, MonitoringEngine="processing"), s3)
    assert section["windows"][1] == label_report.collect(PARAMS, s3)["windows"][1]
    assert (section["windows"][1]["paged"], section["windows"][1]["not_paged_reason"],
            section["windows"][1]["schedule"]) == (True, None, f"{PARAMS['MonitoringScheduleBaseName']}-model-quality-matured")
