"""pipelines.core.progress: progress lines on stderr only on a terminal and only for work past the delay.

The timer is injected: a test fires it at once, so nothing waits on a thread (those waits hang under libfaketime).
"""

from __future__ import annotations

import io

from pipelines.core.progress import Progress


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


class FiredTimer:
    """threading.Timer's shape; ``start`` runs the function at once (the delay has passed), records the delay."""

    started: list[float] = []

    def __init__(self, delay: float, function) -> None:
        self.delay, self.function, self.cancelled = delay, function, False

    def start(self) -> None:
        FiredTimer.started.append(self.delay)
        self.function()

    def cancel(self) -> None:
        self.cancelled = True


class NeverTimer(FiredTimer):
    """A timer whose delay never passes before the work ends."""

    def start(self) -> None:
        FiredTimer.started.append(self.delay)


def test_nothing_is_printed_and_no_timer_starts_when_stderr_is_not_a_terminal():
    stream = io.StringIO()
    FiredTimer.started = []
    with Progress("report prod", stream=stream, delay=0.0, timer=FiredTimer) as progress:
        progress.step("reading")
    assert (stream.getvalue(), FiredTimer.started) == ("", [])


def test_nothing_is_printed_for_work_that_ends_before_the_delay():
    stream = Terminal()
    FiredTimer.started = []
    with Progress("report prod", stream=stream, delay=60.0, timer=NeverTimer) as progress:
        progress.step("reading")
    assert (stream.getvalue(), FiredTimer.started) == ("", [60.0])


def test_on_a_terminal_past_the_delay_the_current_step_then_each_step_and_done_are_printed():
    stream = Terminal()
    with Progress("report prod", stream=stream, delay=2.0, timer=FiredTimer) as progress:
        progress.step("reading outputs")
        progress.step("drawing report.html")
    lines = stream.getvalue().splitlines()
    assert [line.rsplit(" (", 1)[0] for line in lines] == [
        "report prod: working", "report prod: reading outputs", "report prod: drawing report.html", "report prod: done"]
    assert all(line.endswith(" s)") for line in lines)


def test_by_default_the_delay_runs_on_a_daemon_thread_timer():
    import threading

    progress = Progress("report prod", stream=Terminal(), delay=60.0)
    with progress:
        assert isinstance(progress._timer, threading.Timer) and progress._timer.daemon
    assert progress._timer.finished.is_set()  # cancelled when the work ended
