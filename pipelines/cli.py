"""Glue between parsed flags and a run: build options and AWS clients, run, print the plan and warnings."""

from __future__ import annotations

import sys
from typing import Any

from pipelines import aws
from pipelines.errors import EXIT_OK, AwsError
from pipelines.options import build_options
from pipelines.outputs import render_plan
from pipelines.run import run
from utils import printable


def run_from_args(values: dict[str, Any]) -> int:
    """Build RunOptions and clients from the standard AWS chain, run, print; returns the exit code."""
    options = build_options(values)
    session = aws.make_session()
    region = session.region_name
    if not region:
        raise AwsError("no AWS region configured; set AWS_REGION (or AWS_DEFAULT_REGION) or use a profile with one")
    sm = aws.make_client(session, "sagemaker")
    s3 = aws.make_client(session, "s3")
    result = run(options, sm, s3, region)
    for warning in [*result.warnings, *(w for plan in result.plans for w in plan.warnings)]:
        print(f"warning: {printable(warning)}", file=sys.stderr)
    sys.stdout.write(render_plan(result, options.project_name, options.bucket))
    return EXIT_OK
