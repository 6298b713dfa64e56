# syntax=docker/dockerfile:1
# pictor: one image for API nodes (`pictor serve`) and worker nodes (`pictor worker`).
# Build: docker build -t pictor .     Run: see compose.yaml and docs/deploy.md.

ARG PYTHON_IMAGE=python:3.11-slim

# --- builder: a virtual environment with pictor and the distributed extra ------------
FROM ${PYTHON_IMAGE} AS builder

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1

RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH

WORKDIR /src
# Metadata first, then the code: the dependency layer is reused while only code changes.
COPY pyproject.toml README.md NOTICE ./
COPY src ./src
# A regular (not editable) install: pip builds pictor's wheel and installs it with the
# distributed extra (Celery, redis, boto3) into /opt/venv; the sources stay behind.
RUN pip install --upgrade pip \
    && pip install ".[distributed]"

# --- final: slim runtime, the venv only, non-root ---------------------------------------
FROM ${PYTHON_IMAGE} AS final

ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PICTOR_DATA_DIR=/data

RUN groupadd --system --gid 10001 pictor \
    && useradd --system --uid 10001 --gid pictor --home-dir /app --shell /usr/sbin/nologin pictor \
    && mkdir -p /app /data \
    && chown pictor:pictor /app /data

COPY --from=builder /opt/venv /opt/venv

WORKDIR /app
USER pictor:pictor
VOLUME ["/data"]
EXPOSE 8000

# Liveness of an API node (the worker service in compose.yaml turns this off).
# No curl in the slim image: the interpreter does the request.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=4).status != 200)"]

ENTRYPOINT ["pictor"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8000"]
