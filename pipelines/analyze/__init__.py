"""Our own analyzer, compatible with SageMaker Model Monitor's formats: data quality, model quality, and an estimate
of fraud recall before labels arrive. Runs on a laptop, in CI, and as a custom monitoring container.

Needs numpy (the ``analyzer`` extra); the deployment CLI (get_baselines_and_configs.py) never imports this package.
Module per concern: sources (local/S3), capture (Data Capture records), kll (sketch + Deequ distances), stats
(window statistics), checks (data quality), metrics + model_quality (labels), estimate (CBPE), commands (the three
analyses), container (the bring-your-own-container entrypoint), __main__ (the CLI).
"""

import os as _os

# No BLAS call is made here, but OpenBLAS starts a thread per core at numpy's import that spins before it sleeps
# (~0.1 CPU-s the fast reader's threads need): one thread. Set before numpy is imported; a caller's setting wins.
_os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
