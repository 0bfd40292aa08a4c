"""Parsers stream the real releases, check headers, and name the file and line of bad input."""

import gzip

import pytest

from kg.build import SOURCE_FILES
from kg.errors import ParseError
from kg.paths import data_dir
from kg.sources.clinvar import parse_clinvar_conditions
from kg.sources.encode_metadata import parse_encode_metadata
from kg.sources.enformer_targets import parse_enformer_targets
from kg.sources.gencode_genpos import parse_gencode_genpos
from kg.sources.gene_ontology import parse_go_annotations
from kg.sources.hgnc import chromosome_of, parse_hgnc
from kg.sources.ncbi_gene_info import parse_gene_info


def real(name):
    return data_dir() / SOURCE_FILES[name]


def test_hgnc_multi_valued_fields_are_split_and_unquoted():
    a1bg_as1 = next(g for g in parse_hgnc(real("hgnc")) if g["symbol"] == "A1BG-AS1")
    assert a1bg_as1["previous_symbols"] == ["NCRNA00181", "A1BGAS", "A1BG-AS"]
    assert a1bg_as1["chromosome"] == "19" and a1bg_as1["cytoband"] == "19q13.43"


@pytest.mark.parametrize("location, chromosome", [("17q12", "17"), ("Xp22.33", "X"), ("mitochondria", "MT"),
                                                  ("not on reference assembly", None), ("Yq11.23", "Y")])
def test_chromosome_of_hgnc_location(location, chromosome):
    assert chromosome_of(location) == chromosome


def test_ncbi_cross_references():
    first = next(parse_gene_info(real("ncbi_gene_info")))
    assert first["hgnc_id"] == "HGNC:5" and first["ensembl_id"] == "ENSG00000121410" and first["omim_id"] == "138670"


def test_encode_metadata_groups_files_into_experiments_and_strips_species():
    experiments = list(parse_encode_metadata(real("encode_metadata")))
    assert len(experiments) == 1645
    assert sum(len(e["file_accessions"]) for e in experiments) == 1674
    assert not any(e["target"].endswith("-human") for e in experiments if e["target"])


def test_enformer_targets_split_chip_target_from_biosample():
    tracks = list(parse_enformer_targets(real("enformer_targets")))
    assert len(tracks) == 5313
    chip = next(t for t in tracks if t["description"] == "CHIP:CTCF:MCF-7")
    assert (chip["assay"], chip["target"], chip["biosample"]) == ("CHIP", "CTCF", "MCF-7")


def test_clinvar_marks_mondo_ids():
    first = next(parse_clinvar_conditions(real("clinvar")))
    assert first["mondo_id"] == "MONDO:0008162" and first["medgen_id"] == "C1833692"


def test_missing_header_column_names_file_and_line(tmp_path):
    bad = tmp_path / "hgnc.txt"
    bad.write_text("hgnc_id\tsymbol\nHGNC:5\tA1BG\n")
    with pytest.raises(ParseError, match=r"hgnc.txt:1: header lacks column"):
        list(parse_hgnc(bad))


def test_short_row_names_file_and_line(tmp_path):
    lines = (data_dir() / SOURCE_FILES["clinvar"]).read_text().splitlines()[:4]
    lines[3] = lines[3].split("\t", 1)[0]
    bad = tmp_path / "gene_condition_source_id.txt"
    bad.write_text("\n".join(lines) + "\n")
    with pytest.raises(ParseError, match=r"gene_condition_source_id.txt:4: expected 9 fields, found 1"):
        list(parse_clinvar_conditions(bad))


def test_bad_values_name_file_and_line(tmp_path):
    genpos = tmp_path / "v19.txt.gz"
    with gzip.open(genpos, "wt") as out:
        out.write("TMEM82|ENSG00000162460.6\tchr1\t16068917\t16074477\nNIT1\tchr1\tnot-a-number\t5\n")
    with pytest.raises(ParseError, match=r"v19.txt.gz:2: expected NAME\|ENSG"):
        list(parse_gencode_genpos(genpos))
    go = tmp_path / "go.csv"
    go.write_text("source_id,target_id,type,experimental\n1,GO:1,direct,True\n2,GO:2,sideways,True\n")
    with pytest.raises(ParseError, match=r"go.csv:3: type must be direct or inferred"):
        list(parse_go_annotations(go))


def test_truncated_gzip_is_reported(tmp_path):
    whole = real("gencode_v19").read_bytes()
    cut = tmp_path / "cut.txt.gz"
    cut.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(ParseError, match="cut.txt.gz"):
        list(parse_gencode_genpos(cut))


def test_missing_file_is_reported(tmp_path):
    with pytest.raises(ParseError, match="file not found"):
        list(parse_hgnc(tmp_path / "absent.txt"))
