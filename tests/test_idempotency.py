"""Two runs on unchanged inputs: byte-identical outputs (files untouched), no new S3 objects, no S3 writes."""

from __future__ import annotations

import os

from tests.support.reliability import s3_state, s3_state_listed

S3_WRITES = ("s3.PutObject", "s3.CopyObject", "s3.DeleteObject", "s3.DeleteObjects", "s3.CreateMultipartUpload")


def _mtimes(ws) -> dict[str, int]:
    return {str(path): os.stat(path).st_mtime_ns for path in ws.outputs()}


def test_a_second_run_on_unchanged_inputs_writes_nothing_locally_or_to_s3(registry, ws, calls):
    first = ws.run()
    assert (first.code, first.err) == (0, "")
    assert "Uploaded 5 derived file(s); the others already existed." in first.out.splitlines()
    assert "Wrote 6 local file(s), 0 unchanged." in first.out.splitlines()
    assert calls.count("s3.PutObject") == 5
    files, objects, mtimes = ws.files(), s3_state(registry.s3), _mtimes(ws)
    calls.calls.clear()
    second = ws.run()
    assert (second.code, second.err) == (0, "")
    assert ws.files() == files
    assert _mtimes(ws) == mtimes  # not even rewritten with the same bytes
    assert s3_state(registry.s3) == objects
    assert [name for name in calls.calls if name in S3_WRITES] == []
    assert "Uploaded 0 derived file(s); the others already existed." in second.out.splitlines()
    assert "Wrote 0 local file(s), 6 unchanged." in second.out.splitlines()
    assert second.out == first.out.replace("Uploaded 5 derived file(s)", "Uploaded 0 derived file(s)").replace(
        "Wrote 6 local file(s), 0 unchanged.", "Wrote 0 local file(s), 6 unchanged.")


def test_a_dry_run_never_writes_to_s3_and_a_real_run_after_it_gives_the_same_files(registry, ws, calls):
    objects = s3_state(registry.s3)
    dry = ws.run("--dry-run")
    assert (dry.code, dry.err) == (0, "")
    assert [name for name in calls.calls if name in S3_WRITES] == []
    assert s3_state(registry.s3) == objects
    files = ws.files()
    real = ws.run()
    assert real.code == 0
    assert ws.files() == files
    assert "Wrote 0 local file(s), 6 unchanged." in real.out.splitlines()


def test_a_changed_stage_file_rewrites_only_that_stages_changed_files(registry, ws, calls):
    assert ws.run().code == 0
    before = ws.files()
    document = ws.document("prod")
    document["Parameters"]["InstanceType"] = "ml.m5.2xlarge"
    ws.write_config("prod", document)
    calls.calls.clear()
    result = ws.run()
    assert result.code == 0
    after = ws.files()
    changed = sorted(name for name in after if after[name] != before.get(name))
    assert changed == ["configs/prod-monitoring-schedule-config.json", "out/prod-config-export.json",
                       "out/prod-config-export.parameter-overrides.json"]
    assert [name for name in calls.calls if name in S3_WRITES] == []
    assert "Wrote 2 local file(s), 4 unchanged." in result.out.splitlines()


def test_the_derived_files_a_run_uploads_are_content_addressed_and_never_overwritten(registry, ws, calls):
    assert ws.run().code == 0
    derived = {uri: etag for uri, etag in s3_state(registry.s3).items() if "/derived-baselines/" in uri}
    assert len(derived) == 5  # bias (shared), explainability and matured model quality per stage
    for _ in range(2):
        calls.calls.clear()
        assert ws.run().code == 0
        assert calls.count("s3.PutObject") == 0
    assert {uri: etag for uri, etag in s3_state(registry.s3).items() if "/derived-baselines/" in uri} == derived


def test_no_temporary_files_are_left_next_to_the_outputs(registry, ws):
    assert ws.run().code == 0
    assert ws.run().code == 0
    assert sorted(path.name for path in (ws.root / "out").iterdir()) == sorted(path.name for path in ws.outputs())


def test_the_s3_snapshot_the_tests_compare_is_exactly_what_listing_every_bucket_returns(registry, ws):
    assert ws.run().code == 0  # adds the derived files: the snapshot covers what a run writes too
    assert s3_state(registry.s3) == s3_state_listed(registry.s3)
    assert len(s3_state(registry.s3)) > 9
