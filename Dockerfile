# syntax=docker/dockerfile:1
# Agora's image: a build stage that makes the locked environment with uv, and a slim runtime
# stage that runs it as a non-root user. Settings come from the environment (docs/api.md, Settings).
#
#   docker build -t agora .                               # core install
#   docker build -t agora --build-arg INSTALL_AGENT=true .  # with the optional extra `agent`
#   docker build -t agora --build-arg INSTALL_OTEL=true .   # with the optional extra `otel`

ARG PYTHON_IMAGE=python:3.11-slim

FROM ${PYTHON_IMAGE} AS build
COPY --from=ghcr.io/astral-sh/uv:0.13.9 /uv /uvx /usr/local/bin/
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/app/.venv
WORKDIR /app
ARG INSTALL_AGENT=false
ARG INSTALL_OTEL=false
# The dependencies first (a layer that only changes with the lock file), then the project.
COPY pyproject.toml uv.lock README.md ./
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-install-project \
      $([ "$INSTALL_AGENT" = "true" ] && echo "--extra agent") \
      $([ "$INSTALL_OTEL" = "true" ] && echo "--extra otel")
COPY alembic.ini ./
COPY migrations ./migrations
COPY app ./app
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev \
      $([ "$INSTALL_AGENT" = "true" ] && echo "--extra agent") \
      $([ "$INSTALL_OTEL" = "true" ] && echo "--extra otel")

FROM ${PYTHON_IMAGE} AS runtime
RUN groupadd --system --gid 10001 agora \
    && useradd --system --uid 10001 --gid agora --home-dir /app --no-create-home agora \
    && mkdir -p /app/data \
    && chown agora:agora /app/data
WORKDIR /app
COPY --from=build --chown=root:root /app /app
ENV PATH=/app/.venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    DATA_DIR=/app/data
USER agora
EXPOSE 8000
# Liveness only (/health touches nothing); readiness is /health/ready.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=4).status == 200 else 1)"]
# SIGTERM starts a graceful shutdown: in-flight requests finish, WebSockets get 1001.
STOPSIGNAL SIGTERM
CMD ["agora", "serve", "--host", "0.0.0.0", "--port", "8000"]
