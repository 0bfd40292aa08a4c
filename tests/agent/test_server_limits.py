"""The HTTP server's bounds, over real TCP on the loopback address: incomplete requests time out,
/query replies are capped, heavy work has its own bounded pool, so look-ups answer while it runs."""

import json
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
import uvicorn

from agent.graph import GeneverseAgent
from agent.server import bind_socket, create_app, server_config
from tools.budget import ResultBudget, fit

REQUEST_TIMEOUT_S = 1.0
# Seconds of work for the graph: a join over 20,000 x 60,000 genes.
HEAVY_QUERY = "MATCH (a:Gene) WHERE a.start IS NOT NULL WITH a LIMIT 20000 MATCH (b:Gene) WHERE a.start < b.start RETURN count(*) AS pairs"


def start_server(app) -> Iterator[tuple[str, int]]:
    sock = bind_socket("127.0.0.1", 0)
    server = uvicorn.Server(server_config(app, request_timeout_s=REQUEST_TIMEOUT_S, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        assert thread.is_alive(), "the server did not start"
        time.sleep(0.05)
    try:
        yield sock.getsockname()[:2]
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def agent(graph):
    return GeneverseAgent.from_env(graph=graph)


@pytest.fixture(scope="module")
def address(agent, graph):
    yield from start_server(create_app(agent=agent, graph=graph, workers=1))


def read_until_closed(sock: socket.socket, limit_s: float) -> bytes:
    sock.settimeout(limit_s)
    received = b""
    while chunk := sock.recv(65536):
        received += chunk
    return received


@pytest.mark.parametrize("sent", [
    b"",                                                                       # connects, sends nothing
    b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n",                            # headers never end
    (b"POST /ask HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
     b"Content-Length: 100\r\n\r\n{\"question\": "),                            # body never completes
], ids=["nothing", "partial headers", "partial body"])
def test_incomplete_request_times_out_and_is_closed(address, sent):
    with socket.create_connection(address) as sock:
        sock.sendall(sent)
        reply = read_until_closed(sock, limit_s=REQUEST_TIMEOUT_S * 10)  # the server closes it, not us
    if sent:
        assert reply.startswith(b"HTTP/1.1 408") and b"did not arrive within" in reply


def test_keep_alive_connection_serves_several_requests(address):
    with httpx.Client(base_url=f"http://{address[0]}:{address[1]}") as client:
        assert [client.get("/genes/HER2").status_code for _ in range(3)] == [200, 200, 200]


def test_query_rows_are_paged_with_the_total_and_memory_stays_bounded(address, graph):
    total = graph.query("MATCH (g:Gene) RETURN count(g) AS n")[0]["n"]
    with httpx.Client(base_url=f"http://{address[0]}:{address[1]}", timeout=60) as client:
        body = client.post("/query", json={"question": "MATCH (g:Gene) RETURN g.symbol AS symbol"}).json()
        later = client.post("/query", json={"question": "MATCH (g:Gene) RETURN g.symbol AS symbol ORDER BY symbol",
                                            "offset": 1000, "limit": 5}).json()
        huge = client.post("/query", json={"question": "UNWIND range(1, 50000000) AS i RETURN i"}).json()
        asked = client.post("/ask", json={"question": "Which genes are on chromosome 1?"})
    assert len(body["rows"]) == ResultBudget.rows and body["truncated"] is True and body["rows_total"] is None
    assert later["offset"] == 1000 and len(later["rows"]) == 5 and total > 1005
    assert later["rows"] == graph.query("MATCH (g:Gene) RETURN g.symbol AS symbol ORDER BY symbol SKIP 1000 LIMIT 5")
    assert len(huge["rows"]) == ResultBudget.rows and huge["truncated"] is True
    assert asked.status_code == 200 and len(asked.text) < 20_000 and asked.json()["truncated"] is True


def test_long_values_are_cut_to_the_character_budget(graph):
    rows = graph.query("MATCH (g:Gene) WHERE g.summary IS NOT NULL RETURN g.symbol AS symbol, g.summary AS summary "
                       "LIMIT 100")
    fitted = fit({"rows": rows, "text": "x" * 30_000}, ResultBudget(rows=100, chars=10_000))
    assert fitted["truncated"] is True and fitted["rows_total"] == 100 and 0 < len(fitted["rows"]) < 100
    assert len(json.dumps(fitted, ensure_ascii=False)) <= 10_000
    assert fit({"rows": rows[:3]}, ResultBudget())["truncated"] is False


def test_lookups_answer_while_heavy_queries_run_and_excess_heavy_work_is_refused(address):
    url = f"http://{address[0]}:{address[1]}"
    with httpx.Client(base_url=url, timeout=120) as client, ThreadPoolExecutor(8) as pool:
        # one worker, four waiting: the sixth and seventh heavy request find the queue full
        heavy = [pool.submit(client.post, "/query", json={"question": HEAVY_QUERY}) for _ in range(7)]
        time.sleep(0.5)
        looked_up = [client.get(f"/genes/{name}") for name in ("HER2", "TP53", "ENSG00000141510")]
        still_running = sum(not f.done() for f in heavy)
        statuses = sorted(f.result().status_code for f in heavy)
    assert [r.json()["symbol"] for r in looked_up] == ["ERBB2", "TP53", "TP53"]
    assert still_running > 0  # the look-ups were answered before the heavy work ended
    assert statuses.count(503) >= 2 and statuses.count(200) >= 1


@pytest.mark.parametrize("cypher", [
    "ＭＡＴＣＨ (n) ＤＥＴＡＣＨ ＤＥＬＥＴＥ n",
    "MATCH (n) DE\u200bTACH DE\u200dLETE n",
    "MATCH (g:Gene) WHERE g.symbol = 'a\\' RETURN 1' ＣＡＬＬ db.labels() RETURN 1",
])
def test_disguised_write_is_403(address, cypher):
    with httpx.Client(base_url=f"http://{address[0]}:{address[1]}", timeout=60) as client:
        response = client.post("/query", json={"question": cypher})
    assert response.status_code == 403 and "read-only" in response.json()["error"]


def test_request_pipelined_behind_a_slow_one_is_answered(address):
    body = json.dumps({"question": HEAVY_QUERY}).encode()
    slow = (b"POST /query HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
    quick = b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    with socket.create_connection(address) as sock:
        sock.sendall(slow)
        time.sleep(0.3)
        sock.sendall(quick)  # it waits behind the slow one for longer than the request timeout
        replies = read_until_closed(sock, limit_s=120)
    assert replies.count(b"HTTP/1.1 200 OK") == 2 and b"408" not in replies.split(b"\r\n", 1)[0]


def test_malformed_http_is_a_json_400(address):
    with socket.create_connection(address) as sock:
        sock.sendall(b"GARBAGE\r\n\r\n")
        reply = read_until_closed(sock, limit_s=30)
    head, _, body = reply.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400") and b"application/json" in head and "error" in json.loads(body)



@pytest.mark.parametrize("sent", [
    b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + b"a" * (32 * 1024 * 1024) + b"\r\n\r\n",
    b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + b"a" * 100_000 + b"\r\n\r\n",  # arrives in one read
    b"GET /genes/" + b"A" * 200_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",  # the request line counts too
], ids=["32 MB header", "100 KB header", "200 KB path"])
def test_huge_headers_are_a_431_and_the_request_never_runs(address, sent):
    with socket.create_connection(address) as sock:
        sock.sendall(sent)  # the server reads and drops the rest, so the reply is not lost to a reset
        reply = read_until_closed(sock, limit_s=30)
    head, _, body = reply.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 431") and "headers pass 65,536 bytes" in json.loads(body)["error"]
