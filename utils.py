"""Top-level helpers kept for scripts that import ``utils`` (fixed by the project's design): a thin shim over
``pipelines.core``, where the code lives (S3 URIs in core/s3uri.py, files and JSON in core/files.py, flags with
environment fallbacks in core/command.py)."""

from pipelines.core.command import ENV_FALSE, ENV_TRUE, env_argument, parse_with_env
from pipelines.core.files import (
                                  JsonTooDeep,
                                  NotUtf8,
                                  atomic_write_many,
                                  canonical_json,
                                  decode_utf8,
                                  json_loads,
                                  printable,
                                  read_json_file,
                                  sha256_hex,
)
from pipelines.core.s3uri import BUCKET_RE, S3UriError, parse_s3_uri, s3_uri

__all__ = ["BUCKET_RE", "ENV_FALSE", "ENV_TRUE", "JsonTooDeep", "NotUtf8", "S3UriError", "atomic_write_many",
           "canonical_json", "decode_utf8", "env_argument", "json_loads", "parse_s3_uri", "parse_with_env", "printable",
           "read_json_file", "s3_uri", "sha256_hex"]
