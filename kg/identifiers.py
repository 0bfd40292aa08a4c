"""Identifier patterns shared by everything that reads gene ids out of text or questions."""

# UniProt accession format (uniprot.org/help/accession_numbers).
UNIPROT_ACCESSION = r"[OPQ][0-9][A-Z0-9]{3}[0-9]|[A-NR-Z][0-9](?:[A-Z][A-Z0-9]{2}[0-9]){1,2}"
ENSEMBL_GENE = r"ENSG\d{11}"
