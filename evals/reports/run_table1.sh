#!/usr/bin/env bash
# The Table 1 runs whose reports are committed here, as two workers sharing the CPU, then the reports.
#   run_table1.sh llm      base, fine-tuned, the graph template and every agent row: paper20 and heldout:200,
#                          both settings (the withheld runs build the withheld graphs)
#   run_table1.sh rag      the gene index, then RAG: paper20 and heldout:200, both settings (start it once
#                          `llm` has begun its withheld runs, or after it: RAG's withheld index needs the
#                          withheld graph, and only one worker should build it)
#   run_table1.sh report   grade every system from the answers on disk; tables, CSVs and plots
# Every command resumes where it stopped (finished answers are on disk): kill and start again freely.
set -u
cd "$(dirname "$0")/../.."
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}"   # one thread per worker: less contention on a shared CPU
geneverse="${GENEVERSE:-.venv/bin/geneverse}"
heldout="heldout:${HELDOUT_MAX:-200}"
# systems whose answers read the graph, so differ between the settings
graph_systems="template,agent-correct-only,agent,agent-composed,agent-grounded"
run() { echo "== $(date -u +%H:%M:%S) $*"; "$geneverse" eval describe --json "$@" >/dev/null || echo "!! failed: $*"; }

case "${1:?usage: run_table1.sh llm|rag|report}" in
  llm)
    for genes in paper20 "$heldout"; do
      out="evals/reports/${genes%%:*}"
      run --systems "base,finetuned,$graph_systems" --genes "$genes" --out "$out" --no-plots
      run --systems "$graph_systems" --genes "$genes" --out "$out" --no-plots --withhold-summaries
    done ;;
  rag)
    "$geneverse" rag index
    for genes in paper20 "$heldout"; do
      out="evals/reports/${genes%%:*}"
      run --systems rag --genes "$genes" --out "$out" --no-plots
      run --systems rag --genes "$genes" --out "$out" --no-plots --withhold-summaries
    done ;;
  report)
    for genes in paper20 "$heldout"; do
      out="evals/reports/${genes%%:*}"
      run --systems "base,finetuned,rag,$graph_systems" --genes "$genes" --out "$out"
      run --systems "base,finetuned,rag,$graph_systems" --genes "$genes" --out "$out" --withhold-summaries
    done ;;
esac
