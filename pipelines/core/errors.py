"""The project's exceptions. Only the CLI layer turns them into a one-line message and an exit code."""

from __future__ import annotations

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


class NoDataError(UsageError):
    """When a window has nothing to analyse: no captured record, no ground truth file, or no captured record with a
    label. The CLI prints it as any usage error; the analyzer container prefixes its message file with ``NoData: ``
    so that the processing engine's state machines tell "nothing to analyse yet" from a failure (issue 18)."""


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
    """When a model package, endpoint or S3 object the run needs does not exist.

    ``missing`` says what: "object" (an S3 key), "bucket" or "resource" (anything else). core/aws.py decides it
    from AWS's error code, in one place; callers read ``missing``, never the code.
    """

    exit_code = EXIT_RUNTIME

    def __init__(self, message: str, *, missing: str = "resource", **facts: object) -> None:
        super().__init__(message, **facts)  # type: ignore[arg-type]
        self.missing = missing


class OutputError(MonitorError):
    """When an output file cannot be written (missing directory, no permission)."""

    exit_code = EXIT_USAGE


class Interrupted(KeyboardInterrupt):
    """When a run is stopped after it changed something; the message says what was already written."""
