"""The report wing: ``python -m pipelines.report`` (latest executions, violations, recall windows, alarm checks)."""

from pipelines.report.cli import main, parse_args

__all__ = ["main", "parse_args"]
