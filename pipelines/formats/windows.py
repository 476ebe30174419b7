"""The analysis window of a scheduled monitoring run, computed as Model Monitor computes it.

One pure function for both engines: the processing engine's state machines compute the same thing in JSONata
(``model-monitor-template.yml``, ``tests/test_processing_engine.py`` checks that both agree), and the local run of
the processing engine's steps (``bench/demo_processing.py``) calls this.

Model Monitor's rules (AWS docs):
- a cron schedule analyses the previous full hour: an execution scheduled at 05:00 reads the captures of
  [04:00, 05:00) ("Schedule monitoring jobs", model-monitor-scheduling; the BYOC contract's ``start_time`` /
  ``end_time``, model-monitor-byoc-contract-inputs);
- ``DataAnalysisStartTime`` / ``DataAnalysisEndTime`` (ISO-8601 offsets such as ``-PT1H``) move that window relative
  to the scheduled hour (model-monitor-schedule-expression);
- model quality and bias take ``StartTimeOffset`` / ``EndTimeOffset`` in their EndpointInput: with ``-P8D`` / ``-P7D``
  an execution at hour H reads the captures of [H - 8 days, H - 7 days) (model-monitor-model-quality-schedule,
  "late labels").
The scheduled time is the hour of the cron tick (EventBridge Scheduler's ``<aws.scheduler.scheduled-time>``, or
SageMaker's ``ScheduledTime``); a tick a few minutes late still belongs to its hour, so it is truncated to the hour.
Offsets are days, hours and minutes only: months and years have no fixed length and Model Monitor's examples use none.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from pipelines.formats.times import day_folder, hour_folder, hour_start, iso_z

HOUR = timedelta(hours=1)
# The default window of a cron run: the previous full hour.
DEFAULT_START_OFFSET = "-PT1H"
DEFAULT_END_OFFSET = "-PT0H"
# Sign, days, then T with hours and minutes; the same expression is written in the template's JSONata.
OFFSET_RE = re.compile(r"^(-?)P(?:([0-9]+)D)?(?:T(?:([0-9]+)H)?(?:([0-9]+)M)?)?$")


@dataclass(frozen=True)
class AnalysisWindow:
    """[start, end) of one run, and the hour it is filed under."""

    scheduled_hour: datetime
    start: datetime
    end: datetime

    @property
    def output_folder(self) -> str:
        """The execution's folder under ``<OutputS3Uri>/<endpoint>/<schedule>/``: its scheduled hour."""
        return hour_folder(self.scheduled_hour)


def offset(text: str) -> timedelta:
    """``-P8D`` -> -8 days, ``-PT1H`` -> -1 hour, ``-P1DT2H30M``; ValueError naming the value otherwise."""
    match = OFFSET_RE.match(text or "")
    if not match or text.endswith("T") or not any(match.groups()[1:]):
        raise ValueError(f"offset '{text}' is not an ISO-8601 duration of days, hours and minutes like -P8D or -PT1H")
    sign, days, hours, minutes = match.groups()
    value = timedelta(days=int(days or 0), hours=int(hours or 0), minutes=int(minutes or 0))
    return -value if sign else value


def analysis_window(scheduled: datetime, start_offset: str = DEFAULT_START_OFFSET,
                    end_offset: str = DEFAULT_END_OFFSET) -> AnalysisWindow:
    """The window a run scheduled at ``scheduled`` analyses (UTC; a naive time is taken as UTC).

    Raises:
        ValueError: a malformed offset, or a start not before the end.
    """
    hour = hour_start(scheduled)
    start, end = hour + offset(start_offset), hour + offset(end_offset)
    if start >= end:
        raise ValueError(f"start offset {start_offset} is not before end offset {end_offset}")
    return AnalysisWindow(scheduled_hour=hour, start=start, end=end)


def capture_folders(window: AnalysisWindow) -> list[str]:
    """The Data Capture folders (below ``<endpoint>/<variant>/``) that hold the window's records.

    A window inside one hour is that hour's folder; a longer one is every UTC day folder it touches (a processing
    job gets one input per folder, at most 10 inputs: a day folder keeps a 24-hour window to two). The job may
    download more than the window, as Model Monitor does ("We sometimes download more than what is specified by the
    start and end times", model-monitor-byoc-contract-inputs); the container keeps the window's records only.
    """
    last = window.end - timedelta(microseconds=1)
    if hour_start(window.start) == hour_start(last):
        return [hour_folder(window.start)]
    day = hour_start(window.start).replace(hour=0)
    folders = []
    while day <= last:
        folders.append(day_folder(day))
        day += timedelta(days=1)
    return folders


iso = iso_z  # how the window reaches the container (``start_time`` / ``end_time``)
