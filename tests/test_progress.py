"""pipelines.core.progress: progress lines on stderr only on a terminal and only for work past the delay."""

from __future__ import annotations

import io
import threading

from pipelines.core.progress import Progress


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_nothing_is_printed_when_stderr_is_not_a_terminal():
    stream = io.StringIO()
    fired = threading.Event()
    with Progress("report prod", stream=stream, delay=0.0) as progress:
        progress.step("reading")
        fired.wait(0.2)

    assert stream.getvalue() == ""


def test_nothing_is_printed_for_work_that_ends_before_the_delay():
    stream = Terminal()
    with Progress("report prod", stream=stream, delay=60.0) as progress:
        progress.step("reading")

    assert stream.getvalue() == ""


def test_on_a_terminal_past_the_delay_the_current_step_then_each_step_and_done_are_printed():
    stream = Terminal()
    with Progress("report prod", stream=stream, delay=0.0) as progress:
        progress.step("reading outputs")
        for _ in range(200):  # the timer thread prints the first line
            if stream.getvalue():
                break
            threading.Event().wait(0.01)
        progress.step("drawing report.html")

    lines = stream.getvalue().splitlines()
    assert [line.rsplit(" (", 1)[0] for line in lines] in (
        ["report prod: reading outputs", "report prod: drawing report.html", "report prod: done"],
        ["report prod: working", "report prod: reading outputs", "report prod: drawing report.html",
         "report prod: done"])
    assert all(line.endswith(" s)") for line in lines)
