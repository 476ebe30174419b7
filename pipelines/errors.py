"""The project's exceptions. Only the CLI layer turns them into a one-line message and an exit code."""

from __future__ import annotations

from typing import Any, Callable

EXIT_OK = 0
EXIT_RUNTIME = 1  # AWS or runtime failure
EXIT_USAGE = 2  # usage, configuration or validation problem
EXIT_VIOLATIONS = 3  # report --fail-on-violations found violations
EXIT_NOTHING_READ = 4  # report --fail-on-violations could read nothing: no schedule status and no violations file
EXIT_INTERRUPTED = 130  # Ctrl-C (SIGINT); SIGTERM (CodeBuild's stop) exits 128 + 15 = 143


class MonitorError(Exception):
    """When anything expected goes wrong; the message is one line that names the problem and the fix."""

    exit_code = EXIT_RUNTIME


class UsageError(MonitorError):
    """When a flag, an environment variable or a combination of them is wrong."""

    exit_code = EXIT_USAGE


class ConfigError(MonitorError):
    """When a stage config file cannot be read or holds something the template does not accept."""

    exit_code = EXIT_USAGE


class ValidationError(MonitorError):
    """When generated template parameters would be rejected by CloudFormation; carries every problem found."""

    exit_code = EXIT_USAGE

    def __init__(self, problems: list[str], context: str = "") -> None:
        self.problems = list(problems)
        self.context = context
        head = f"{context}: " if context else ""
        super().__init__(head + "; ".join(self.problems))


class StrictModeError(MonitorError):
    """When --strict is set and a monitor would otherwise be disabled with a warning."""

    exit_code = EXIT_USAGE


class AwsError(MonitorError):
    """When an AWS call fails; the message names the resource, the API call and the IAM action needed.

    ``operation`` is the API call, ``code`` and ``status`` AWS's error code and HTTP status (empty and 0 when no
    answer came back), ``detail`` AWS's own error message: callers decide on these, never on botocore's exception.
    """

    exit_code = EXIT_RUNTIME

    def __init__(self, message: str, *, operation: str = "", code: str = "", status: int = 0,
                 detail: str = "") -> None:
        super().__init__(message)
        self.operation, self.code, self.status, self.detail = operation, code, status, detail


class EndpointError(MonitorError):
    """When a stage's endpoint cannot be planned for as it is (creating, rolling back, failed, serverless)."""

    exit_code = EXIT_RUNTIME


class NotFoundError(AwsError):
    """When a model package, endpoint or S3 object the run needs does not exist."""

    exit_code = EXIT_RUNTIME


class OutputError(MonitorError):
    """When an output file cannot be written (missing directory, no permission)."""

    exit_code = EXIT_USAGE


class Interrupted(KeyboardInterrupt):
    """When a run is stopped after it changed something; the message says what was already written."""


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

    from utils import printable

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
