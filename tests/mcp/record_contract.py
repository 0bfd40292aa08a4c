"""Record the MCP contract fixtures: one request per public tool (and the worst realistic one of the tools that
list), its response as the official client reads it. The contract test replays them against the server.

    python tests/mcp/record_contract.py      # rewrites tests/mcp/fixtures/contract.json from the built graph
"""

import json
from pathlib import Path

import anyio
from mcp import Client

from agent.graph import GeneverseAgent
from agent.mcp_server import create_server
from kg.graph import open_graph

FIXTURES = Path(__file__).parent / "fixtures" / "contract.json"
REQUESTS = [
    ("geneverse_official_symbol", {"gene": "HER2"}),
    ("geneverse_identifier", {"gene": "TP53", "kind": "ensembl"}),
    ("geneverse_chromosome", {"gene": "XIST"}),
    ("geneverse_cytoband", {"gene": "BRCA1"}),
    ("geneverse_protein_coding", {"gene": "MALAT1"}),
    ("geneverse_diseases_of_gene", {"gene": "CFTR"}),
    ("geneverse_genes_of_disease", {"disease": "Cystic fibrosis"}),
    ("geneverse_go_terms", {"gene": "TP53"}),
    ("geneverse_go_enrichment", {"genes": ["CDK1", "CCNB1", "CDC20", "PLK1", "BUB1"]}),
    ("geneverse_query_plan", {"plan": {"find": "gene", "op": "list", "where": [{"on": "chromosome", "values": ["1"]}]}}),
    ("geneverse_describe", {"gene": "GLI1"}),
    ("geneverse_gene_overview", {"gene": "TP53"}),
    ("geneverse_tracks", {"gene": "GATA4", "assay": "DNase-seq", "biosample": "K562"}),
    ("geneverse_variant", {"variants": ["chr8:11700000 G>A"], "assay": "DNase-seq", "biosample": "K562"}),
    ("geneverse_protein_image", {"image_path": "data/alphafold/AF-Q9BVV7-F1-model_v1.pdb"}),
    ("geneverse_marker_gene", {"image_path": "missing.png", "gene": "GATA3", "cell_type": "luminal cells"}),
    ("geneverse_retrieval", {"text": "a transcription factor of the hedgehog pathway"}),
    ("geneverse_ask", {"question": "Which genes are on chromosome 1?"}),
    ("geneverse_ask", {"question": "What are the aliases of CDKN2A?"}),
    ("geneverse_query", {"question": "Which genes are on chromosome 1?"}),
    ("geneverse_query", {"question": "MATCH (g:Gene) RETURN g.symbol AS symbol, g.summary AS summary"}),
    ("geneverse_query", {"question": "Which biosamples have POLR2A ChIP-seq?", "offset": 10, "limit": 5}),
    ("geneverse_correct", {"gene": "TP53", "text": "TP53 is a gene on chromosome 5 at 5q31."}),
]


def record(server) -> list[dict]:
    async def main():
        async with Client(server, mode="legacy") as client:
            recorded = []
            for name, arguments in REQUESTS:
                result = await client.call_tool(name, arguments)
                recorded.append({"tool": name, "arguments": arguments, "is_error": result.is_error,
                                 "content": [c.text for c in result.content],
                                 "structured_content": result.structured_content})
            return recorded
    return anyio.run(main)


if __name__ == "__main__":
    FIXTURES.write_text(json.dumps(record(create_server(GeneverseAgent(open_graph()))), indent=1,
                                   ensure_ascii=False) + "\n")
    print(f"wrote {len(REQUESTS)} requests to {FIXTURES}")
