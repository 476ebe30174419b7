# The analyzer as a custom SageMaker Model Monitor container (bring your own container).
# Build from the repository root:  docker build -f docker/analyzer.Dockerfile -t fraud-monitor-analyzer .
# Contract (environment, /opt/ml layout, outputs): docs/analyzer.md.

# data-quality's fast reader (pipelines/analyze/_native.c): built where a C compiler is, copied into the slim image
# (the C library only; `make native`'s flags, for x86-64-v3 (AVX2) instead of the build host's CPU)
FROM python:3.11 AS native
COPY pipelines/analyze/_native.c /src/
RUN cc -O3 -march=x86-64-v3 -ffp-contract=off -fPIC -shared -Wall -Wextra -Werror -o /src/_native.so /src/_native.c

FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /opt/analyzer

COPY requirements.txt requirements-analyzer.txt ./
RUN pip install --quiet -r requirements-analyzer.txt

COPY utils.py ./
COPY pipelines/ ./pipelines/
ENV PYTHONPATH=/opt/analyzer
COPY --from=native /src/_native.so ./pipelines/analyze/_native.so
# the fast reader loads, and reaches numpy's own float64 sort through numpy's C API (else its own, slower, sort runs)
RUN python -c "from pipelines.analyze import fastcsv; assert fastcsv.enabled() and fastcsv._numpy_float_sort()"

# No USER switch: the Processing job contract does not promise that a non-root user may write the
# /opt/ml/processing output folder and /opt/ml/output files the platform creates; a job that cannot write them fails.
ENTRYPOINT ["python", "-m", "pipelines.analyze.container"]
