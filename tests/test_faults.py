"""Faults injected through botocore's event system: transient ones are survived within the retry budget,
permanent ones end the run with one line naming the resource, the API call and the IAM action, and after any
failure at any point the existing output files are byte-identical and S3 holds no partial derived file."""

from __future__ import annotations

import errno
import os

import pytest

from pipelines.core.aws import MAX_ATTEMPTS
from tests.support.reliability import UNAPPROVED_GROUP, Fault, broken_bodies, complete_derived_files, s3_state

ARTIFACTS = "s3://sagemaker-project-p-abc123/model-build/v3/baselines"
GROUP = "fraud-detect-p-abc123"
PACKAGE = f"arn:aws:sagemaker:us-east-1:123456789012:model-package/{GROUP}/3"
DERIVED_BIAS = ("s3://fraud-monitor-outputs-123456789012/derived-baselines/fraud-detect-p-abc123/3/model-bias/"
                "constraints-aec50ed4d777b22a.json")


def assert_unchanged(ws, before_files, registry, before_s3) -> None:
    assert ws.files() == before_files
    complete_derived_files(registry.s3, before_s3, s3_state(registry.s3))


def test_every_client_a_run_builds_uses_standard_retries_with_bounded_attempts_and_timeouts(registry, ws,
                                                                                             monkeypatch):
    from pipelines.core import aws

    built = []
    original = aws.make_client
    monkeypatch.setattr(aws, "make_client", lambda session, service: built.append(original(session, service))
                        or built[-1])
    assert ws.run().code == 0
    assert sorted(c.meta.service_model.service_name for c in built) == ["s3", "sagemaker"]
    for client in built:
        config = client.meta.config
        assert (config.retries, config.connect_timeout, config.read_timeout) == (
            {"mode": "standard", "total_max_attempts": MAX_ATTEMPTS}, 5, 30)


# ------------------------------------------------------------------------------------------ transient: survived
TRANSIENT = [
    ("sagemaker.ListModelPackages", "throttling"),
    ("sagemaker.DescribeModelPackage", "500"),
    ("sagemaker.DescribeEndpoint", "503"),
    ("sagemaker.DescribeEndpointConfig", "connection"),
    ("sagemaker.DescribeModel", "read-timeout"),
    ("s3.GetObject", "throttling"),
    ("s3.GetObject", "500"),
    ("s3.GetObject", "read-timeout"),
    ("s3.ListObjectsV2", "503"),
    ("s3.PutObject", "connection-reset"),
    ("s3.PutObject", "500"),
]


@pytest.mark.parametrize(("operation", "kind"), TRANSIENT, ids=[f"{op}-{kind}" for op, kind in TRANSIENT])
def test_a_transient_fault_on_every_attempt_but_the_last_is_survived_with_the_same_output(
        registry, ws, calls, operation, kind):
    calls.faults.append(Fault(operation, kind, times=MAX_ATTEMPTS - 1))
    result = ws.run()
    assert (result.code, result.err) == (0, ""), result.err
    # the faulted call took exactly the whole budget; every other call of that operation went through first time
    assert calls.count(operation, attempts=True) == calls.count(operation) + MAX_ATTEMPTS - 1
    rerun = ws.run()
    assert rerun.code == 0
    assert "Wrote 0 local file(s), 6 unchanged." in rerun.out.splitlines()


def test_sporadic_faults_on_many_calls_are_all_survived(registry, ws, calls):
    calls.faults += [Fault("s3.GetObject", "throttling", times=2, first=3),
                     Fault("sagemaker.DescribeEndpoint", "503", times=1, first=2),
                     Fault("s3.GetObject", "read-timeout", times=3, first=8),
                     Fault("s3.PutObject", "connection", times=1, first=1)]
    result = ws.run()
    assert (result.code, result.err) == (0, "")
    assert len(calls.attempts) == len(calls.calls) + 2 + 1 + 3 + 1


def test_a_put_whose_response_is_lost_is_retried_into_the_same_complete_object(registry, ws, calls):
    """S3 stored the object but the answer timed out: the retry writes the same bytes to the same key."""
    before = s3_state(registry.s3)
    calls.lost["s3.PutObject"] = 2
    result = ws.run()
    assert (result.code, result.err) == (0, "")
    assert calls.count("s3.PutObject", attempts=True) == calls.count("s3.PutObject") + 2
    assert len(complete_derived_files(registry.s3, before, s3_state(registry.s3))) == 5
    calls.calls.clear()
    assert ws.run().code == 0
    assert calls.count("s3.PutObject") == 0


# ------------------------------------------------------------------------------- transient: budget exhausted
EXHAUSTED = [
    ("sagemaker.ListModelPackages", "throttling",
     f"error: sagemaker:ListModelPackages on model package group '{GROUP}' failed: ThrottlingException: "
     "Rate exceeded (IAM action sagemaker:ListModelPackages)"),
    ("sagemaker.DescribeEndpoint", "500",
     "error: sagemaker:DescribeEndpoint on endpoint 'fraud-detect-staging' failed: InternalFailure: "
     "We encountered an internal error. Please try again. (IAM action sagemaker:DescribeEndpoint)"),
    ("s3.GetObject", "503",
     f"error: s3:GetObject on {ARTIFACTS}/data-quality/statistics.json failed: ServiceUnavailable: "
     "Service is unavailable. Please try again. (IAM action s3:GetObject)"),
    ("sagemaker.DescribeModelPackage", "connection",
     f"error: could not reach AWS for sagemaker:DescribeModelPackage on model package '{PACKAGE}' after "
     f"{MAX_ATTEMPTS} attempts (EndpointConnectionError); check the network or AWS_ENDPOINT_URL and rerun"),
    ("s3.PutObject", "read-timeout",
     f"error: could not reach AWS for s3:PutObject on {DERIVED_BIAS} after {MAX_ATTEMPTS} attempts "
     "(ReadTimeoutError); check the network or AWS_ENDPOINT_URL and rerun"),
]


@pytest.mark.parametrize(("operation", "kind", "message"), EXHAUSTED, ids=[f"{o}-{k}" for o, k, _ in EXHAUSTED])
def test_a_fault_that_outlasts_the_retry_budget_fails_after_exactly_max_attempts_and_writes_nothing(
        registry, ws, calls, operation, kind, message):
    before_files, before_s3 = ws.seed_old_outputs(), s3_state(registry.s3)
    calls.faults.append(Fault(operation, kind))
    result = ws.run()
    assert (result.code, result.out, result.err) == (1, "", message + "\n")
    assert calls.count(operation, attempts=True) == MAX_ATTEMPTS
    assert calls.count(operation) == 1
    assert_unchanged(ws, before_files, registry, before_s3)


# ------------------------------------------------------------------- transient: an S3 body that breaks mid-read
@pytest.mark.parametrize("fault", ["read-timeout", "connection-broken", "eof"])
def test_a_baseline_body_that_breaks_while_being_read_is_read_again_with_the_same_output(registry, ws, calls, fault):
    ws.run("--dry-run")
    reference = ws.run("--dry-run")  # the second run: what a rerun prints ("6 unchanged")
    calls.calls.clear()
    calls.edits["s3.GetObject"] = broken_bodies(MAX_ATTEMPTS - 1, fault, good=10)
    result = ws.run("--dry-run")
    assert (result.code, result.out, result.err) == (reference.code, reference.out, reference.err)
    # the nine baseline objects and the two stages' (absent) label development curves read once, plus retries
    assert calls.count("s3.GetObject") == 11 + MAX_ATTEMPTS - 1


def test_a_baseline_body_that_always_times_out_says_after_max_attempts_after_exactly_that_many(registry, ws, calls):
    calls.edits["s3.GetObject"] = broken_bodies(99, "read-timeout", good=10)
    result = ws.run()
    assert (result.code, result.out, result.err) == (
        1, "", f"error: could not reach AWS for s3:GetObject on {ARTIFACTS}/data-quality/statistics.json after "
               f"{MAX_ATTEMPTS} attempts (ReadTimeoutError); check the network or AWS_ENDPOINT_URL and rerun\n")
    assert calls.count("s3.GetObject") == MAX_ATTEMPTS


# --------------------------------------------------------------------------------------- permanent: one line
PERMANENT = [
    ("sagemaker.ListModelPackages", "access-denied",
     f"error: access denied: sagemaker:ListModelPackages on model package group '{GROUP}'; "
     "grant sagemaker:ListModelPackages to the role running this build"),
    ("sagemaker.DescribeModelPackage", "expired-token",
     f"error: AWS credentials rejected (ExpiredTokenException) calling sagemaker:DescribeModelPackage on model "
     f"package '{PACKAGE}' (IAM action sagemaker:DescribeModelPackage); refresh the credentials (aws sso login, "
     "or new session keys) and rerun"),
    ("sagemaker.DescribeModelPackage", "validation",
     f"error: sagemaker:DescribeModelPackage on model package '{PACKAGE}' failed: ValidationException: "
     "1 validation error detected (IAM action sagemaker:DescribeModelPackage)"),
    ("sagemaker.DescribeEndpoint", "access-denied",
     "error: access denied: sagemaker:DescribeEndpoint on endpoint 'fraud-detect-staging'; "
     "grant sagemaker:DescribeEndpoint to the role running this build"),
    ("sagemaker.DescribeEndpointConfig", "access-denied",
     "error: access denied: sagemaker:DescribeEndpointConfig on endpoint config 'fraud-detect-staging-config-v3'; "
     "grant sagemaker:DescribeEndpointConfig to the role running this build"),
    ("sagemaker.DescribeModel", "expired-token",
     "error: AWS credentials rejected (ExpiredTokenException) calling sagemaker:DescribeModel on model "
     "'fraud-detect-staging-v3' (IAM action sagemaker:DescribeModel); refresh the credentials (aws sso login, "
     "or new session keys) and rerun"),
    ("s3.GetObject", "access-denied",
     f"error: access denied: s3:GetObject on {ARTIFACTS}/data-quality/statistics.json; "
     "grant s3:GetObject to the role running this build"),
    ("s3.GetObject", "expired-token",
     f"error: AWS credentials rejected (ExpiredToken) calling s3:GetObject on {ARTIFACTS}/data-quality/"
     "statistics.json (IAM action s3:GetObject); refresh the credentials (aws sso login, or new session keys) "
     "and rerun"),
    ("s3.GetObject", "validation",
     f"error: s3:GetObject on {ARTIFACTS}/data-quality/statistics.json failed: InvalidArgument: "
     "1 validation error detected (IAM action s3:GetObject)"),
    ("s3.PutObject", "access-denied",
     f"error: access denied: s3:PutObject on {DERIVED_BIAS}; grant s3:PutObject to the role running this build"),
    ("s3.PutObject", "no-such-bucket",
     f"error: s3:PutObject on {DERIVED_BIAS} failed: NoSuchBucket (The specified bucket does not exist); check "
     "that it exists and that the run's region is right (IAM action s3:PutObject)"),
    ("s3.PutObject", "no-such-key",
     f"error: s3:PutObject on {DERIVED_BIAS} failed: NoSuchKey (The specified key does not exist.); check "
     "that it exists and that the run's region is right (IAM action s3:PutObject)"),
    ("s3.PutObject", "expired-token",
     f"error: AWS credentials rejected (ExpiredToken) calling s3:PutObject on {DERIVED_BIAS} (IAM action "
     "s3:PutObject); refresh the credentials (aws sso login, or new session keys) and rerun"),
]


@pytest.mark.parametrize(("operation", "kind", "message"), PERMANENT, ids=[f"{o}-{k}" for o, k, _ in PERMANENT])
def test_a_permanent_error_is_one_line_naming_resource_call_and_iam_action_without_retries(
        registry, ws, calls, operation, kind, message):
    before_files, before_s3 = ws.seed_old_outputs(), s3_state(registry.s3)
    calls.faults.append(Fault(operation, kind))
    result = ws.run()
    assert (result.code, result.out, result.err) == (1, "", message + "\n")
    assert calls.count(operation, attempts=True) == 1
    assert_unchanged(ws, before_files, registry, before_s3)


def test_a_missing_baseline_object_is_a_preflight_finding_not_a_crash(registry, ws, calls):
    """NoSuchKey on a baseline disables the monitor that needs it (the pre-flight rule); --strict makes it exit 2."""
    calls.faults.append(Fault("s3.GetObject", "no-such-key", times=1))
    result = ws.run()
    assert result.code == 0
    assert result.err == (f"warning: staging: data quality monitor disabled: {ARTIFACTS}/data-quality/"
                          "statistics.json does not exist\n"
                          f"warning: prod: data quality monitor disabled: {ARTIFACTS}/data-quality/"
                          "statistics.json does not exist\n")
    # read once each, the missing one too (not again for prod); DQ constraints are not read once DQ is off; plus
    # each stage's (absent) label development curve
    assert calls.count("s3.GetObject", attempts=True) == 10


def test_no_approved_package_with_a_failing_count_call_is_still_one_line(registry, ws, calls):
    calls.faults.append(Fault("sagemaker.ListModelPackages", "access-denied", first=2))
    result = ws.run("--model-package-group-name", UNAPPROVED_GROUP)
    assert (result.code, result.out) == (1, "")
    assert result.err == (f"error: access denied: sagemaker:ListModelPackages on model package group "
                          f"'{UNAPPROVED_GROUP}'; grant sagemaker:ListModelPackages to the role running this build\n")


def test_no_approved_package_with_an_unreachable_group_call_is_still_one_line(registry, ws, calls):
    calls.faults.append(Fault("sagemaker.DescribeModelPackageGroup", "connection"))
    result = ws.run("--model-package-group-name", UNAPPROVED_GROUP)
    assert (result.code, result.out) == (1, "")
    assert result.err == (f"error: could not reach AWS for sagemaker:DescribeModelPackageGroup on model package "
                          f"group '{UNAPPROVED_GROUP}' after {MAX_ATTEMPTS} attempts (EndpointConnectionError); check the "
                          "network or AWS_ENDPOINT_URL and rerun\n")


# ------------------------------------------------------------------------------- any failure, at any point
@pytest.mark.slow
def test_a_failure_at_any_aws_call_leaves_outputs_byte_identical_and_no_partial_object_in_s3(
        registry, ws, calls):
    s3 = registry.s3
    pristine = s3_state(s3)
    reference_calls = _calls_of_a_clean_run(ws, calls, s3, pristine)
    assert len(reference_calls) >= 20
    for index, name in enumerate(reference_calls, start=1):
        before_files, before_s3 = ws.seed_old_outputs(), s3_state(s3)
        calls.calls.clear()
        calls.params.clear()
        calls.attempts.clear()
        calls.fail_call = index
        result = ws.run()
        if "ground-truth/" in str(calls.params[index - 1]):  # labels are outside the run's control: only a note
            assert result.code == 0
            assert ("  note: cannot check the ground truth prefix: access denied: s3:ListObjectsV2 on s3://"
                    "fraud-monitor-outputs-123456789012/ground-truth/fraud-detect-") in result.out
            _restore(s3, pristine)
            continue
        if "label-development/" in str(calls.params[index - 1]):  # label history unreadable: a warning
            assert result.code == 0
            assert "cannot read the label development curve s3://fraud-monitor-outputs-123456789012/label-" \
                   "development/fraud-detect-" in result.err
            _restore(s3, pristine)
            continue
        if name == "s3.GetBucketLifecycleConfiguration":  # capture retention unknown: a warning (--strict fails)
            assert result.code == 0
            assert "cannot read the lifecycle rules of the capture bucket fraud-monitor-outputs-123456789012 (access " \
                   "denied: s3:GetBucketLifecycleConfiguration" in result.err
            _restore(s3, pristine)
            continue
        assert (result.code, result.out) == (1, ""), (index, name, result)
        assert result.err.startswith("error: access denied: ") and result.err.count("\n") == 1, (index, name)
        assert calls.calls[-1] == name, (index, calls.calls)
        assert ws.files() == before_files, (index, name)
        added = complete_derived_files(s3, before_s3, s3_state(s3))
        assert len(added) == reference_calls[:index - 1].count("s3.PutObject"), (index, name)
        _restore(s3, pristine)


def _calls_of_a_clean_run(ws, calls, s3, pristine) -> list[str]:
    assert ws.run().code == 0
    sequence = list(calls.calls)
    _restore(s3, pristine)
    return sequence


def _restore(s3, pristine: dict[str, str]) -> None:
    for uri in set(s3_state(s3)) - set(pristine):
        bucket, key = uri[5:].split("/", 1)
        s3.delete_object(Bucket=bucket, Key=key)


# ------------------------------------------------------------------------------------ failing local writes
@pytest.mark.slow
def test_a_rename_failing_midway_rolls_back_every_output_already_replaced(registry, ws, monkeypatch):
    from pipelines.core import files as utils

    real_replace = os.replace
    for failing in range(1, 7):
        before = ws.seed_old_outputs()
        seen = []

        def replace(src, dst, *, _failing=failing, _seen=seen):
            _seen.append(dst)
            if len(_seen) == _failing:
                raise OSError(errno.EIO, "Input/output error", str(dst))
            return real_replace(src, dst)

        monkeypatch.setattr(utils.os, "replace", replace)
        result = ws.run()
        monkeypatch.setattr(utils.os, "replace", real_replace)
        assert result.code == 2, (failing, result)
        assert result.err == (f"error: cannot write {seen[failing - 1]}: Input/output error; check the export "
                              "paths (nothing was written)\n")
        assert ws.files() == before, failing


def test_a_full_disk_while_staging_the_files_leaves_outputs_and_no_temp_files(registry, ws, monkeypatch):
    from pipelines.core import files as utils

    before = ws.seed_old_outputs()
    real_fdopen = os.fdopen
    opened = []

    def fdopen(fd, *args, **kwargs):
        opened.append(fd)
        if len(opened) == 4:
            os.close(fd)
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_fdopen(fd, *args, **kwargs)

    monkeypatch.setattr(utils.os, "fdopen", fdopen)
    result = ws.run()
    assert result.code == 2
    assert result.err == (f"error: cannot write {ws.outputs()[3]}: No space left on device; check the export "
                          "paths (nothing was written)\n")
    assert ws.files() == before


def test_an_interrupt_while_renaming_leaves_every_output_byte_identical(registry, ws, monkeypatch):
    from pipelines.core import files as utils

    before = ws.seed_old_outputs()
    real_replace = os.replace
    count = []

    def replace(src, dst):
        count.append(dst)
        if len(count) == 3:
            raise KeyboardInterrupt
        return real_replace(src, dst)

    monkeypatch.setattr(utils.os, "replace", replace)
    result = ws.run()
    # the derived files were uploaded before the local writes began: the message says so (issue 11)
    assert (result.code, result.err) == (130, "error: interrupted; 5 derived file(s) had reached S3 (content-addressed, "
                                               "a rerun reuses them); no local file was written, rerun to write them\n")
    assert ws.files() == before
