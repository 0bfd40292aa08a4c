"""Condition families read from the graph's own names: a family name stands for all its members, a member's
name for that member alone."""

from kg.disease_names import head_words, names_a_member


def test_heads_drop_numbering_inheritance_and_qualifiers():
    assert head_words("Spinocerebellar ataxia, autosomal recessive 1") == {"spinocerebellar", "ataxia"}
    assert head_words("Autosomal recessive limb-girdle muscular dystrophy type 2L") == \
        {"limb", "girdle", "muscular", "dystrophy"}
    assert head_words("Microcephalic primordial dwarfism due to ZNF335 deficiency") == \
        {"microcephalic", "primordial", "dwarfism"}
    assert head_words("Orofaciodigital syndrome V") == {"orofaciodigital", "syndrome"}


def test_a_name_ending_in_a_number_or_letter_names_a_member():
    assert names_a_member("Bare lymphocyte syndrome type 2") and names_a_member("Bardet-Biedl syndrome 11")
    assert not names_a_member("Bare lymphocyte syndrome") and not names_a_member("46,XY sex reversal")


def test_a_family_name_stands_for_its_members(graph):
    index = graph.disease_names
    members = {index.primary[i] for i in index.family("Bare lymphocyte syndrome")}
    assert members == {"Bare lymphocyte syndrome, type I", "Bare lymphocyte syndrome, type II"}
    # the members of 'X, autosomal dominant' and 'Autosomal dominant X 4' are one family, found by either order
    by_inheritance = {index.primary[i] for i in index.family("autosomal dominant Parkinson disease")}
    assert len(by_inheritance) >= 3 and all("parkinson" in name.lower() for name in by_inheritance)


def test_a_member_or_a_single_condition_is_no_family(graph):
    index = graph.disease_names
    assert index.family("Bare lymphocyte syndrome, type II") == []
    assert index.family("Cystic fibrosis") == []  # one condition, recorded by ClinVar and by HPO


def test_family_members_come_with_their_genes(graph):
    family = graph.disease_family("Bare lymphocyte syndrome")
    genes = {d.name: {g.symbol for g in gs} for d, gs in family}
    assert [d.name for d, _ in family] == ["Bare lymphocyte syndrome, type I", "Bare lymphocyte syndrome, type II"]
    assert {"TAP1", "TAP2"} <= genes["Bare lymphocyte syndrome, type I"]
    assert "CIITA" in genes["Bare lymphocyte syndrome, type II"]
