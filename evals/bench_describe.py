"""Wall time per gene of each Table 1 system, generated afresh (no generation cache).

    python -m evals.bench_describe [--systems base,finetuned,rag,agent] [--genes 16] [--threads 2] [--withheld]

The genes are the first held-out genes (`heldout:N`), the systems those of `evals/systems.toml`, run
one after another in this process with the normal graph and index (with `--withheld`, those built without
the genes' summaries, as in Table 1's withheld setting). Each system's model is loaded
before its clock starts. Prints one JSON line per system and a closing summary; nothing is asserted.
Run it on an otherwise idle machine: the Table 1 runs record their own seconds, under whatever load
they met.
"""

from __future__ import annotations

import argparse
import json
import resource
import time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--systems", default="base,finetuned,rag,agent")
    parser.add_argument("--genes", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2, help="torch threads")
    parser.add_argument("--withheld", action="store_true", help="graph and index without the genes' summaries")
    args = parser.parse_args()

    import torch

    from evals.describe import Setting, heldout_genes
    from evals.systems import build_system, select_specs
    from kg.graph import open_graph

    torch.set_num_threads(args.threads)
    genes = heldout_genes(open_graph(), args.genes)
    setting = Setting(genes, withheld=args.withheld, progress=False)
    figures = []
    for spec in select_specs([s.strip() for s in args.systems.split(",") if s.strip()]):
        loaded = time.perf_counter()
        system = build_system(spec, setting.graph() if spec.kind in ("agent", "template") else None,
                              setting.index() if spec.kind == "rag" else None, cache=None)
        load_seconds = time.perf_counter() - loaded
        started = time.perf_counter()
        answers = []
        for start in range(0, len(genes), system.batch_size):
            answers.extend(system.describe_batch(genes[start : start + system.batch_size]))
        seconds = time.perf_counter() - started
        words = sum(len(a.text.split()) for a in answers)
        row = {"system": spec.name, "setting": setting.name, "genes": len(genes), "batch": system.batch_size, "threads": args.threads,
               "max_new_tokens": spec.max_new_tokens, "load_s": round(load_seconds, 1),
               "seconds_per_gene": round(seconds / len(genes), 2), "words_per_answer": round(words / len(genes)),
               "errors": sum(1 for a in answers if a.error)}
        figures.append(row)
        print(json.dumps(row), flush=True)
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(" | ".join(f"{r['system']} {r['seconds_per_gene']} s/gene" for r in figures)
          + f" | peak RSS {peak_mib:.0f} MiB")


if __name__ == "__main__":
    main()
