"""Latency of the HTTP API: a bounded loop of /genes and /ask requests over real TCP on the loopback address,
then /genes from many concurrent clients while heavy /query requests run.

    python evals/bench_server.py [--genes 300] [--asks 60] [--clients 200] [--per-client 5] [--heavy 2]
                                 [--max-seconds 120] [--url http://127.0.0.1:8000/] [--json]

Without --url `geneverse serve` is started on a free loopback port over the default graph
(`geneverse kg build` first). With --url an already running `geneverse serve` is measured; only
loopback addresses are accepted. Prints p50 / p99 / mean latency per endpoint, and p50 / p99 of
/genes under contention: --clients concurrent clients sending --per-client look-ups each, while
--heavy clients keep a slow /query running.
"""

import argparse
import asyncio
import ipaddress
import json
import math
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Iterator
from contextlib import contextmanager
from urllib.parse import quote, urlparse

import httpx

from kg.graph import GeneGraph, open_graph

SEED = 7
# A read-only query that keeps the graph busy for a second or more: a join over 20,000 x 60,000 genes.
HEAVY_QUERY = ("MATCH (a:Gene) WHERE a.start IS NOT NULL WITH a LIMIT 20000 MATCH (b:Gene) WHERE a.start < b.start "
               "RETURN count(*) AS pairs")
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
def local_server() -> Iterator[str]:
    """`geneverse serve` on a free loopback port, in a process of its own as users run it, so the
    clients of this process do not share its interpreter."""
    server = subprocess.Popen([sys.executable, "-c", "from agent.cli import main; main()", "serve", "--port", "0",
                               "--json"], stdout=subprocess.PIPE, text=True)
    try:
        line = server.stdout.readline() if server.stdout else ""
        if not line:
            raise SystemExit("the server did not start")
        url = json.loads(line)["url"]
        with httpx.Client(base_url=url, timeout=5) as client:
            for _ in range(600):
                try:
                    client.get("health").raise_for_status()
                    break
                except httpx.TransportError:
                    time.sleep(0.1)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=30)


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


async def send(request: Awaitable[httpx.Response]) -> int | str:
    """The response status, or the name of the transport error (a closed connection counts too)."""
    try:
        return (await request).status_code
    except httpx.TransportError as err:
        return type(err).__name__


async def contention(url: str, names: list[str], clients: int, per_client: int, heavy: int,
                     max_seconds: float) -> dict:
    """/genes latency from `clients` concurrent clients while `heavy` clients keep /query busy."""
    deadline = time.monotonic() + max_seconds
    limits = httpx.Limits(max_connections=clients + heavy, max_keepalive_connections=clients + heavy)
    async with httpx.AsyncClient(base_url=url, timeout=120, limits=limits) as client:
        heavy_done: list[float] = []
        heavy_statuses: dict[int | str, int] = {}
        stop = asyncio.Event()

        async def keep_busy() -> None:
            while not stop.is_set() and time.monotonic() < deadline:
                start = time.perf_counter()
                status = await send(client.post("query", json={"question": HEAVY_QUERY}))
                heavy_done.append((time.perf_counter() - start) * 1000)
                heavy_statuses[status] = heavy_statuses.get(status, 0) + 1

        busy = [asyncio.create_task(keep_busy()) for _ in range(heavy)]
        await asyncio.sleep(0.5)  # the heavy queries are running before the look-ups start
        latencies: list[float] = []
        statuses: dict[int | str, int] = {}

        async def look_up(offset: int) -> None:
            for i in range(per_client):
                if time.monotonic() > deadline:
                    return
                name = names[(offset * per_client + i) % len(names)]
                start = time.perf_counter()
                status = await send(client.get(f"genes/{quote(name, safe='')}"))
                latencies.append((time.perf_counter() - start) * 1000)
                statuses[status] = statuses.get(status, 0) + 1

        await asyncio.gather(*(look_up(i) for i in range(clients)))
        stop.set()
        await asyncio.gather(*busy)
    figures = {"clients": clients, "heavy_queries": heavy, "requests": len(latencies),
               "statuses": {str(k): v for k, v in sorted(statuses.items(), key=str)},
               "heavy_completed": len(heavy_done),
               "heavy_statuses": {str(k): v for k, v in sorted(heavy_statuses.items(), key=str)},
               "heavy_p50_ms": round(percentile(heavy_done, 50), 2) if heavy_done else None}
    if latencies:
        figures.update(p50_ms=round(percentile(latencies, 50), 2), p99_ms=round(percentile(latencies, 99), 2),
                       max_ms=round(max(latencies), 2))
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--genes", type=int, default=300, help="number of /genes/{name} requests")
    parser.add_argument("--asks", type=int, default=60, help="number of /ask requests")
    parser.add_argument("--clients", type=int, default=200, help="concurrent /genes clients under contention")
    parser.add_argument("--per-client", type=int, default=5, help="/genes requests per concurrent client")
    parser.add_argument("--heavy", type=int, default=2, help="clients keeping a heavy /query running meanwhile")
    parser.add_argument("--max-seconds", type=float, default=120, help="stop sending after this long (per phase)")
    parser.add_argument("--url", help="a running server on a loopback address")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    if args.url and not is_loopback(args.url):
        raise SystemExit(f"refusing {args.url}: only loopback addresses are measured")

    graph = open_graph()
    names, questions = sample_workload(graph, args.genes, args.asks)

    def measure_all(url: str) -> dict:
        figures = run(url, names, questions, args.max_seconds)
        figures["contention"] = asyncio.run(contention(url, names, args.clients, args.per_client, args.heavy,
                                                       args.max_seconds))
        return figures

    if args.url:
        figures = measure_all(args.url if args.url.endswith("/") else args.url + "/")
    else:
        with local_server() as url:
            figures = measure_all(url)
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
    c = figures["contention"]
    if c["requests"]:
        print(f"/genes with {c['clients']} concurrent clients while {c['heavy_queries']} heavy /query run: "
              f"{c['requests']} requests, statuses {c['statuses']}, p50 {c['p50_ms']} ms, p99 {c['p99_ms']} ms, "
              f"max {c['max_ms']} ms; heavy /query: {c['heavy_completed']} completed, statuses "
              f"{c['heavy_statuses']}, p50 {c['heavy_p50_ms']} ms")


if __name__ == "__main__":
    main()
