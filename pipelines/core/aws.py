"""The one place AWS clients are built, AWS failures are worded, listings paginate and S3 bodies are read.

Every ``except`` of a botocore exception is in this module; the rest of the project sees AwsError (code, status,
operation) and its subclasses only.

Clients come from the standard AWS chain (AWS_REGION, AWS_PROFILE, AWS_ENDPOINT_URL, ...). Retries use botocore's
standard mode with a bounded number of attempts and bounded timeouts, so throttling and 5xx are survived without
hanging a CodeBuild stage.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from pipelines.core.errors import AwsError, MonitorError, NotFoundError, UsageError

if TYPE_CHECKING:  # typing only: costs nothing at run time
    import boto3

MAX_ATTEMPTS = 5
CONNECT_TIMEOUT = 5
READ_TIMEOUT = 30

# API operation -> IAM action, for messages that tell the user which permission is missing.
_SERVICE_PREFIX = {"sagemaker": "sagemaker", "s3": "s3", "sts": "sts", "cloudwatch": "cloudwatch",
                   "stepfunctions": "states"}
_S3_ACTIONS = {
    "GetObject": "s3:GetObject",
    "HeadObject": "s3:GetObject",
    "PutObject": "s3:PutObject",
    "ListObjectsV2": "s3:ListBucket",
    "HeadBucket": "s3:ListBucket",
    "DeleteObject": "s3:DeleteObject",
    "GetBucketLifecycleConfiguration": "s3:GetLifecycleConfiguration",
}
# The one not-found rule: AWS error code -> what does not exist. GetObject answers NoSuchKey / NoSuchBucket;
# HeadObject has no body, so botocore reports its bare HTTP status "404" (or "NotFound") as the code.
_MISSING = {"NoSuchKey": "object", "404": "object", "NotFound": "object", "NoSuchBucket": "bucket",
            "ResourceNotFound": "resource"}
_CREDENTIAL_CODES = {"ExpiredToken", "ExpiredTokenException", "InvalidClientTokenId", "UnrecognizedClientException",
                     "InvalidAccessKeyId", "SignatureDoesNotMatch", "RequestExpired"}


def make_session(profile: str | None = None, region: str | None = None) -> "boto3.session.Session":
    """A boto3 session from the standard chain (imports boto3 lazily); a broken AWS set-up is one UsageError.

    This botocore reads AWS_DEFAULT_REGION and the profile but not AWS_REGION (which CodeBuild and newer SDKs
    set), so AWS_REGION is honoured here explicitly; AWS_DEFAULT_REGION and the profile still apply without it.
    The region is read here, not at the first call, so an unknown AWS_PROFILE or a config file botocore cannot
    parse fails before anything else happens.
    """
    import os

    import boto3
    from botocore.exceptions import BotoCoreError

    try:
        session = boto3.session.Session(profile_name=profile,
                                        region_name=region or os.environ.get("AWS_REGION") or None)
        _ = session.region_name  # resolves the profile and parses the config files now
    except BotoCoreError as exc:
        raise configuration_error(exc) or AwsError(f"cannot set up AWS: {type(exc).__name__}: {exc}") from exc
    return session


def client_config() -> Any:
    """botocore Config shared by every client: standard retries, bounded attempts and timeouts."""
    from botocore.config import Config

    return Config(
        # total_max_attempts counts the first try; botocore's "max_attempts" key counts only retries (one more)
        retries={"mode": "standard", "total_max_attempts": MAX_ATTEMPTS},
        connect_timeout=CONNECT_TIMEOUT,
        read_timeout=READ_TIMEOUT,
    )


def make_client(session: Any, service: str) -> Any:
    """One client for ``service`` with the shared config; a malformed region or endpoint URL is one UsageError."""
    from botocore.exceptions import BotoCoreError

    try:
        return session.client(service, config=client_config())
    except (BotoCoreError, ValueError) as exc:  # botocore raises a bare ValueError for a malformed endpoint URL
        raise configuration_error(exc) or AwsError(f"cannot build the {service} client: {exc}") from exc


def configuration_error(exc: BaseException) -> UsageError | None:
    """The one-line UsageError for an AWS set-up mistake (profile, region, endpoint URL, config file), else None.

    The exception classes and their ``kwargs`` are botocore's (botocore/exceptions.py: ProfileNotFound{profile},
    InvalidRegionError{region_name}, ConfigParseError{path}); botocore/endpoint.py raises
    ``ValueError("Invalid endpoint: <url>")`` for an endpoint URL without a scheme and host.
    """
    from botocore.exceptions import ConfigParseError, InvalidRegionError, PartialCredentialsError, ProfileNotFound

    kwargs = getattr(exc, "kwargs", {})
    if isinstance(exc, ProfileNotFound):
        return UsageError(f"AWS profile '{kwargs.get('profile')}' (AWS_PROFILE) is not in the AWS config files; "
                          "set AWS_PROFILE to a profile of 'aws configure list-profiles' or unset it")
    if isinstance(exc, InvalidRegionError):
        return UsageError(f"AWS region '{kwargs.get('region_name')}' (AWS_REGION, AWS_DEFAULT_REGION or the "
                          "profile's region) is not a region name; use one such as us-east-1")
    if isinstance(exc, ConfigParseError):
        return UsageError(f"cannot parse the AWS config file {kwargs.get('path')} (AWS_CONFIG_FILE or "
                          "AWS_SHARED_CREDENTIALS_FILE); fix its [section] and key = value lines or point the "
                          "variable at a valid file")
    if isinstance(exc, PartialCredentialsError):
        return UsageError(f"AWS credentials are incomplete: {kwargs.get('cred_var')} is missing "
                          f"({kwargs.get('provider')}); set both AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY or neither")
    if isinstance(exc, ValueError) and str(exc).startswith("Invalid endpoint: "):
        url = str(exc)[len("Invalid endpoint: "):]
        return UsageError(f"AWS endpoint URL '{url}' (AWS_ENDPOINT_URL or the profile's endpoint_url) is not a URL; "
                          "use a full URL such as http://127.0.0.1:5000 or unset it")
    return None


def iam_action(service: str, operation: str) -> str:
    """The IAM action a call needs, e.g. ('s3', 'HeadObject') -> 's3:GetObject'."""
    if service == "s3":
        return _S3_ACTIONS.get(operation, f"s3:{operation}")
    return f"{_SERVICE_PREFIX.get(service, service)}:{operation}"


def describe_failure(exc: BaseException, *, service: str, operation: str, resource: str,
                     attempts: int = MAX_ATTEMPTS) -> MonitorError:
    """Turn a botocore/boto3 exception into one AwsError line naming resource, API call and IAM action (an AWS
    set-up mistake found only at the call, such as an unparsable credentials file, is a UsageError).

    The AwsError carries AWS's error code, HTTP status and message, so callers never look at botocore's exception.
    """
    from botocore.exceptions import (
        ClientError,
        NoCredentialsError,
        NoRegionError,
    )
    from botocore.exceptions import (
        ConnectionError as BotoConnectionError,
    )

    setup = configuration_error(exc)
    if setup is not None:
        return setup
    action = iam_action(service, operation)
    where = f"{service}:{operation} on {resource}"
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        code = str(error.get("Code", "Unknown"))
        detail = str(error.get("Message", ""))
        facts = {"operation": operation, "code": code, "detail": detail,
                 "status": int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)}
        message = " ".join(detail.split()) or code  # one line, whatever AWS sent
        needs = f"IAM action {action}"
        if code in ("AccessDenied", "AccessDeniedException", "403", "Forbidden"):
            return AwsError(f"access denied: {where}; grant {action} to the role running this build", **facts)
        if code in _CREDENTIAL_CODES:
            return AwsError(f"AWS credentials rejected ({code}) calling {where} ({needs}); refresh the credentials "
                            "(aws sso login, or new session keys) and rerun", **facts)
        if code in _MISSING:
            return NotFoundError(f"{where} failed: {code} ({message}); check that it exists and that the run's "
                                 f"region is right ({needs})", missing=_MISSING[code], **facts)
        return AwsError(f"{where} failed: {code}: {message} ({needs})", **facts)
    if isinstance(exc, NoCredentialsError):
        return AwsError(f"no AWS credentials found for {where}; set AWS_PROFILE or AWS_ACCESS_KEY_ID/"
                        "AWS_SECRET_ACCESS_KEY", operation=operation)
    if isinstance(exc, NoRegionError):
        return AwsError("no AWS region configured; set AWS_REGION (or AWS_DEFAULT_REGION) or pass a profile with one",
                        operation=operation)
    if isinstance(exc, (BotoConnectionError, *_transient_read_errors())):
        return AwsError(f"could not reach AWS for {where} after {attempts} attempts ({type(exc).__name__}); "
                        "check the network or AWS_ENDPOINT_URL and rerun", operation=operation)
    return AwsError(f"{where} failed: {type(exc).__name__}: {exc}", operation=operation)


def _snake_name(client: Any, operation: str) -> str:
    """The client method (or paginator) name of an API operation, e.g. 'ListObjectsV2' -> 'list_objects_v2'."""
    snake = next((name for name, api in client.meta.method_to_api_mapping.items() if api == operation), None)
    if snake is None:
        raise ValueError(f"{client.meta.service_model.service_name} has no operation {operation}")
    return snake


def call(client: Any, operation: str, resource: str, **kwargs: Any) -> Any:
    """Call ``client.<snake_case(operation)>(**kwargs)``; any botocore failure becomes one AwsError line."""
    from botocore.exceptions import BotoCoreError, ClientError

    service = client.meta.service_model.service_name
    snake = _snake_name(client, operation)
    try:
        return getattr(client, snake)(**kwargs)
    except (ClientError, BotoCoreError) as exc:
        raise describe_failure(exc, service=service, operation=operation, resource=resource) from exc


def paginate(client: Any, operation: str, resource: str, **kwargs: Any) -> Iterator[dict[str, Any]]:
    """Every page of a listing, through botocore's own paginator; any botocore failure becomes one AwsError line."""
    from botocore.exceptions import BotoCoreError, ClientError

    service = client.meta.service_model.service_name
    pages = client.get_paginator(_snake_name(client, operation)).paginate(**kwargs)
    try:
        yield from pages
    except (ClientError, BotoCoreError) as exc:
        raise describe_failure(exc, service=service, operation=operation, resource=resource) from exc


# ---- S3 object bodies ----------------------------------------------------------------------------------------------
# botocore retries a GetObject until its headers arrive; the body is read afterwards, outside its retry loop, so a
# timeout or a dropped connection while reading it (ReadTimeoutError, ResponseStreamingError, or IncompleteReadError
# when fewer bytes arrive than Content-Length says: botocore/response.py StreamingBody) would surface on the first
# occurrence. These helpers retry such reads with the same budget (MAX_ATTEMPTS in total) and backoff.


def _transient_read_errors() -> tuple[type[BaseException], ...]:
    """The botocore errors a body read can raise that another attempt may not (botocore/response.py)."""
    from botocore.exceptions import IncompleteReadError, ReadTimeoutError, ResponseStreamingError

    return ReadTimeoutError, ResponseStreamingError, IncompleteReadError


def _backoff(attempt: int) -> None:
    """Wait as botocore's standard retry mode would before attempt ``attempt + 1`` (its own backoff)."""
    import time

    from botocore.retries.standard import ExponentialBackoff, RetryContext

    time.sleep(ExponentialBackoff().delay_amount(RetryContext(attempt_number=attempt)))


def read_object(s3: Any, bucket: str, key: str) -> bytes:
    """The whole body of s3://bucket/key; a transient failure while reading it repeats the GET (bounded)."""
    uri = f"s3://{bucket}/{key}"
    for attempt in range(1, MAX_ATTEMPTS + 1):
        body = call(s3, "GetObject", uri, Bucket=bucket, Key=key)["Body"]
        try:
            return body.read()
        except _transient_read_errors() as exc:
            if attempt == MAX_ATTEMPTS:
                raise describe_failure(exc, service="s3", operation="GetObject", resource=uri) from exc
            _backoff(attempt)
        finally:
            body.close()
    raise AssertionError("unreachable")  # the loop returns or raises


def iter_object_lines(s3: Any, bucket: str, key: str, chunk_size: int = 64 * 1024) -> Iterator[bytes]:
    """The lines of s3://bucket/key without their line endings (as botocore's StreamingBody.iter_lines), streamed.

    A transient failure mid-stream resumes from the first byte not yet received with a ranged GET of the same
    object version (If-Match on its ETag), so a long file is neither re-read from the start nor read twice.
    """
    uri = f"s3://{bucket}/{key}"
    received, pending, etag, size, failures = 0, b"", None, None, 0
    while size is None or received < size:  # a failure after the last byte needs no ranged GET (it would be a 416)
        extra = {"Range": f"bytes={received}-", **({"IfMatch": etag} if etag else {})} if received else {}
        response = call(s3, "GetObject", uri, Bucket=bucket, Key=key, **extra)
        body = response["Body"]
        if size is None:
            etag, size = response.get("ETag"), response.get("ContentLength")
        try:
            for chunk in body.iter_chunks(chunk_size):
                received += len(chunk)
                lines = (pending + chunk).splitlines(True)  # botocore's iter_lines, chunk by chunk
                for line in lines[:-1]:
                    yield line.splitlines()[0]
                pending = lines[-1] if lines else b""
            break
        except _transient_read_errors() as exc:
            failures += 1
            if failures == MAX_ATTEMPTS:
                raise describe_failure(exc, service="s3", operation="GetObject", resource=uri) from exc
            _backoff(failures)
        finally:
            body.close()
    if pending:
        yield pending.splitlines()[0]


# ---- the S3 object store: every S3 listing, write and delete of the project (reads are above) ----------------------


def list_objects(s3: Any, bucket: str, prefix: str, *, delimiter: str | None = None) -> Iterator[dict[str, Any]]:
    """Every object under ``prefix`` (or, with a delimiter, every CommonPrefix), all pages of ListObjectsV2."""
    extra = {"Delimiter": delimiter} if delimiter else {}
    for page in paginate(s3, "ListObjectsV2", f"s3://{bucket}/{prefix}", Bucket=bucket, Prefix=prefix, **extra):
        yield from (page.get("CommonPrefixes", []) if delimiter else page.get("Contents", []))


def any_object(s3: Any, bucket: str, prefix: str) -> bool:
    """Whether anything lies under ``prefix``: one ListObjectsV2 request of at most one key."""
    response = call(s3, "ListObjectsV2", f"s3://{bucket}/{prefix}", Bucket=bucket, Prefix=prefix, MaxKeys=1)
    return bool(response.get("KeyCount"))


def put_object(s3: Any, bucket: str, key: str, body: bytes, content_type: str = "application/json") -> None:
    """One PutObject (S3 never shows a partial object)."""
    call(s3, "PutObject", f"s3://{bucket}/{key}", Bucket=bucket, Key=key, Body=body, ContentType=content_type)


def delete_object(s3: Any, bucket: str, key: str) -> None:
    """One DeleteObject."""
    call(s3, "DeleteObject", f"s3://{bucket}/{key}", Bucket=bucket, Key=key)
