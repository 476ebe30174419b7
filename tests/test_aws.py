"""pipelines.core.aws: the one AWS boundary. Errors carry code, status and operation; listings use botocore's paginators;
S3 bodies are read through one helper that retries a read that breaks after the GET succeeded.

Body faults are injected below botocore's StreamingBody (tests/support/reliability.py BrokenStream raises what
urllib3 raises), so botocore's own conversion to ReadTimeoutError / ResponseStreamingError / IncompleteReadError runs.
"""

from __future__ import annotations

import pytest

from devtools.seed import OUTPUTS_BUCKET as BUCKET  # the bucket the shared s3 fixture creates
from pipelines.core import aws
from pipelines.core.errors import AwsError, NotFoundError
from tests.support.reliability import break_bodies

KEY = "captures/2026/11/27/10/events.jsonl"
URI = f"s3://{BUCKET}/{KEY}"
LINES = [b'{"eventId": "%d"}' % i for i in range(200)]
BODY = b"\n".join(LINES) + b"\n"
FAULTS = ["read-timeout", "connection-broken", "eof"]
ERROR_NAMES = {"read-timeout": "ReadTimeoutError", "connection-broken": "ResponseStreamingError",
               "eof": "IncompleteReadError"}


@pytest.fixture(autouse=True)
def _no_waiting(no_backoff):
    """Every test here retries; none waits."""


@pytest.fixture
def stored(s3):
    s3.put_object(Bucket=BUCKET, Key=KEY, Body=BODY)
    return s3


@pytest.mark.parametrize("fault", FAULTS)
def test_a_whole_body_read_that_breaks_on_every_attempt_but_the_last_returns_the_exact_bytes(stored, fault):
    requests = break_bodies(stored, aws.MAX_ATTEMPTS - 1, fault, good=100)

    assert aws.read_object(stored, BUCKET, KEY) == BODY
    assert len(requests) == aws.MAX_ATTEMPTS


@pytest.mark.parametrize("fault", FAULTS)
def test_a_body_read_that_always_breaks_fails_after_exactly_max_attempts_naming_the_object(stored, fault):
    requests = break_bodies(stored, 99, fault, good=100)

    with pytest.raises(AwsError) as caught:
        aws.read_object(stored, BUCKET, KEY)

    assert str(caught.value) == (f"could not reach AWS for s3:GetObject on {URI} after {aws.MAX_ATTEMPTS} attempts "
                                 f"({ERROR_NAMES[fault]}); check the network or AWS_ENDPOINT_URL and rerun")
    assert (caught.value.operation, caught.value.code, caught.value.status) == ("GetObject", "", 0)
    assert len(requests) == aws.MAX_ATTEMPTS


@pytest.mark.parametrize("fault", FAULTS)
def test_a_streamed_read_resumes_after_the_bytes_already_received_with_a_ranged_get_of_the_same_version(stored,
                                                                                                      fault):
    etag = stored.head_object(Bucket=BUCKET, Key=KEY)["ETag"]
    requests = break_bodies(stored, 2, fault, good=1000)

    assert list(aws.iter_object_lines(stored, BUCKET, KEY, chunk_size=64)) == LINES
    headers = [request["headers"] for request in requests]
    assert [(h.get("Range"), h.get("If-Match")) for h in headers] == [
        (None, None), ("bytes=1000-", etag), ("bytes=2000-", etag)]


def test_a_streamed_read_that_always_breaks_fails_after_exactly_max_attempts(stored):
    requests = break_bodies(stored, 99, "read-timeout", good=10)

    with pytest.raises(AwsError, match=rf"^could not reach AWS for s3:GetObject on {URI} after "
                                       rf"{aws.MAX_ATTEMPTS} attempts \(ReadTimeoutError\)"):
        list(aws.iter_object_lines(stored, BUCKET, KEY))
    assert len(requests) == aws.MAX_ATTEMPTS


def test_streamed_lines_are_exactly_what_botocores_iter_lines_gives_whatever_the_chunk_size(s3):
    body = b"a\r\nb\n\nc\rd\r\n\r\nlast-without-newline"
    s3.put_object(Bucket=BUCKET, Key=KEY, Body=body)
    expected = list(s3.get_object(Bucket=BUCKET, Key=KEY)["Body"].iter_lines(chunk_size=3))

    for size in (1, 2, 3, 5, 1024):
        assert list(aws.iter_object_lines(s3, BUCKET, KEY, chunk_size=size)) == expected


def test_an_object_changed_between_two_ranged_reads_fails_instead_of_mixing_versions(stored):
    edit_calls: list[int] = []

    def overwrite_after_first_get(**_):
        edit_calls.append(1)
        if len(edit_calls) == 1:
            stored.put_object(Bucket=BUCKET, Key=KEY, Body=b"new\n")

    break_bodies(stored, 1, "read-timeout", good=10)
    stored.meta.events.register("after-call.s3.GetObject", overwrite_after_first_get)

    with pytest.raises(AwsError) as caught:
        list(aws.iter_object_lines(stored, BUCKET, KEY))
    assert (caught.value.code, caught.value.status) == ("PreconditionFailed", 412)


def test_a_missing_object_is_a_not_found_error_carrying_code_status_and_operation(s3):
    with pytest.raises(NotFoundError) as caught:
        aws.read_object(s3, BUCKET, "no/such/key")

    assert (caught.value.operation, caught.value.code, caught.value.status) == ("GetObject", "NoSuchKey", 404)
    assert caught.value.detail == "The specified key does not exist."


def test_paginate_returns_every_page_through_botocores_paginator(s3):
    for i in range(5):
        s3.put_object(Bucket=BUCKET, Key=f"p/{i}", Body=b"x")

    pages = list(aws.paginate(s3, "ListObjectsV2", f"s3://{BUCKET}/p/", Bucket=BUCKET, Prefix="p/",
                              PaginationConfig={"PageSize": 2}))

    assert [[o["Key"] for o in page.get("Contents", [])] for page in pages] == [["p/0", "p/1"], ["p/2", "p/3"], ["p/4"]]


def test_a_listing_failure_is_one_aws_error_line(s3):
    with pytest.raises(NotFoundError) as caught:
        list(aws.paginate(s3, "ListObjectsV2", "s3://no-such-bucket-here/", Bucket="no-such-bucket-here"))

    assert str(caught.value) == (
        "s3:ListObjectsV2 on s3://no-such-bucket-here/ failed: NoSuchBucket (The specified bucket does not exist); "
        "check that it exists and that the run's region is right (IAM action s3:ListBucket)")
    assert (caught.value.code, caught.value.status) == ("NoSuchBucket", 404)


def test_no_module_but_aws_catches_a_botocore_exception():
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    offenders = [str(path.relative_to(root)) for path in [*root.glob("pipelines/**/*.py"), root / "utils.py",
                                                           root / "get_baselines_and_configs.py"]
                 if path.name != "aws.py" and any(word in path.read_text() for word in
                                                  ("botocore.exceptions", "ClientError", "BotoCoreError"))]
    assert offenders == []
