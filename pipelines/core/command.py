"""The one shape of every command: flags that fall back to environment variables, logging, exit codes from the
exception classes, and SIGTERM unwinding like Ctrl-C."""

from __future__ import annotations

import argparse
import os
from typing import Any, Callable

from pipelines.core.errors import EXIT_INTERRUPTED, MonitorError, ValidationError
from pipelines.core.files import printable

# ---- flags that fall back to environment variables (the day-2 tools) ------------------------------------------------
ENV_TRUE = ("1", "true", "yes", "on")
ENV_FALSE = ("", "0", "false", "no", "off")


def env_argument(parser: argparse.ArgumentParser, flag: str, env: str, **kwargs: Any) -> argparse.Action:
    """``parser.add_argument(flag, **kwargs)`` whose value falls back to the environment variable ``env``."""
    action = parser.add_argument(flag, **kwargs)
    action.env = env  # type: ignore[attr-defined]  # read by parse_with_env
    return action


def parse_with_env(parser: argparse.ArgumentParser, argv: list[str] | None,
                   environ: dict[str, str] | None = None) -> argparse.Namespace:
    """Parse ``argv``; a flag not given takes its environment variable, checked by the flag's own ``type`` and
    ``choices`` (argparse checks neither for defaults), so LOG_LEVEL=debug is the same usage error as
    --log-level debug, naming the variable: exit 2, never a traceback."""
    environ = os.environ if environ is None else environ
    for action in parser._actions:  # argparse keeps its actions only there
        env = getattr(action, "env", None)
        raw = environ.get(env, "") if env else ""
        if not env or (not raw and action.nargs != 0):
            continue
        flag = max(action.option_strings, key=len)
        if action.nargs == 0:  # a store_true flag: the variable is a boolean
            if raw.strip().lower() not in ENV_TRUE + ENV_FALSE:
                parser.error(f"environment variable {env}: '{raw}' is not a boolean for {flag} "
                             f"(use {'/'.join(ENV_TRUE)} or {'/'.join(ENV_FALSE[1:])})")
            action.default = raw.strip().lower() in ENV_TRUE
            continue
        try:
            value = action.type(raw) if callable(action.type) else raw
        except argparse.ArgumentTypeError as exc:  # the type's own reason, as argparse shows it for the flag
            parser.error(f"environment variable {env}: {exc} (as {flag})")
        except (TypeError, ValueError):
            parser.error(f"environment variable {env}: invalid {getattr(action.type, '__name__', 'value')} value: "
                         f"'{raw}' (as {flag})")
        if action.choices is not None and value not in action.choices:
            choices = ", ".join(repr(choice) for choice in action.choices)
            parser.error(f"environment variable {env}: invalid choice: '{raw}' (as {flag}; choose from {choices})")
        action.default = value
    return parser.parse_args(argv)


class _Terminated(KeyboardInterrupt):
    """SIGTERM turned into the same unwinding as Ctrl-C, so every ``finally`` and cleanup runs."""


def _on_sigterm(signum: int, frame: object) -> None:
    raise _Terminated()


def run_command(argv: list[str] | None, parse_args: Callable[[list[str] | None], Any],
                run: Callable[[Any], int], *, interrupted: str) -> int:
    """The ``main()`` of every command: parse (argparse exits 0 for --help, 2 for a bad flag or environment
    variable), log at ``--log-level`` to stderr, then ``run(args)`` guarded (see run_guarded); the exit code."""
    import logging
    import sys

    try:
        args = parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    logging.basicConfig(level=args.log_level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    return run_guarded(lambda: run(args), interrupted=interrupted)


def run_guarded(run: Callable[[], int], *, interrupted: str) -> int:
    """Call ``run``; expected failures become ``error: ...`` lines on stderr and their exit code, never a traceback.

    SIGTERM (what CodeBuild sends on "Stop build", and `timeout`) unwinds like Ctrl-C: atomic writes put outputs
    back and temp files are removed. ``interrupted`` says what is true after an interruption unless the run
    raised Interrupted with its own account. ``--log-level DEBUG`` still shows the traceback (logged first).
    """
    import logging
    import signal
    import sys
    import threading


    in_main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _on_sigterm) if in_main else None
    try:
        return run()
    except MonitorError as exc:
        logging.getLogger("pipelines").debug("failure", exc_info=True)
        lines = [*exc.problems, f"{len(exc.problems)} problem(s) in the generated parameters; nothing was written"] \
            if isinstance(exc, ValidationError) and exc.context else [str(exc)]
        for line in lines:  # a value quoted from a file may hold a newline or an ANSI escape: one line, shown escaped
            print(f"error: {printable(line)}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt as exc:
        terminated = isinstance(exc, _Terminated) or isinstance(exc.__context__, _Terminated)
        what = "terminated (SIGTERM)" if terminated else "interrupted"
        print(f"error: {what}; {str(exc) or interrupted}", file=sys.stderr)
        return 128 + signal.SIGTERM if terminated else EXIT_INTERRUPTED
    finally:
        if in_main:
            signal.signal(signal.SIGTERM, previous)
