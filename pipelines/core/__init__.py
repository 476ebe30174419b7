"""Shared core: the AWS boundary, errors, the command runner, files, S3 URIs, monitors and stages, stage parameters,
the clock. Imports nothing from the formats layer or the tool wings."""
