"""What the ground-truth tool prints: the validation summary, the upload result and the coverage."""

from __future__ import annotations

from pipelines.core.errors import ValidationError
from pipelines.core.s3uri import parse_s3_uri, s3_uri
from pipelines.ground_truth.shapes import (
    _PROBLEM_LABELS,
    PROBLEMS,
    Coverage,
    LabelSpec,
    Problem,
    UploadResult,
    Validation,
)


def _lines_text(problem: Problem) -> str:
    more = ", ..." if problem.count > len(problem.lines) else ""
    word = "line" if len(problem.lines) == 1 else "lines"
    return f"{word} {', '.join(map(str, problem.lines))}{more}"


def render_validation(spec: LabelSpec, result: Validation, gt_uri: str) -> str:
    """The validation summary printed before anything is written."""
    out = [f"labels: {spec.path.name} ({spec.fmt}, {result.rows} rows)",
           f"  valid:   {result.valid} ({result.positive} positive, {result.negative} negative)",
           f"  invalid: {result.invalid}"]
    for key, text in PROBLEMS:
        problem = result.problems[key]
        if problem.count:
            detail = _lines_text(problem)
            if key in ("unknown_label", "bad_time", "malformed"):
                detail += ": " + ", ".join(repr(v) if key != "malformed" else v for v in problem.values)
            out.append(f"    {text}: {problem.count} ({detail})")
    if result.already_uploaded:
        out.append(f"  already uploaded: {result.already_uploaded} (same id and label in the look-back window; "
                   "skipped)")
    for ident, data, key in result.conflicts:
        verb = "replaces" if result.replace else "conflicts with"
        out.append(f"    id {ident} {verb} label {data} in s3://{parse_s3_uri(gt_uri, key_required=False)[0]}/{key}")
    out.append(f"destination: {gt_uri.rstrip('/')}/")
    for hour in sorted(result.hours):
        out.append(f"  {hour}/  {result.hours[hour]} labels")
    return "\n".join(out) + "\n"


def validation_error(spec: LabelSpec, result: Validation) -> ValidationError:
    """The one-line error for a file with invalid rows."""
    parts = [f"{p.count} {_PROBLEM_LABELS[k]}{'s' if p.count != 1 else ''} ({_lines_text(p)})"
             for k, p in result.problems.items() if p.count]
    replace = (", pass --replace-conflicting to replace the earlier labels," if result.problems["conflict"].count
               else ",")
    return ValidationError([f"{spec.path.name} has {result.invalid} invalid row{'s' if result.invalid != 1 else ''}: "
                            f"{', '.join(parts)}; fix them{replace} or pass --skip-invalid to upload the "
                            f"{result.valid} valid rows"])


def render_upload(result: UploadResult, bucket: str, *, dry_run: bool) -> str:
    """What was (or would be) written."""
    objects = sum(len(v) for v in result.objects.values())
    verb = "would write" if dry_run else "wrote"
    head = f"{'dry run: ' if dry_run else ''}{verb} {result.records} records in {objects} object" \
           f"{'s' if objects != 1 else ''}"
    out = []
    for old, (new, left) in result.replaced.items():
        kept = f"rewritten as {s3_uri(bucket, new)} ({left} records kept)" if new else "deleted (no records left)"
        out.append(f"{'would replace' if dry_run else 'replaced'} earlier labels: {s3_uri(bucket, old)} {kept}")
    if not result.records:
        return "".join(f"{line}\n" for line in out) + f"{head} (nothing new to upload)\n"
    out.append(head + ":")
    for hour, objs in result.objects.items():
        for key, count in objs:
            out.append(f"  {s3_uri(bucket, key)}  {count} records")
    return "\n".join(out) + "\n"


def render_coverage(cov: Coverage) -> str:
    """Coverage summary: captured events with a label, labels with no captured event."""
    def pct(part: int, whole: int) -> str:
        return f"{100.0 * part / whole:.1f}%" if whole else "n/a"

    out = [f"coverage: captures {cov.window_start:%Y-%m-%dT%H:%MZ} to {cov.window_end:%Y-%m-%dT%H:%MZ} under "
           f"{cov.capture_prefix} ({cov.files} files, {cov.variants} variant{'s' if cov.variants != 1 else ''})",
           f"  captured events:             {cov.captured}",
           f"  captured events with label:  {cov.captured_with_label} ({pct(cov.captured_with_label, cov.captured)})",
           f"  labels with no captured event: {cov.labels_unmatched} of {cov.labels} "
           f"({pct(cov.labels_unmatched, cov.labels)})"]
    if cov.unreadable_lines:
        out.append(f"  unreadable capture lines:    {cov.unreadable_lines}")
    if cov.labels_unmatched and cov.unmatched_examples:
        out.append(f"  unmatched label ids, e.g.:   {', '.join(cov.unmatched_examples)}")
        if cov.capture_examples:
            out.append(f"  captured ids look like:      {', '.join(cov.capture_examples)}")
    if cov.labels_on_event_ids:
        out.append(f"  labels keyed by eventId:     {cov.labels_on_event_ids} match the eventId of captured events "
                   "that carry an inferenceId; Model Monitor joins those on inferenceId, so these labels match "
                   "nothing: label by the InferenceId the endpoint was invoked with (pass the transaction id as "
                   "InferenceId to InvokeEndpoint)")
    return "\n".join(out) + "\n"
