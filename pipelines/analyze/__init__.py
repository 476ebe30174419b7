"""Our own analyzer, compatible with SageMaker Model Monitor's formats: data quality, model quality, and an estimate
of fraud recall before labels arrive. Runs on a laptop, in CI, and as a custom monitoring container.

Needs numpy (the ``analyzer`` extra); the deployment CLI (get_baselines_and_configs.py) never imports this package.
Module per concern: sources (local/S3), capture (Data Capture records), kll (sketch + Deequ distances), stats
(window statistics), checks (data quality), metrics + model_quality (labels), estimate (CBPE), commands (the three
analyses), container (the bring-your-own-container entrypoint), __main__ (the CLI).
"""
