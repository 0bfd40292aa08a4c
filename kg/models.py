"""Records returned by the `GeneGraph` API. Plain pydantic models, identical on every backend."""

from typing import Literal

from pydantic import BaseModel, Field

from kg.schema import record_model

NameKind = Literal["official", "ncbi_symbol", "previous", "alias", "synonym", "gencode_v23", "gencode_v19",
                   "identifier"]

# Evidence that a name means a gene, by the kind of name: an official symbol beats any alias. (kg/graph.py
# adds the evidence of the gene itself when a name is shared.)
NAME_KIND_WEIGHT = {"identifier": 10.0, "official": 8.0, "ncbi_symbol": 6.0, "previous": 5.0, "alias": 4.0,
                    "synonym": 3.0, "gencode_v23": 2.0, "gencode_v19": 1.5}
# Lower rank is the stronger kind of name (0 = identifier).
NAME_KIND_RANK: dict[str, int] = {kind: rank for rank, kind in enumerate(
    sorted(NAME_KIND_WEIGHT, key=NAME_KIND_WEIGHT.get, reverse=True))}
NAME_KIND_WORDS = {
    "identifier": "an identifier", "official": "official HGNC symbol", "ncbi_symbol": "NCBI Gene symbol",
    "previous": "previous HGNC symbol", "alias": "HGNC alias", "synonym": "NCBI Gene synonym",
    "gencode_v23": "GENCODE v23 name", "gencode_v19": "GENCODE v19 name",
}


class GeneRecord(BaseModel):
    @property
    def is_protein_coding(self) -> bool:
        return self.locus_group == "protein-coding gene"

    @property
    def ucsc_chromosome(self) -> str | None:
        return f"chr{self.chromosome}" if self.chromosome else None


Gene = record_model("Gene", base=GeneRecord)


class Candidate(BaseModel):
    gene_id: str
    hgnc_id: str | None = None
    symbol: str
    name: str | None = None
    reason: NameKind
    locus_group: str | None = None
    go_annotation_count: int | None = None
    condition_count: int | None = None
    score: float = Field(0.0, description="evidence that the name means this gene; higher is likelier")
    why: list[str] = Field([], description="the evidence behind the score, in words")


class Resolution(BaseModel):
    query: str
    candidates: list[Candidate] = Field(description="ranked by evidence, likeliest first")
    ambiguous: bool = Field(description="true when the name stands for several genes")
    guess: bool = Field(False, description="true when the two likeliest genes are close: the first is a guess")

    @property
    def best(self) -> Candidate | None:
        return self.candidates[0] if self.candidates else None

    @property
    def others(self) -> list[Candidate]:
        return self.candidates[1:]

    @property
    def top(self) -> list[Candidate]:
        """The candidates matched by the best kind of name (several when that kind is shared)."""
        if not self.candidates:
            return []
        best = min(NAME_KIND_RANK[c.reason] for c in self.candidates)
        return [c for c in self.candidates if NAME_KIND_RANK[c.reason] == best]


class GoTerm(BaseModel):
    go_id: str
    name: str
    aspect: Literal["BP", "MF", "CC"]
    direct: bool = Field(True, description="false when inferred through is_a from a more specific term")
    experimental: bool = False


Disease = record_model("Disease", score=(float | None, Field(None, description="match score when found by name")),
                       matched_name=(str | None, Field(None, description="the name or synonym the query matched")))
Experiment = record_model("Experiment")
Track = record_model("Track")
