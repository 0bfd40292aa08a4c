#!/usr/bin/env bash
# The Table 1 runs whose reports are committed here, as two workers sharing the CPU. Each worker owns
# its systems and settings, so no two processes write the same file or build the same withheld graph.
#   run_table1.sh llm   paper20: finetuned, agent; held-out: RAG and agent (both settings), then growing
#                       held-out steps of base, finetuned, agent
#   run_table1.sh rag   paper20: base, RAG (both settings), agent (withheld); then growing held-out
#                       steps of RAG (normal)
# Every command resumes where it stopped (finished answers are on disk): kill and start again freely.
set -u
cd "$(dirname "$0")/../.."
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}"   # one thread per worker: less contention on a shared CPU
geneverse="${GENEVERSE:-.venv/bin/geneverse}"
step="${HELDOUT_STEP:-25}"
heldout="heldout:${HELDOUT_MAX:-200}"
run() { echo "== $(date -u +%H:%M:%S) $*"; "$geneverse" eval describe --no-plots --json "$@" >/dev/null || echo "!! failed: $*"; }

case "${1:?usage: run_table1.sh llm|rag}" in
  llm)
    run --systems finetuned,agent --genes paper20 --out evals/reports/paper20
    run --systems base,finetuned,agent --genes "$heldout" --max-genes "$step" --out evals/reports/heldout
    run --systems rag --genes "$heldout" --max-genes "$step" --out evals/reports/heldout
    run --systems rag,agent --genes "$heldout" --max-genes "$step" --out evals/reports/heldout --withhold-summaries
    for k in $(seq $((2 * step)) "$step" "${HELDOUT_MAX:-200}"); do
      run --systems base,finetuned,agent --genes "$heldout" --max-genes "$k" --out evals/reports/heldout
      run --systems agent --genes "$heldout" --max-genes "$k" --out evals/reports/heldout --withhold-summaries
    done ;;
  rag)
    run --systems base --genes paper20 --out evals/reports/paper20
    run --systems rag --genes paper20 --out evals/reports/paper20
    run --systems rag,agent --genes paper20 --out evals/reports/paper20 --withhold-summaries
    for k in $(seq $((2 * step)) "$step" "${HELDOUT_MAX:-200}"); do
      run --systems rag --genes "$heldout" --max-genes "$k" --out evals/reports/heldout
    done ;;
esac
