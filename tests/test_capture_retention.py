"""Pre-flight: the capture bucket's lifecycle rules must keep captures LabelMaturityDays + 1 days (issue 18).

Lifecycle rules are written with PutBucketLifecycleConfiguration in moto, whose input botocore validates against
the S3 service model (the shapes of AWS's own "PutBucketLifecycleConfiguration" examples: Filter.Prefix,
Filter.And, Filter.Tag, Expiration.Days/Date, Transitions); the CLI reads them back with
GetBucketLifecycleConfiguration through pipelines.core.aws."""

from __future__ import annotations

import datetime as dt

import pytest

from devtools.seed import OUTPUTS_BUCKET, PROJECT_NAME
from pipelines.deploy.capture_retention import capture_retention_warning, retention_problems
from tests.support.reliability import Fault
from tests.support.plan import strict_error, warnings

PREFIX = "data-capture/fraud-detect-prod/"  # <DestinationS3Uri>/<endpoint>/ of the seeded prod endpoint


def lifecycle(s3, *rules):
    s3.put_bucket_lifecycle_configuration(Bucket=OUTPUTS_BUCKET, LifecycleConfiguration={"Rules": list(rules)})


def expire(days, prefix="data-capture/", status="Enabled", rule_id="captures"):
    return {"ID": rule_id, "Status": status, "Filter": {"Prefix": prefix}, "Expiration": {"Days": days}}


def test_a_bucket_without_lifecycle_rules_keeps_captures_forever(s3):
    s3.create_bucket(Bucket=OUTPUTS_BUCKET)
    assert capture_retention_warning(s3, f"s3://{OUTPUTS_BUCKET}/data-capture", "fraud-detect-prod", 90) == ""


@pytest.mark.parametrize(("rules", "problems"), [
    ([expire(30)], ["lifecycle rule 'captures' of bucket B expires captures after 30 days"]),
    ([expire(90)], ["lifecycle rule 'captures' of bucket B expires captures after 90 days"]),  # 91 needed
    ([expire(91)], []),
    ([expire(30, status="Disabled")], []),
    ([expire(30, prefix="other/")], []),
    ([expire(30, prefix="")], ["lifecycle rule 'captures' of bucket B expires captures after 30 days"]),
    ([expire(30, prefix="data-capture/fraud-detect-prod/AllTraffic/")],  # a rule on part of the captures
     ["lifecycle rule 'captures' of bucket B expires captures after 30 days"]),
    ([{"ID": "tagged", "Status": "Enabled", "Filter": {"Tag": {"Key": "tmp", "Value": "1"}},
       "Expiration": {"Days": 1}}], []),  # captures carry no tags
    ([{"ID": "archive", "Status": "Enabled", "Filter": {"And": {"Prefix": "data-capture/", "ObjectSizeGreaterThan": 0}},
       "Transitions": [{"Days": 30, "StorageClass": "GLACIER"}, {"Days": 30, "StorageClass": "STANDARD_IA"}]}],
     ["lifecycle rule 'archive' of bucket B moves captures to GLACIER after 30 days (not readable without a "
      "restore)"]),
    ([{"ID": "legacy", "Status": "Enabled", "Prefix": "data-capture", "Expiration": {"Days": 7}}],
     ["lifecycle rule 'legacy' of bucket B expires captures after 7 days"]),
])
def test_rules_that_remove_or_archive_captures_before_maturity_plus_a_day_are_named(rules, problems):
    assert retention_problems(rules, "B", PREFIX, 91) == problems


def test_a_date_expiration_is_named(s3):
    s3.create_bucket(Bucket=OUTPUTS_BUCKET)
    lifecycle(s3, {"ID": "cutoff", "Status": "Enabled", "Filter": {"Prefix": ""},
                   "Expiration": {"Date": dt.datetime(2027, 1, 1, tzinfo=dt.timezone.utc)}})
    assert capture_retention_warning(s3, f"s3://{OUTPUTS_BUCKET}/data-capture", "fraud-detect-prod", 90) == (
        f"captures under s3://{OUTPUTS_BUCKET}/{PREFIX} do not outlive label maturity: lifecycle rule 'cutoff' of "
        f"bucket {OUTPUTS_BUCKET} expires captures on a fixed date (2027-01-01 00:00:00+00:00); the matured "
        "evaluation reads them 91 days after capture (LabelMaturityDays 90 + a one-day window) and would find "
        "nothing: keep them at least that long or lower LabelMaturityDays")


def _expiring(stage: str, days: int = 30) -> str:
    return (f"{stage}: captures under s3://{OUTPUTS_BUCKET}/data-capture/{PROJECT_NAME}-{stage}/ do not outlive label "
            f"maturity: lifecycle rule 'captures' of bucket {OUTPUTS_BUCKET} expires captures after {days} days; the "
            "matured evaluation reads them 91 days after capture (LabelMaturityDays 90 + a one-day window) and would "
            "find nothing: keep them at least that long or lower LabelMaturityDays")


def test_the_cli_warns_per_stage_and_strict_fails_with_nothing_written(registry, ws):
    lifecycle(registry.s3, expire(30))
    result = ws.run()
    assert (result.code, result.err) == (0, warnings(_expiring("staging"), _expiring("prod")))
    before = ws.seed_old_outputs()
    strict = ws.run("--strict")
    assert (strict.code, strict.out, strict.err) == (2, "", strict_error(_expiring("staging"), _expiring("prod")))
    assert ws.files() == before


def test_captures_kept_long_enough_give_no_warning(registry, ws):
    lifecycle(registry.s3, expire(91))
    result = ws.run()
    assert (result.code, result.err) == (0, "")


def test_lifecycle_rules_the_build_cannot_read_are_a_warning_never_a_pass(registry, ws, calls):
    calls.faults.append(Fault("s3.GetBucketLifecycleConfiguration", "access-denied", times=2))
    result = ws.run()
    line = ("{stage}: cannot read the lifecycle rules of the capture bucket {bucket} (access denied: "
            "s3:GetBucketLifecycleConfiguration on bucket {bucket}; grant s3:GetLifecycleConfiguration to the role "
            "running this build); captures must be kept 91 days (LabelMaturityDays 90 + a one-day window) for the "
            "matured evaluation: grant s3:GetLifecycleConfiguration or check the rules by hand")
    assert (result.code, result.err) == (0, warnings(*(line.format(stage=stage, bucket=OUTPUTS_BUCKET)
                                                       for stage in ("staging", "prod"))))
