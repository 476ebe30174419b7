"""python -m pipelines.report --estimate-output: estimated vs realized fraud recall per capture window."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from devtools.seed import OUTPUTS_BUCKET as BUCKET
from pipelines.report import recall_windows
from tests.support.report import BASE, PARAMS, put, run_report

ESTIMATES = f"s3://{BUCKET}/monitoring/prod/estimate"


def _estimate(s3, hour: str, recall: float, low: float, high: float, holds: bool | None = True) -> None:
    start = f"2026-11-{hour}:00:00Z"
    end_hour = int(hour[-2:]) + 1
    document = {"version": 0.0, "dataset": {"item_count": 1000},
                "binary_classification_metrics": {"recall": {"value": recall, "standard_deviation": 0.02,
                                                             "confidence_interval_95": [low, high]}},
                "estimate": {"window": {"start": start, "end": f"{start[:11]}{end_hour:02d}:00:00Z"},
                             "calibration": {"holds": holds}}}
    day, hh = hour.split("T")
    put(s3, f"{ESTIMATES}/fraud-detect-prod/{BASE}-estimate/2026/11/{day}/{hh}/statistics.json",
        json.dumps(document).encode())


def _realized(s3, execution: str, recall: float) -> None:
    document = {"version": 0.0, "dataset": {"item_count": 800},
                "binary_classification_metrics": {"recall": {"value": recall, "standard_deviation": 0.01}}}
    put(s3, f"{PARAMS['ModelQualityOutputS3Uri']}/fraud-detect-prod/{BASE}-model-quality/{execution}/statistics.json",
        json.dumps(document).encode())


@pytest.mark.parametrize(("text", "expected"), [("-P8D", -timedelta(days=8)), ("-PT1H", -timedelta(hours=1)),
                                                 ("-P1DT2H", -timedelta(days=1, hours=2))])
def test_offsets_are_read_as_the_template_writes_them(text, expected):
    assert recall_windows.offset(text) == expected


def test_windows_get_the_realized_recall_of_the_execution_that_covers_them(s3):
    _estimate(s3, "20T10", 0.84, 0.80, 0.88)
    _estimate(s3, "20T11", 0.83, 0.79, 0.87, holds=False)
    _estimate(s3, "27T10", 0.61, 0.55, 0.67)
    _realized(s3, "2026/11/28/10", 0.79)  # -P8D..-P7D: captures of 11-20 10:00 to 11-21 10:00
    rows = recall_windows.collect(s3, ESTIMATES, PARAMS["ModelQualityOutputS3Uri"], "-P8D", "-P7D")
    assert [(row.estimated, row.realized) for row in rows] == [(0.84, 0.79), (0.83, 0.79), (0.61, None)]
    assert recall_windows.render(rows) == (
        "\nfraud recall by capture window: estimated (no labels needed) vs realized (once labels arrive)\n"
        "  WINDOW (UTC)                       ESTIMATED  95% INTERVAL   REALIZED\n"
        "  2026-11-20 10:00-11:00             0.840      0.800-0.880    0.790\n"
        "  2026-11-20 11:00-12:00             0.830      0.790-0.870    0.790  (calibration FAILS: estimate not "
        "trusted)\n"
        "  2026-11-27 10:00-11:00             0.610      0.550-0.670    labels pending\n")


def test_report_appends_the_section_when_asked(sm, s3, tmp_path, monkeypatch):
    sm.stubber.add_client_error("describe_monitoring_schedule", service_error_code="500", http_status_code=500,
                                service_message="<title>500 Internal Server Error</title>",
                                expected_params={"MonitoringScheduleName": f"{BASE}-data-quality"})
    _estimate(s3, "27T10", 0.61, 0.55, 0.67)
    code, out = run_report(sm, s3, tmp_path, monkeypatch, "--estimate-output", ESTIMATES)
    assert code == 4  # no monitor could be read (the estimate is shown, but it is no verdict): UNKNOWN
    assert out.endswith("  WINDOW (UTC)                       ESTIMATED  95% INTERVAL   REALIZED\n"
                        "  2026-11-27 10:00-11:00             0.610      0.550-0.670    labels pending\n")


@pytest.mark.parametrize(("body", "reason"), [
    (b"not json", "not JSON"),
    (b"[1, 2]", "not a statistics.json object"),
    (json.dumps({"estimate": {"window": {"start": "yesterday", "end": 5}}}).encode(),
     "no estimate.window start/end times and binary_classification_metrics"),
    (json.dumps({"estimate": "x", "binary_classification_metrics": []}).encode(),
     "no estimate.window start/end times and binary_classification_metrics"),
])
def test_a_statistics_file_of_another_shape_in_the_history_is_said_and_skipped(s3, body, reason):
    _estimate(s3, "27T10", 0.61, 0.55, 0.67)
    bad = f"{ESTIMATES}/fraud-detect-prod/{BASE}-estimate/2026/11/26/09/statistics.json"
    put(s3, bad, body)
    skipped: list = []
    rows = recall_windows.collect(s3, ESTIMATES, PARAMS["ModelQualityOutputS3Uri"], "-P8D", "-P7D", skipped=skipped)
    assert recall_windows.render(rows, skipped).splitlines()[-2:] == [
        "  2026-11-27 10:00-11:00             0.610      0.550-0.670    labels pending",
        f"  1 statistics.json skipped: {reason}; first: {bad}"]


def test_an_estimate_whose_values_are_not_numbers_shows_dashes_not_a_traceback(s3):
    document = {"binary_classification_metrics": {"recall": {"value": "NaN", "confidence_interval_95": ["a", None]}},
                "estimate": {"window": {"start": "2026-11-27T10:00:00Z", "end": "2026-11-27T11:00:00Z"},
                             "calibration": {"holds": "yes"}}}
    put(s3, f"{ESTIMATES}/fraud-detect-prod/{BASE}-estimate/2026/11/27/10/statistics.json",
        json.dumps(document).encode())
    rows = recall_windows.collect(s3, ESTIMATES, PARAMS["ModelQualityOutputS3Uri"], "-P8D", "-P7D")
    assert recall_windows.render(rows).splitlines()[-1] == (
        "  2026-11-27 10:00-11:00             -          -              labels pending")
