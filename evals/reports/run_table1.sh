#!/usr/bin/env bash
# The Table 1 runs whose reports are committed here. Two workers share the CPU:
#   run_table1.sh llm   base, finetuned and agent (normal setting): paper20, then held-out genes in steps
#   run_table1.sh rag   RAG (normal and withheld) and the agent (withheld): paper20, then held-out steps
# Every command resumes where it stopped (finished answers are on disk), so the script can be killed
# and started again. Systems needing the Geneverse adapter run once it exists.
set -u
cd "$(dirname "$0")/../.."
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}"   # one thread per worker: less contention on a shared CPU
geneverse="${GENEVERSE:-.venv/bin/geneverse}"
step="${HELDOUT_STEP:-25}"
heldout_max="${HELDOUT_MAX:-200}"
adapter_ready() { [ -f tools/adapters/geneverse-smollm2-135m/adapter_config.json ]; }
run() { echo "== $(date -u +%H:%M:%S) $*"; "$geneverse" eval describe --no-plots --json "$@" >/dev/null || echo "!! failed: $*"; }

case "${1:?usage: run_table1.sh llm|rag}" in
  llm)
    run --systems base --genes paper20 --out evals/reports/paper20
    for k in $(seq "$step" "$step" "$heldout_max"); do
      adapter_ready && run --systems finetuned,agent --genes paper20 --out evals/reports/paper20
      run --systems base --genes "heldout:$heldout_max" --max-genes "$k" --out evals/reports/heldout
      adapter_ready && run --systems finetuned,agent --genes "heldout:$heldout_max" --max-genes "$k" --out evals/reports/heldout
    done ;;
  rag)
    run --systems rag --genes paper20 --out evals/reports/paper20
    run --systems rag --genes paper20 --out evals/reports/paper20 --withhold-summaries
    for k in $(seq "$step" "$step" "$heldout_max"); do
      adapter_ready && run --systems agent --genes paper20 --out evals/reports/paper20 --withhold-summaries
      run --systems rag --genes "heldout:$heldout_max" --max-genes "$k" --out evals/reports/heldout
      run --systems rag --genes "heldout:$heldout_max" --max-genes "$k" --out evals/reports/heldout --withhold-summaries
      adapter_ready && run --systems agent --genes "heldout:$heldout_max" --max-genes "$k" --out evals/reports/heldout --withhold-summaries
    done ;;
esac
