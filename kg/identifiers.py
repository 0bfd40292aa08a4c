"""Identifier patterns shared by everything that reads gene ids out of text or questions."""

import re

# UniProt accession format (uniprot.org/help/accession_numbers).
UNIPROT_ACCESSION = r"[OPQ][0-9][A-Z0-9]{3}[0-9]|[A-NR-Z][0-9](?:[A-Z][A-Z0-9]{2}[0-9]){1,2}"
ENSEMBL_GENE = r"ENSG\d{11}"

# An ENCODE target written as a tagged construct ('eGFP-CTCF', '3xFLAG-RERE') names the same protein as its target.
TAGGED_TARGET = re.compile(r"^(?:eGFP|GFP|YFP|3xFLAG|FLAG|HA|V5|Myc|mCherry)-", re.IGNORECASE)

# A histone mark as ENCODE and Enformer name targets ('H3K27ac', 'H3K4me3', 'H2AFZ', 'H4K20me1').
HISTONE_MARK = re.compile(r"^H(?:[1-4]|2A|2B)(?:\.\w+)?(?:K\d+(?:ac|me[1-3]?|ub\d?|cr|bu)?|FZ|AFZ|\.Z)?$|^H2AFZ$",
                          re.IGNORECASE)


def target_class(target: str | None) -> str | None:
    """'histone mark' or 'transcription factor' (any other protein ChIP'd: TFs, polymerase, cofactors)."""
    if not target:
        return None
    return "histone mark" if HISTONE_MARK.match(TAGGED_TARGET.sub("", target)) else "transcription factor"
