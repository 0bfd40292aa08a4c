"""Latency of the HTTP API: a bounded loop of /genes and /ask requests over real TCP on the loopback address.

    python evals/bench_server.py [--genes 300] [--asks 60] [--max-seconds 120] [--url http://127.0.0.1:8000/] [--json]

Without --url a server is started in this process on a free loopback port over the default graph
(`geneverse kg build` first). With --url an already running `geneverse serve` is measured; only
loopback addresses are accepted. Prints p50 / p99 / mean latency per endpoint.
"""

import argparse
import ipaddress
import json
import math
import random
import statistics
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import quote, urlparse

import httpx
import uvicorn

from agent.server import bind_socket, create_app
from kg.graph import GeneGraph, open_graph

SEED = 7
# Question shapes the agent answers from the graph; {alias} is a non-official name, {symbol} an official one.
ASK_TEMPLATES = [
    "What is the official gene symbol of {alias}?",
    "Which chromosome is {symbol} located on?",
    "Is {symbol} a protein-coding gene?",
    "Which genes lie in {cytoband}?",
]


def is_loopback(url: str) -> bool:
    host = urlparse(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@contextmanager
def local_server(graph: GeneGraph) -> Iterator[str]:
    sock = bind_socket("127.0.0.1", 0)
    server = uvicorn.Server(uvicorn.Config(create_app(graph=graph), log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        if not thread.is_alive():
            raise SystemExit("the server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}/"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def sample_workload(graph: GeneGraph, genes: int, asks: int) -> tuple[list[str], list[str]]:
    """Gene names (official symbols, aliases, Ensembl ids) and questions drawn from the real graph."""
    rows = graph.query(
        "MATCH (n:Name)-[r:NAMES]->(g:Gene) WHERE r.kind = 'alias' AND g.cytoband IS NOT NULL "
        "RETURN n.name AS alias, g.symbol AS symbol, g.ensembl_id AS ensembl, g.cytoband AS cytoband "
        "ORDER BY g.gene_id LIMIT 5000"
    )
    rng = random.Random(SEED)
    picked = rng.sample(rows, min(len(rows), max(genes, asks)))
    names = [rng.choice([row["symbol"], row["alias"], row["ensembl"] or row["symbol"]]) for row in picked]
    questions = [
        ASK_TEMPLATES[i % len(ASK_TEMPLATES)].format(**row) for i, row in enumerate(picked[:asks])
    ]
    return (names * (genes // max(len(names), 1) + 1))[:genes], questions


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile: the smallest value with at least p% of the values at or below it."""
    ranked = sorted(values)
    return ranked[max(math.ceil(p / 100 * len(ranked)) - 1, 0)]


def measure(send, items: list[str], deadline: float) -> dict:
    latencies, statuses = [], {}
    for item in items:
        if time.monotonic() > deadline:
            break
        start = time.perf_counter()
        status = send(item)
        latencies.append((time.perf_counter() - start) * 1000)
        statuses[status] = statuses.get(status, 0) + 1
    if not latencies:
        return {"requests": 0}
    return {
        "requests": len(latencies),
        "statuses": {str(code): count for code, count in sorted(statuses.items())},
        "p50_ms": round(percentile(latencies, 50), 2),
        "p99_ms": round(percentile(latencies, 99), 2),
        "mean_ms": round(statistics.fmean(latencies), 2),
        "max_ms": round(max(latencies), 2),
    }


def run(url: str, names: list[str], questions: list[str], max_seconds: float) -> dict:
    deadline = time.monotonic() + max_seconds
    with httpx.Client(base_url=url, timeout=120) as client:
        client.get("health").raise_for_status()
        return {
            "genes": measure(lambda name: client.get(f"genes/{quote(name, safe='')}").status_code, names, deadline),
            "ask": measure(lambda q: client.post("ask", json={"question": q}).status_code, questions, deadline),
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--genes", type=int, default=300, help="number of /genes/{name} requests")
    parser.add_argument("--asks", type=int, default=60, help="number of /ask requests")
    parser.add_argument("--max-seconds", type=float, default=120, help="stop sending after this long")
    parser.add_argument("--url", help="a running server on a loopback address")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    if args.url and not is_loopback(args.url):
        raise SystemExit(f"refusing {args.url}: only loopback addresses are measured")

    graph = open_graph()
    names, questions = sample_workload(graph, args.genes, args.asks)
    if args.url:
        figures = run(args.url if args.url.endswith("/") else args.url + "/", names, questions, args.max_seconds)
    else:
        with local_server(graph) as url:
            figures = run(url, names, questions, args.max_seconds)
    figures["graph_backend"] = graph.backend_name
    if args.json:
        print(json.dumps(figures))
        return
    for endpoint in ("genes", "ask"):
        f = figures[endpoint]
        if not f["requests"]:
            print(f"/{endpoint}: no requests within the time bound")
            continue
        print(f"/{endpoint}: {f['requests']} requests, statuses {f['statuses']}, p50 {f['p50_ms']} ms, "
              f"p99 {f['p99_ms']} ms, mean {f['mean_ms']} ms, max {f['max_ms']} ms")


if __name__ == "__main__":
    main()
