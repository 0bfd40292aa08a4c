"""Neo4j 5 through the official driver: batched UNWIND loads and read transactions.

Neo4j Community has one database, so the build swaps graphs inside one transaction: delete the
previous graph's nodes, load the new rows, commit. If anything fails the transaction rolls back
and the previous graph is untouched. (Give the server heap for ~2 M writes; compose.yaml does.)
"""

import json
import os

from kg.errors import BackendUnavailable, GeneverseError, GraphNotBuilt
from kg.schema import neo4j_load, neo4j_schema, node_labels, schema

BATCH = 5_000
LABELS = [*node_labels(), "GraphBuild"]


def connect(uri: str | None = None, user: str | None = None, password: str | None = None):
    from neo4j import GraphDatabase
    from neo4j.exceptions import AuthError, ServiceUnavailable

    uri = uri or os.environ.get("NEO4J_URI")
    if not uri:
        raise BackendUnavailable("Neo4j backend needs a URI: pass --uri or set NEO4J_URI")
    auth = (user or os.environ.get("NEO4J_USER", "neo4j"), password or os.environ.get("NEO4J_PASSWORD", "neo4j"))
    driver = GraphDatabase.driver(uri, auth=auth)
    try:
        driver.verify_connectivity()
    except (ServiceUnavailable, AuthError, OSError, ValueError) as err:
        driver.close()
        raise BackendUnavailable(f"cannot reach Neo4j at {uri}: {err}") from None
    return driver


def build(tables: dict[str, list[dict]], uri: str | None, manifest: dict, step=lambda _: None) -> str:
    driver = connect(uri)
    database = os.environ.get("NEO4J_DATABASE")
    try:
        with driver.session(database=database) as session:
            for ddl in neo4j_schema():  # schema changes may not share a transaction with data
                session.run(ddl).consume()
            with session.begin_transaction() as tx:
                step("remove previous graph")
                tx.run("MATCH (n) WHERE any(l IN labels(n) WHERE l IN $labels) DETACH DELETE n", labels=LABELS).consume()
                for table in schema():
                    step(f"UNWIND {table}")
                    rows, load = tables[table], neo4j_load(table)
                    for start in range(0, len(rows), BATCH):
                        tx.run(load, rows=rows[start:start + BATCH]).consume()
                tx.run("CREATE (b:GraphBuild) SET b.manifest = $manifest", manifest=json.dumps(manifest)).consume()
                tx.commit()
    finally:
        driver.close()
    return uri or os.environ["NEO4J_URI"]


class Neo4jStore:
    name = "neo4j"

    def __init__(self, uri: str | None = None, user: str | None = None, password: str | None = None):
        self._driver = connect(uri, user, password)
        self._database = os.environ.get("NEO4J_DATABASE")
        self.location = uri or os.environ["NEO4J_URI"]
        found = self.run("MATCH (b:GraphBuild) RETURN b.manifest AS manifest")
        if not found:
            self._driver.close()
            raise GraphNotBuilt(self.location)
        self.manifest = json.loads(found[0]["manifest"])

    def run(self, query: str, params: dict | None = None, max_rows: int | None = None) -> list[dict]:
        """The query's rows; with `max_rows`, only that many are fetched (the rest are never streamed)."""
        from itertools import islice

        from neo4j.exceptions import Neo4jError

        def work(tx):
            return [record.data() for record in islice(tx.run(query, params or {}), max_rows)]

        try:
            with self._driver.session(database=self._database, default_access_mode="READ") as session:
                return session.execute_read(work)
        except Neo4jError as err:
            raise GeneverseError(f"graph query failed: {err.message}") from None

    def columns(self, query: str, params: dict | None = None) -> dict[str, list]:
        rows = self.run(query, params)
        return {key: [row[key] for row in rows] for key in (rows[0] if rows else {})}

    def close(self) -> None:
        self._driver.close()
