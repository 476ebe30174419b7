# The analyzer as a custom SageMaker Model Monitor container (bring your own container).
# Build from the repository root:  docker build -f docker/analyzer.Dockerfile -t fraud-monitor-analyzer .
# Contract (environment, /opt/ml layout, outputs): docs/analyzer.md.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /opt/analyzer

COPY requirements.txt requirements-analyzer.txt ./
RUN pip install --quiet -r requirements-analyzer.txt

COPY utils.py ./
COPY pipelines/ ./pipelines/
ENV PYTHONPATH=/opt/analyzer
# Compile data-quality's fast reader once, into numba's on-disk cache next to the module (__pycache__): every
# execution then loads it instead of compiling it (a few seconds)
RUN python -c "from pipelines.analyze import fastcsv; assert fastcsv.enabled()"

# No USER switch: the Processing job contract does not promise that a non-root user may write the
# /opt/ml/processing output folder and /opt/ml/output files the platform creates; a job that cannot write them fails.
ENTRYPOINT ["python", "-m", "pipelines.analyze.container"]
