"""The label development curve: how much of a day's eventual fraud is labelled by day d (issue 18).

Card-fraud labels mature over 30-90 days (chargebacks; domain knowledge, not an AWS fact). Early labels are mostly
analyst-confirmed, high-score cases, so recall measured on labels a week old is not recall: it is "recall at label
age 7 days". This module holds the curve's file format and the arithmetic on it; it is pure (no AWS, no clock).

The curve is measured from the labels' own history, never assumed: ``python -m pipelines.ground_truth
--matured-negatives`` (run daily) takes one matured day of captured transactions, joins its positive labels by
Model Monitor's rule (inferenceId, else eventId), and records for each fraud its **label age** = the hour folder the
label was uploaded under (``<GroundTruthInput>/yyyy/mm/dd/hh/``, the hour it was collected; AWS docs "Ingest Ground
Truth labels") minus the capture's ``eventMetadata.inferenceTime``, in whole days, and whether the model caught it
(score at or above ``ProbabilityThresholdAttribute``). One entry per matured day, in
``s3://<ground-truth bucket>/label-development/<endpoint>/curve.json``. Outside ``GroundTruthInput`` on purpose: Model
Monitor's merge must never read it as labels.

Document (``version`` 1)::

    {"version": 1, "label_maturity_days": 90,
     "days": {"2026-08-01": {"frauds": 31, "caught": 27,
                             "labelled_by_day": [n0, n1, ..., nM],          # frauds labelled at age <= d days
                             "caught_labelled_by_day": [c0, c1, ..., cM]}}} # of those, caught by the model

From it: share(d) = sum(labelled_by_day[d]) / sum(frauds) and the recall an unchanged model shows at label age d,
early_recall(d) = sum(caught_labelled_by_day[d]) / sum(labelled_by_day[d]).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from pipelines.core.s3uri import parse_s3_uri, s3_uri

VERSION = 1
CURVE_FILE = "curve.json"
CURVE_PREFIX = "label-development"
# Enough history to judge early recall: 14 matured days (two weekly cycles of analyst work) and 100 matured frauds
# (the share at a label age then has a binomial standard error of at most 0.05). Below that the early recall is
# shown, never paged (issue 18: "until enough history exists, say so and do not page on early recall").
MIN_HISTORY_DAYS = 14
MIN_HISTORY_FRAUDS = 100


def curve_uri(ground_truth_uri: str, endpoint: str) -> str:
    """Where the curve of a stage lives: ``s3://<GroundTruthInput's bucket>/label-development/<endpoint>/curve.json``."""
    bucket, _ = parse_s3_uri(ground_truth_uri, key_required=False)
    return s3_uri(bucket, f"{CURVE_PREFIX}/{endpoint}/{CURVE_FILE}")


@dataclass(frozen=True)
class Curve:
    """The curve summed over its matured days."""

    maturity_days: int
    days: int
    frauds: int
    caught: int
    labelled_by_day: tuple[int, ...]
    caught_labelled_by_day: tuple[int, ...]

    @property
    def enough(self) -> bool:
        """Whether early thresholds may be derived (and early recall may page)."""
        return self.days >= MIN_HISTORY_DAYS and self.frauds >= MIN_HISTORY_FRAUDS

    def missing_history(self) -> str:
        """Why there is not enough history yet ('' when there is)."""
        if self.enough:
            return ""
        return (f"{self.days} matured day(s) with {self.frauds} fraud(s) so far; early thresholds need "
                f"{MIN_HISTORY_DAYS} days and {MIN_HISTORY_FRAUDS} frauds")

    def share(self, age: int) -> float | None:
        """Share of a day's eventual frauds labelled by ``age`` days (None without frauds)."""
        if not self.frauds:
            return None
        return self.labelled_by_day[min(max(age, 0), len(self.labelled_by_day) - 1)] / self.frauds

    def early_recall(self, age: int) -> float | None:
        """Recall of the unchanged model measured on the labels present at ``age`` days (None without any)."""
        index = min(max(age, 0), len(self.labelled_by_day) - 1)
        labelled = self.labelled_by_day[index]
        return self.caught_labelled_by_day[index] / labelled if labelled else None

    @property
    def matured_recall(self) -> float | None:
        return self.caught / self.frauds if self.frauds else None

    def as_dict(self) -> dict[str, Any]:
        """Plain data for reports (the HTML report reads this from ``--json``)."""
        ages = range(len(self.labelled_by_day))
        return {
            "label_maturity_days": self.maturity_days, "matured_days": self.days, "frauds": self.frauds,
            "caught": self.caught, "enough_history": self.enough, "missing_history": self.missing_history(),
            "min_history_days": MIN_HISTORY_DAYS, "min_history_frauds": MIN_HISTORY_FRAUDS,
            "share_labelled_by_day": [_round(self.share(age)) for age in ages],
            "recall_at_label_age": [_round(self.early_recall(age)) for age in ages],
            "matured_recall": _round(self.matured_recall),
        }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 6)


class CurveError(ValueError):
    """When a curve document is not in the format above."""


def _counts(value: Any, length: int, where: str) -> tuple[int, ...]:
    if (not isinstance(value, list) or len(value) != length
            or not all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in value)):
        raise CurveError(f"{where} must be a list of {length} non-negative integers")
    if any(b < a for a, b in zip(value, value[1:], strict=False)):
        raise CurveError(f"{where} must not decrease (counts labelled by day d are cumulative)")
    return tuple(value)


def day_entry(document: dict[str, Any], day: str) -> dict[str, Any] | None:
    """One day's raw entry (None when absent)."""
    days = document.get("days") if isinstance(document, dict) else None
    return days.get(day) if isinstance(days, dict) else None


def summarize(document: Any) -> Curve:
    """Sum a curve document over its days; CurveError names what is wrong."""
    if not isinstance(document, dict) or document.get("version") != VERSION:
        raise CurveError(f"not a label development curve (expected \"version\": {VERSION})")
    maturity = document.get("label_maturity_days")
    if not isinstance(maturity, int) or isinstance(maturity, bool) or maturity < 1:
        raise CurveError("label_maturity_days must be a positive integer")
    days = document.get("days")
    if not isinstance(days, dict):
        raise CurveError("days must be an object of yyyy-mm-dd -> counts")
    length = maturity + 1
    labelled = [0] * length
    caught_labelled = [0] * length
    frauds = caught = 0
    for day, entry in sorted(days.items()):
        if not isinstance(entry, dict):
            raise CurveError(f"days.{day} must be an object")
        by_day = _counts(entry.get("labelled_by_day"), length, f"days.{day}.labelled_by_day")
        caught_by_day = _counts(entry.get("caught_labelled_by_day"), length, f"days.{day}.caught_labelled_by_day")
        day_frauds, day_caught = entry.get("frauds"), entry.get("caught")
        if (not isinstance(day_frauds, int) or not isinstance(day_caught, int) or day_frauds != by_day[-1]
                or day_caught != caught_by_day[-1] or any(c > n for c, n in zip(caught_by_day, by_day, strict=True))):
            raise CurveError(f"days.{day}: frauds and caught must equal the last labelled_by_day and "
                             "caught_labelled_by_day counts, and caught never exceeds labelled")
        frauds += day_frauds
        caught += day_caught
        labelled = [a + b for a, b in zip(labelled, by_day, strict=True)]
        caught_labelled = [a + b for a, b in zip(caught_labelled, caught_by_day, strict=True)]
    return Curve(maturity_days=maturity, days=len(days), frauds=frauds, caught=caught,
                 labelled_by_day=tuple(labelled), caught_labelled_by_day=tuple(caught_labelled))


def day_counts(ages: list[tuple[int, bool]], maturity: int) -> dict[str, Any]:
    """One day's entry from (label age in days, caught) per fraud labelled by maturity (older labels excluded)."""
    labelled = [0] * (maturity + 1)
    caught = [0] * (maturity + 1)
    for age, hit in ages:
        if age > maturity:
            continue
        for day in range(max(age, 0), maturity + 1):
            labelled[day] += 1
            caught[day] += hit
    return {"frauds": labelled[-1], "caught": caught[-1], "labelled_by_day": labelled,
            "caught_labelled_by_day": caught}


def label_age_days(label_hour_start_seconds: float, event_seconds: float) -> int:
    """Whole days from the transaction to the start of the hour folder its label was uploaded under (0 if earlier)."""
    return max(0, math.floor((label_hour_start_seconds - event_seconds) / 86400))


def offset_days(text: str) -> int | None:
    """Whole days of a -P<n>D / -P<n>DT<h>H / -PT<h>H monitoring offset: the label age of an evaluation window's
    youngest transactions (None when not such an offset)."""
    match = re.match(r"^-P(?:([0-9]+)D)?(?:T([0-9]+)H)?$", text or "")
    if not match or not any(match.groups()):
        return None
    return int(match.group(1) or 0) + int(match.group(2) or 0) // 24
