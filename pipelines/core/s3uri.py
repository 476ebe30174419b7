"""S3 URIs: parse, build, and the bucket-name rule."""

from __future__ import annotations

import re

# Bucket names: 3-63 chars, lowercase letters, digits, dots and hyphens, starting and ending with a letter/digit.
BUCKET_RE = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
S3_URI_RE = re.compile(r"^s3://([^/]+)(?:/(.*))?$")


class S3UriError(ValueError):
    """When a string is not a usable s3://bucket/key URI."""


def parse_s3_uri(uri: str, *, key_required: bool = True) -> tuple[str, str]:
    """Split ``s3://bucket/key`` into (bucket, key); raise S3UriError naming what is wrong."""
    match = S3_URI_RE.match(uri or "")
    if not match:
        raise S3UriError(f"'{uri}' is not an S3 URI (expected s3://<bucket>/<key>)")
    bucket, key = match.group(1), match.group(2) or ""
    if not BUCKET_RE.match(bucket) or ".." in bucket:
        raise S3UriError(f"'{uri}' has an invalid bucket name '{bucket}' (3-63 lowercase letters, digits, '.', '-')")
    if key_required and not key:
        raise S3UriError(f"'{uri}' names a bucket but no object key")
    return bucket, key


def s3_uri(bucket: str, key: str) -> str:
    """Join a bucket and a key into an s3:// URI."""
    return f"s3://{bucket}/{key.lstrip('/')}"
