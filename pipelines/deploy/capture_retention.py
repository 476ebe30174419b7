"""Pre-flight: captures must outlive label maturity (issue 18).

The matured model quality schedule reads the captures of one day ``LabelMaturityDays`` days after it, so the capture
bucket's lifecycle rules must keep them at least ``LabelMaturityDays + 1`` days (maturity plus the one-day window).
S3 expires an object at the first midnight UTC after creation + ``Days`` ("Lifecycle configuration elements",
Amazon S3 User Guide: "rounding the resulting time to the next day midnight UTC"), and the daily job runs a few hours
after midnight, so ``Days >= LabelMaturityDays + 1`` is enough. A transition to S3 Glacier Flexible Retrieval or Deep
Archive before then is as bad: Model Monitor's processing job cannot read archived objects without a restore.

One ``GetBucketLifecycleConfiguration`` per stage through the AWS boundary. No configuration at all
(``NoSuchLifecycleConfiguration``) keeps captures forever. A rule whose filter names object tags is skipped:
SageMaker writes capture objects without tags (our reading: the Data Capture page documents none).
"""

from __future__ import annotations

from typing import Any

from pipelines.core import aws
from pipelines.core.errors import MonitorError
from pipelines.core.s3uri import S3UriError, parse_s3_uri

ARCHIVE_CLASSES = ("GLACIER", "DEEP_ARCHIVE")  # not readable in place; GLACIER_IR is


def capture_prefix(destination: str, endpoint: str) -> tuple[str, str]:
    """(bucket, key prefix) of one endpoint's captures: ``<DestinationS3Uri>/<endpoint>/``."""
    bucket, key = parse_s3_uri(destination, key_required=False)
    key = key.strip("/")
    return bucket, (f"{key}/{endpoint}/" if key else f"{endpoint}/")


def _rule_prefix(rule: dict[str, Any]) -> str | None:
    """The rule's key prefix ('' for the whole bucket); None when it filters on tags (never matches captures)."""
    if "Prefix" in rule:  # the legacy top-level form
        return str(rule["Prefix"] or "")
    flt = rule.get("Filter") or {}
    if "Tag" in flt or (flt.get("And") or {}).get("Tags"):
        return None
    return str(flt.get("Prefix") or (flt.get("And") or {}).get("Prefix") or "")


def retention_problems(rules: list[dict[str, Any]], bucket: str, prefix: str, needed_days: int) -> list[str]:
    """What in the lifecycle rules removes or archives captures under ``prefix`` before ``needed_days``."""
    problems = []
    for rule in rules:
        if rule.get("Status") != "Enabled":
            continue
        rule_prefix = _rule_prefix(rule)
        if rule_prefix is None or not (prefix.startswith(rule_prefix) or rule_prefix.startswith(prefix)):
            continue
        name = f"lifecycle rule '{rule.get('ID') or '(no ID)'}' of bucket {bucket}"
        expiration = rule.get("Expiration") or {}
        days = expiration.get("Days")
        if isinstance(days, int) and days < needed_days:
            problems.append(f"{name} expires captures after {days} days")
        elif expiration.get("Date"):
            problems.append(f"{name} expires captures on a fixed date ({expiration['Date']})")
        for transition in rule.get("Transitions") or []:
            if transition.get("StorageClass") in ARCHIVE_CLASSES and (
                    not isinstance(transition.get("Days"), int) or transition["Days"] < needed_days):
                when = f"after {transition['Days']} days" if isinstance(transition.get("Days"), int) else "on a date"
                problems.append(f"{name} moves captures to {transition['StorageClass']} {when} (not readable "
                                "without a restore)")
    return problems


def capture_retention_warning(s3: Any, destination: str, endpoint: str, maturity_days: int) -> str:
    """One warning line when captures do not outlive maturity + the evaluation window ('' when they do)."""
    needed = maturity_days + 1
    try:
        bucket, prefix = capture_prefix(destination, endpoint)
    except S3UriError:
        return ""  # the endpoint's capture check reports a bad destination
    try:
        response = aws.call(s3, "GetBucketLifecycleConfiguration", f"bucket {bucket}", Bucket=bucket)
    except MonitorError as exc:
        if getattr(exc, "code", "") == "NoSuchLifecycleConfiguration":
            return ""
        return (f"cannot read the lifecycle rules of the capture bucket {bucket} ({exc}); captures must be kept "
                f"{needed} days (LabelMaturityDays {maturity_days} + a one-day window) for the matured evaluation: "
                "grant s3:GetLifecycleConfiguration or check the rules by hand")
    problems = retention_problems(response.get("Rules") or [], bucket, prefix, needed)
    if not problems:
        return ""
    return (f"captures under s3://{bucket}/{prefix} do not outlive label maturity: {'; '.join(problems)}; the "
            f"matured evaluation reads them {needed} days after capture (LabelMaturityDays {maturity_days} + a "
            "one-day window) and would find nothing: keep them at least that long or lower LabelMaturityDays")
