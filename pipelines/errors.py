"""The project's exceptions. Only the CLI layer turns them into a one-line message and an exit code."""

from __future__ import annotations

from typing import Callable

EXIT_OK = 0
EXIT_RUNTIME = 1  # AWS or runtime failure
EXIT_USAGE = 2  # usage, configuration or validation problem
EXIT_VIOLATIONS = 3  # report --fail-on-violations found violations


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
    """When an AWS call fails; the message names the resource, the API call and the IAM action needed."""

    exit_code = EXIT_RUNTIME


class NotFoundError(MonitorError):
    """When a model package, endpoint or S3 object the run needs does not exist."""

    exit_code = EXIT_RUNTIME


class OutputError(MonitorError):
    """When an output file cannot be written (missing directory, no permission)."""

    exit_code = EXIT_USAGE


def run_guarded(run: Callable[[], int], *, interrupted: str) -> int:
    """Call ``run``; expected failures become ``error: ...`` lines on stderr and their exit code, never a traceback.

    ``--log-level DEBUG`` still shows the traceback (logged before the one-line message).
    """
    import logging
    import sys

    from utils import printable

    try:
        return run()
    except MonitorError as exc:
        logging.getLogger("pipelines").debug("failure", exc_info=True)
        lines = [*exc.problems, f"{len(exc.problems)} problem(s) in the generated parameters; nothing was written"] \
            if isinstance(exc, ValidationError) and exc.context else [str(exc)]
        for line in lines:  # a value quoted from a file may hold a newline or an ANSI escape: one line, shown escaped
            print(f"error: {printable(line)}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print(f"error: interrupted; {interrupted}", file=sys.stderr)
        return 130
