"""Records returned by the `GeneGraph` API. Plain pydantic models, identical on every backend."""

from typing import Literal

from pydantic import BaseModel, Field

NameKind = Literal["official", "previous", "alias", "synonym", "gencode_v23", "gencode_v19", "identifier"]

# Lower rank wins when one name points to several genes.
NAME_KIND_RANK: dict[str, int] = {
    "identifier": 0,
    "official": 1,
    "previous": 2,
    "alias": 3,
    "synonym": 4,
    "gencode_v23": 5,
    "gencode_v19": 6,
}


class Gene(BaseModel):
    gene_id: str = Field(description="graph key: the HGNC id, or the Ensembl id for genes HGNC lacks")
    hgnc_id: str | None = None
    symbol: str
    name: str | None = None
    locus_group: str | None = None
    locus_type: str | None = None
    entrez_id: str | None = None
    ensembl_id: str | None = None
    uniprot_ids: list[str] = []
    omim_id: str | None = None
    refseq: list[str] = []
    chromosome: str | None = Field(None, description="'17', 'X', 'MT'; without the chr prefix")
    cytoband: str | None = None
    start: int | None = Field(None, description="1-based GRCh38 gene start")
    end: int | None = None
    strand: str | None = None
    tss: int | None = Field(None, description="1-based GRCh38 transcription start site")
    summary: str | None = Field(None, description="RefSeq gene summary")
    aliases: list[str] = []
    previous_symbols: list[str] = []
    synonyms: list[str] = Field([], description="NCBI Gene synonyms")
    gencode_names: list[str] = Field([], description="names of this gene in GENCODE v19 / v23")
    gene_groups: list[str] = Field([], description="HGNC gene groups (families) the gene belongs to")
    source: str = Field("HGNC", description="where the record came from: HGNC, GENCODE v23, GENCODE v19, MyGene.info")

    @property
    def is_protein_coding(self) -> bool:
        return self.locus_group == "protein-coding gene"

    @property
    def ucsc_chromosome(self) -> str | None:
        return f"chr{self.chromosome}" if self.chromosome else None


class Candidate(BaseModel):
    gene_id: str
    hgnc_id: str | None = None
    symbol: str
    name: str | None = None
    reason: NameKind


class Resolution(BaseModel):
    query: str
    candidates: list[Candidate] = Field(description="ranked: official before previous before alias ...")
    ambiguous: bool = Field(description="true when several genes share the best-ranked reason")

    @property
    def best(self) -> Candidate | None:
        return self.candidates[0] if self.candidates else None

    @property
    def top(self) -> list[Candidate]:
        """All candidates that share the best rank (several when ambiguous)."""
        if not self.candidates:
            return []
        best = NAME_KIND_RANK[self.candidates[0].reason]
        return [c for c in self.candidates if NAME_KIND_RANK[c.reason] == best]


class GoTerm(BaseModel):
    go_id: str
    name: str
    aspect: Literal["BP", "MF", "CC"]
    direct: bool = Field(True, description="false when inferred through is_a from a more specific term")
    experimental: bool = False


class Disease(BaseModel):
    disease_id: str = Field(description="MedGen concept id for ClinVar conditions, else OMIM:/ORPHA: id")
    name: str | None = None
    medgen_id: str | None = None
    omim_id: str | None = None
    mondo_id: str | None = None
    hpo_ids: list[str] = Field([], description="OMIM:/ORPHA: ids of HPO genes_to_disease for this condition")
    sources: list[str] = []
    score: float | None = Field(None, description="match score when found by name")


class Experiment(BaseModel):
    accession: str
    assay: str
    target: str | None = None
    target_gene: str | None = Field(None, description="official symbol when the target is a gene")
    biosample: str
    biosample_type: str | None = None
    source: str = Field(description="ENCODE metadata.tsv or Enformer/Borzoi track lists")
    file_accessions: list[str] = []


class Track(BaseModel):
    index: int = Field(description="Enformer human output index (0..5312)")
    identifier: str
    assay: str = Field(description="DNASE, ATAC, CHIP or CAGE")
    target: str | None = None
    biosample: str
    description: str
    experiment: str | None = Field(None, description="ENCODE experiment accession when known")
