"""Gene graph performance: full build time and peak memory, and `resolve` latency (for a mix of names,
and for names several genes share, which are ranked by evidence).

    python -m evals.bench_kg [--names 10000] [--seed 0] [--skip-build]

Prints one JSON object of figures. The build runs in a child process on a throwaway home, so its
peak resident memory is measured alone; resolve runs in this process on that graph.
"""

import argparse
import json
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def build_in_child(home: Path) -> dict:
    code = "from kg.build import build_graph; import sys; build_graph(home=__import__('pathlib').Path(sys.argv[1]))"
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", code, str(home)], check=True)
    seconds = time.perf_counter() - started
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return {"build_seconds": round(seconds, 1), "build_peak_rss_mib": round(peak_kib / 1024)}


def name_mix(graph, n: int, seed: int) -> list[str]:
    """Official symbols, aliases, previous symbols and lower-case variants, a quarter each."""
    rows = graph.query("MATCH (n:Name)-[r:NAMES]->(g:Gene) WHERE r.kind IN ['official', 'alias', 'previous'] "
                       "RETURN n.name AS name, r.kind AS kind")
    by_kind: dict[str, list[str]] = {}
    for row in rows:
        by_kind.setdefault(row["kind"], []).append(row["name"])
    rng = random.Random(seed)
    names = []
    for i in range(n):
        kind = ("official", "alias", "previous", "official")[i % 4]
        name = rng.choice(by_kind[kind])
        names.append(name.lower() if i % 4 == 3 else name)
    rng.shuffle(names)
    return names


def bench_resolve(graph, names: list[str]) -> dict:
    for name in names[:200]:  # warm the prepared statements and caches
        graph.resolve(name)
    latencies = []
    started = time.perf_counter()
    for name in names:
        t = time.perf_counter()
        graph.resolve(name)
        latencies.append(time.perf_counter() - t)
    total = time.perf_counter() - started
    latencies.sort()
    return {
        "resolve_names": len(names),
        "resolve_p50_ms": round(statistics.median(latencies) * 1e3, 3),
        "resolve_p99_ms": round(latencies[int(0.99 * len(latencies)) - 1] * 1e3, 3),
        "resolve_per_second": round(len(names) / total),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--names", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--skip-build", action="store_true", help="use the graph in GENEVERSE_HOME")
    args = parser.parse_args()

    from kg.graph import open_graph

    figures: dict = {}
    with tempfile.TemporaryDirectory(prefix="geneverse-bench-") as tmp:
        home = None
        if not args.skip_build:
            home = Path(tmp)
            figures.update(build_in_child(home))
        with open_graph(backend="ladybug", home=home) as graph:
            figures["genes"] = graph.stats()["Gene"]
            figures["hgnc_genes"] = graph.query("MATCH (g:Gene) WHERE g.hgnc_id IS NOT NULL RETURN count(g) AS n")[0]["n"]
            figures["ncbi_only_genes"] = graph.query("MATCH (g:Gene) WHERE g.source = 'NCBI Gene' "
                                                     "RETURN count(g) AS n")[0]["n"]
            figures.update(bench_resolve(graph, name_mix(graph, args.names, args.seed)))
            shared = [r["key"] for r in graph.query("MATCH (n:Name)-[:NAMES]->(g:Gene) WITH n.key AS key, count(g) AS "
                                                    "genes WHERE genes > 1 RETURN key ORDER BY key LIMIT 2000")]
            figures.update({k.replace("resolve_", "resolve_shared_"): v
                            for k, v in bench_resolve(graph, shared).items()})
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
