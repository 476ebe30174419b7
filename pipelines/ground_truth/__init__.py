"""Upload fraud labels as Model Monitor ground truth, after validating them; optionally check capture coverage.

Model quality and bias monitors merge captured predictions with ground-truth records, hour by hour: on the
capture's ``inferenceId`` when it has one, else on its ``eventId`` (AWS docs, "Ingest Ground Truth labels and merge
them with predictions"). Records must be JSON lines under ``<GroundTruthInput>/yyyy/mm/dd/hh/`` of the hour the
labels were collected (UTC); the record's ``eventId`` carries the join key:

    {"groundTruthData": {"data": "1", "encoding": "CSV"}, "eventMetadata": {"eventId": "<id>"}, "eventVersion": "0"}

The input file is read once, row by row. Valid rows go to a private temporary SQLite database on disk (a UNIQUE
index on the id finds duplicates), together with what S3 already holds for the touched hours; the comparison with
S3, the coverage join and the upload read it back. Memory holds SQLite's page cache, one batch of rows and one
object being written, so it does not grow with the number of rows.

Example:
    python -m pipelines.ground_truth labels.csv --stage prod --dry-run

Modules: ``label_file`` (reading and validating the file), ``store`` (the SQLite label store), ``s3_labels`` (what S3
holds, writing records), ``coverage`` (the capture join), ``render`` (what is printed), ``shapes`` (the data passed
between them), ``cli`` (flags and the run; ``python -m pipelines.ground_truth`` runs ``cli.main``).
"""

from pipelines.ground_truth.cli import main, parse_args, run
from pipelines.ground_truth.label_file import validate
from pipelines.ground_truth.s3_labels import object_key
from pipelines.ground_truth.shapes import PROBLEMS, LabelSpec

__all__ = ["PROBLEMS", "LabelSpec", "main", "object_key", "parse_args", "run", "validate"]
