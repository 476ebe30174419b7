"""The report's "labels and recall windows" section (issue 18): the two model quality windows (early, at a label age
of days; matured, at LabelMaturityDays), their alarm thresholds, and the label development curve, as text and as
plain data for ``--json`` (the HTML report reads the data).

Reads one object, ``label_development.curve_uri(GroundTruthInput, EndpointName)``. A missing curve is "no history
yet" (early recall is not paged); an unreadable one is said to be unreadable, never shown as fine.
"""

from __future__ import annotations

import json
from typing import Any

from pipelines.core import aws
from pipelines.core.errors import MonitorError, NotFoundError
from pipelines.core.s3uri import S3UriError, parse_s3_uri
from pipelines.formats.label_development import Curve, CurveError, curve_uri, offset_days, summarize

SHOWN_AGES = (0, 1, 2, 3, 7, 14, 30, 45, 60, 90)  # the text table; --json carries every day


def _number(text: str | None) -> float | None:
    try:
        return float(text) if text else None
    except ValueError:
        return None


def collect(params: dict[str, str], s3: Any) -> dict[str, Any] | None:
    """The section as data; None when the stage runs no model quality monitor, or its parameter file predates the
    matured evaluation (no LabelMaturityDays: the deploy CLI writes it into every export since issue 18)."""
    if (params.get("EnableModelQualityMonitor", "yes") == "no" or not params.get("GroundTruthInput")
            or "LabelMaturityDays" not in params):
        return None
    maturity = int(params["LabelMaturityDays"]) if params.get("LabelMaturityDays", "").isdigit() else 90
    base = params.get("MonitoringScheduleBaseName", "")
    daily = _number(params.get("ExpectedDailyFrauds"))
    start, end = params.get("GroundTruthStartTimeOffset") or "-P8D", params.get("GroundTruthEndTimeOffset") or "-P7D"
    early_age = offset_days(end) or 0
    section: dict[str, Any] = {"label_maturity_days": maturity, "expected_daily_frauds": daily, "curve_uri": None,
                               "curve": None, "curve_error": None}
    curve: Curve | None = None
    try:
        uri = curve_uri(params["GroundTruthInput"], params.get("EndpointName", ""))
        section["curve_uri"] = uri
        bucket, key = parse_s3_uri(uri)
        curve = summarize(json.loads(aws.read_object(s3, bucket, key)))
        section["curve"] = curve.as_dict()
    except NotFoundError:
        pass
    except (MonitorError, ValueError, CurveError, S3UriError) as exc:
        section["curve_error"] = str(exc)
    if curve is not None and curve.maturity_days != maturity:
        section["curve_error"] = (f"measured with a {curve.maturity_days}-day maturity, LabelMaturityDays is "
                                  f"{maturity}")
        curve = None
    early_threshold = _number(params.get("ModelQualityAlarmThreshold"))
    share = curve.share(early_age) if curve else None
    if early_threshold is not None:
        why = ""
    elif section["curve_error"]:
        why = f"the label development curve cannot be read ({section['curve_error']})"
    elif curve is None:
        why = "no label development curve yet (python -m pipelines.ground_truth --matured-negatives builds it)"
    else:
        why = curve.missing_history() or "no early alarm threshold in the parameter file (rerun the deploy CLI)"
    matured_threshold = _number(params.get("ModelQualityMaturedAlarmThreshold"))
    matured_why = None if matured_threshold is not None else (  # either engine deploys it (issue 18)
        "no matured alarm threshold in the parameter file (see the deploy plan's warnings)")
    section["windows"] = [
        {"window": "early", "start_offset": start, "end_offset": end, "label_age_days": early_age,
         "schedule": f"{base}-model-quality", "alarm_threshold": early_threshold, "paged": early_threshold is not None,
         "not_paged_reason": why or None, "share_labelled": share,
         "recall_at_label_age": curve.early_recall(early_age) if curve else None,
         "expected_labelled_frauds": round(daily * share, 4) if daily is not None and share is not None else None},
        {"window": "matured", "start_offset": f"-P{maturity}DT24H", "end_offset": f"-P{maturity}D",
         "label_age_days": maturity, "schedule": f"{base}-model-quality-matured",
         "alarm_threshold": matured_threshold, "paged": matured_threshold is not None, "not_paged_reason": matured_why,
         "share_labelled": 1.0, "recall_at_label_age": curve.matured_recall if curve else None,
         "expected_labelled_frauds": daily},
    ]
    return section


def render(section: dict[str, Any] | None) -> str:
    """The text section ('' when there is none)."""
    if section is None:
        return ""
    daily = section["expected_daily_frauds"]
    lines = ["", f"labels and recall windows (LabelMaturityDays {section['label_maturity_days']}, ExpectedDailyFrauds "
                 f"{'not set' if daily is None else f'{daily:g}'})"]
    for window in section["windows"]:
        alarm = (f"alarm below {window['alarm_threshold']:g}" if window["paged"]
                 else f"not paged: {window['not_paged_reason']}")
        lines.append(f"  {window['window']:<8} captures {window['start_offset']} to {window['end_offset']} old "
                     f"(label age {window['label_age_days']} days), schedule {window['schedule']}: {alarm}")
    curve = section["curve"]
    if section["curve_error"]:
        lines.append(f"  label development curve {section['curve_uri']}: cannot be read ({section['curve_error']})")
    elif curve is None:
        lines.append(f"  label development curve: none yet at {section['curve_uri']}")
    else:
        lines.append(f"  label development curve {section['curve_uri']}: {curve['matured_days']} matured days, "
                     f"{curve['frauds']} frauds ({'enough history' if curve['enough_history'] else 'not enough history: ' + curve['missing_history']})")
        lines.append("    LABEL AGE (DAYS)  SHARE OF FRAUDS LABELLED  RECALL ON THOSE LABELS")
        ages = sorted({age for age in SHOWN_AGES if age <= section["label_maturity_days"]}
                      | {section["windows"][0]["label_age_days"], section["label_maturity_days"]})
        for age in ages:
            share, recall = curve["share_labelled_by_day"][age], curve["recall_at_label_age"][age]
            lines.append(f"    {age:<17} {'-' if share is None else f'{share:.3f}':<25} "
                         f"{'-' if recall is None else f'{recall:.3f}'}")
    return "\n".join(lines) + "\n"
