"""Progress lines on stderr for work that takes more than about two seconds; silent when stderr is not a terminal.

    with Progress("report prod") as progress:
        progress.step("reading monitor outputs")
        ...

Nothing is printed for a run that finishes within ``delay`` seconds, and nothing at all in pipes, CI logs and tests
(stderr is not a terminal there), so machine-read output and exact-output tests are unaffected.
"""

from __future__ import annotations

import sys
import threading
import time
from typing import Any, Callable, TextIO

DELAY_S = 2.0


class Progress:
    """Prints ``<title>: <step> (<seconds> s)`` on stderr once the work has run ``delay`` seconds, then each step."""

    def __init__(self, title: str, *, stream: TextIO | None = None, delay: float = DELAY_S,
                 enabled: bool | None = None, timer: Callable[[float, Callable[[], None]], Any] = threading.Timer
                 ) -> None:
        self.title = title
        self.stream = stream or sys.stderr
        self.delay = delay
        self.enabled = self._is_terminal() if enabled is None else enabled
        self.current = ""
        self.started = 0.0
        self.shown = False
        self._make_timer = timer  # injectable: tests fire it at once instead of waiting on a thread
        self._timer: Any = None
        self._lock = threading.Lock()

    def _is_terminal(self) -> bool:
        try:
            return bool(self.stream.isatty())
        except (AttributeError, ValueError):
            return False

    def start(self) -> "Progress":
        """Start timing (the same as entering the ``with`` block)."""
        return self.__enter__()

    def stop(self) -> None:
        """Stop (the same as leaving the ``with`` block); idempotent."""
        self.__exit__(None, None, None)

    def __enter__(self) -> "Progress":
        self.started = time.monotonic()
        if self.enabled:
            self._timer = self._make_timer(self.delay, self._first)
            self._timer.daemon = True
            self._timer.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._timer:
            self._timer.cancel()
        with self._lock:
            if self.shown:
                self._write(f"{self.title}: done")
                self.shown = False

    def _write(self, text: str) -> None:
        self.stream.write(f"{text} ({time.monotonic() - self.started:.0f} s)\n")
        self.stream.flush()

    def _first(self) -> None:
        with self._lock:
            self.shown = True
            self._write(f"{self.title}: {self.current or 'working'}")

    def step(self, text: str) -> None:
        """Name what the work does now; printed at once when progress is already showing."""
        with self._lock:
            self.current = text
            if self.shown:
                self._write(f"{self.title}: {text}")
