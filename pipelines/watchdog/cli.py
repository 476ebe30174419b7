"""``python -m pipelines.watchdog``: one watchdog run from a shell (the Lambda runs the same rules hourly).

Example:
    python -m pipelines.watchdog --schedule-base-name fraud-detect-prod --label-maturity-days 90

Exit codes: 0 nothing to page, 3 pages (printed first, ``PAGE ...``), 2 usage, 1 AWS/runtime.
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from typing import Any

from pipelines.core import aws
from pipelines.core.clock import utc_now
from pipelines.core.command import env_argument, parse_with_env, run_command
from pipelines.core.errors import EXIT_OK, EXIT_VIOLATIONS, UsageError
from pipelines.core.monitors import MONITORS, schedule_name
from pipelines.formats.times import parse_time_flag
from pipelines.watchdog import rules


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m pipelines.watchdog", description=__doc__.splitlines()[0])
    env_argument(parser, "--log-level", "LOG_LEVEL", default="WARNING", choices=("DEBUG", "INFO", "WARNING", "ERROR"),
                 help="(env LOG_LEVEL)")
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--schedule-base-name",
                       help="MonitoringScheduleBaseName: watch its four schedules and the matured one")
    which.add_argument("--schedules", help="comma-separated monitoring schedule names")
    parser.add_argument("--label-maturity-days", type=int, default=90, help="LabelMaturityDays (90)")
    parser.add_argument("--stage-traffic", choices=("continuous", "intermittent"), default="continuous",
                        help="intermittent: 'no data' failures are never pages (continuous)")
    parser.add_argument("--settle-hours", type=int, default=2, help="judge an execution this long after its hour (2)")
    parser.add_argument("--note-hour", type=int, default=8, help="UTC hour of the daily note (8)")
    parser.add_argument("--now", help="ISO-8601 time to judge at (default: the clock); replays a past hour")
    return parse_with_env(parser, argv)


def config_from_args(args: argparse.Namespace) -> rules.Config:
    if args.schedule_base_name:
        # the four monitors' schedules and the matured model quality one (issue 18; the template deploys it with
        # model quality on the Model Monitor engine, off NOW: elsewhere it is reported as not existing)
        names = tuple(schedule_name(args.schedule_base_name, monitor) for monitor in MONITORS) + (
            f"{args.schedule_base_name}-model-quality-matured",)
    else:
        names = tuple(n.strip() for n in args.schedules.split(",") if n.strip())
        if not names:
            raise UsageError("--schedules is empty; pass monitoring schedule names separated by commas")
    if args.label_maturity_days < 1 or args.settle_hours < 1 or not 0 <= args.note_hour <= 23:
        raise UsageError("--label-maturity-days and --settle-hours must be at least 1 and --note-hour 0-23")
    return rules.Config(schedules=names, label_maturity_days=args.label_maturity_days,
                        stage_traffic=args.stage_traffic, settle_hours=args.settle_hours, note_hour=args.note_hour)


def _now(text: str | None, now: datetime | None) -> datetime:
    return parse_time_flag(text, "--now") if text else (now or utc_now())


def run(args: argparse.Namespace, now: datetime | None = None, clients: Any = None) -> int:
    config = config_from_args(args)
    when = _now(args.now, now)
    if clients is None:
        session = aws.make_session()
        clients = (aws.make_client(session, "sagemaker"), aws.make_client(session, "s3"))
    s3 = clients[1]
    report = rules.check(clients[0], lambda bucket, key: aws.read_object(s3, bucket, key), config, when)
    for line in rules.render(report):
        print(line)
    print(f"watchdog at {when.strftime('%Y-%m-%dT%H:%MZ')}: {len(config.schedules)} schedule(s), "
          f"{len(report.pages)} page(s), {len(report.notes)} note(s)")
    return EXIT_VIOLATIONS if report.pages else EXIT_OK


def main(argv: list[str] | None = None, now: datetime | None = None, clients: Any = None) -> int:
    return run_command(argv, parse_args, lambda args: run(args, now, clients), interrupted="nothing was changed")


if __name__ == "__main__":
    sys.exit(main())
