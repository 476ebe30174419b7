#!/usr/bin/env python3
"""Write the CloudFormation parameter files for Model Monitor on each stage's endpoint (default: staging and prod).

Reads the latest approved model package (or a pinned one) from the SageMaker Model Registry, takes its
DriftCheckBaselines, merges them with the per-stage JSON configs and writes, per stage, a CodePipeline
template-configuration file plus `aws cloudformation deploy` parameter-override and tag files.
"""

from __future__ import annotations

import argparse
import sys

from pipelines.__version__ import __version__
from pipelines.core.command import env_argument, parse_with_env, run_command

EPILOG = """\
example (CodeBuild sets the four environment variables instead of the first four flags):
  python get_baselines_and_configs.py \\
    --model-monitor-role arn:aws:iam::123456789012:role/fraud-model-monitor \\
    --sagemaker-project-name fraud-detect --sagemaker-project-id p-abc123 \\
    --monitor-outputs-bucket fraud-monitor-outputs-123456789012 --dry-run

exit codes: 0 ok, 2 usage/config/validation problem, 1 AWS or runtime failure, 130 Ctrl-C, 143 SIGTERM.
Region, credentials and endpoint come from the standard AWS chain (AWS_REGION, AWS_PROFILE, AWS_ENDPOINT_URL).
"""


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Parse flags; the four CodeBuild sets may come from environment variables instead (utils.env_argument:
    the same pattern as the day-2 tools; build_options says when one is missing)."""
    parser = argparse.ArgumentParser(
        prog="get_baselines_and_configs.py", description=__doc__.split("\n\n")[0],
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    add = parser.add_argument
    env_argument(parser, "--model-monitor-role", "MODEL_MONITOR_ROLE_ARN", metavar="ARN",
                 help="IAM role ARN the monitoring jobs run as [env MODEL_MONITOR_ROLE_ARN]")
    env_argument(parser, "--sagemaker-project-name", "SAGEMAKER_PROJECT_NAME", metavar="NAME",
                 help="SageMaker project name; endpoints are <name>-<stage> "
                      "[env SAGEMAKER_PROJECT_NAME]")
    env_argument(parser, "--sagemaker-project-id", "SAGEMAKER_PROJECT_ID", metavar="ID",
                 help="SageMaker project id [env SAGEMAKER_PROJECT_ID]")
    env_argument(parser, "--monitor-outputs-bucket", "MONITOR_OUTPUTS_BUCKET", metavar="BUCKET",
                 help="bucket for monitor outputs, ground truth and derived baselines [env MONITOR_OUTPUTS_BUCKET]")
    env_argument(parser, "--stages", "STAGES", metavar="A,B,...",
                 help="the stages to plan, in order; each is a <stage>-monitoring-schedule-config.json and the "
                      "endpoint <project-name>-<stage> (default: staging,prod) [env STAGES]")
    add("--import-config", action="append", metavar="STAGE=PATH",
        help="a stage's config file (default: <stage>-monitoring-schedule-config.json); repeatable")
    add("--export-config", action="append", metavar="STAGE=PATH",
        help="a stage's output (default: <stage>-config-export.json); .parameter-overrides.json and .tags.json are "
             "written next to it; repeatable")
    add("--import-staging-config", metavar="PATH", help="same as --import-config staging=PATH")
    add("--import-prod-config", metavar="PATH", help="same as --import-config prod=PATH")
    add("--export-staging-config", metavar="PATH", help="same as --export-config staging=PATH")
    add("--export-prod-config", metavar="PATH", help="same as --export-config prod=PATH")
    add("--model-package-group-name", metavar="NAME",
        help="model package group (default: <project-name>-<project-id>, the SageMaker Projects convention)")
    add("--model-package-arn", metavar="ARN", help="pin this model package version instead of the latest approved")
    add("--baseline-source", choices=["registry", "endpoint"], default="registry",
        help="registry: latest approved (or pinned) package for both stages; endpoint: the package each stage's "
             "endpoint runs (default: %(default)s)")
    add("--sagemaker-project-arn", metavar="ARN", help="optional: add this project's tags to both stacks")
    add("--template-file", "--template", metavar="PATH",
        help="template whose Parameters the output is validated against (default: model-monitor-template.yml in "
             "the current folder, else the copy installed with the package)")
    add("--model-monitor-image-uri", metavar="URI", help="override the Model Monitor analyzer image for the region")
    add("--clarify-image-uri", metavar="URI", help="override the SageMaker Clarify image for the region")
    add("--dry-run", action="store_true",
        help="no writes to AWS: print the plan; the local parameter files are still written for inspection")
    add("--strict", action="store_true",
        help="fail (exit 2, nothing written) instead of disabling a monitor whose baseline or endpoint is missing")
    add("--log-level", default="WARNING", choices=["DEBUG", "INFO", "WARNING", "ERROR"],
        help="logging level; DEBUG also shows tracebacks (default: %(default)s)")
    add("--version", action="version", version=f"%(prog)s {__version__}")
    return parse_with_env(parser, argv)


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; returns the exit code."""
    return run_command(argv, parse_args, _run, interrupted="nothing was written")


def _run(args: argparse.Namespace) -> int:
    from pipelines.deploy import cli  # imported after parsing: --help and usage errors never load boto3

    return cli.run_from_args(vars(args))


if __name__ == "__main__":
    sys.exit(main())
