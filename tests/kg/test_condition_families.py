"""Condition families read from the graph's own names: a family name stands for all its members, a member's
name for that member alone."""

from kg.disease_names import head_words, name_words


def test_heads_drop_numbering_inheritance_and_qualifiers():
    for name, head in [("Spinocerebellar ataxia, autosomal recessive 1", "spinocerebellar ataxia"),
                       ("Autosomal recessive limb-girdle muscular dystrophy type 2L", "limb-girdle muscular dystrophy"),
                       ("Microcephalic primordial dwarfism due to ZNF335 deficiency", "microcephalic primordial dwarfism"),
                       ("Orofaciodigital syndrome V", "orofaciodigital syndrome"),
                       ("X-linked Charcot-Marie-Tooth disease 1", "Charcot-Marie-Tooth disease"),
                       ("Type 1 diabetes mellitus 22", "type 1 diabetes mellitus"),
                       ("3-Methylglutaconic aciduria type 1", "3-methylglutaconic aciduria")]:
        assert head_words(name) == name_words(head), name


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
    assert index.family("Bare lymphocyte syndrome type 2") == []
    assert index.family("Diabetes mellitus, permanent neonatal 2") == []
    assert index.family("Cystic fibrosis") == []  # one condition, recorded by ClinVar and by HPO


def test_family_members_come_with_their_genes(graph):
    family = graph.disease_family("Bare lymphocyte syndrome")
    genes = {d.name: {g.symbol for g in gs} for d, gs in family}
    assert [d.name for d, _ in family] == ["Bare lymphocyte syndrome, type I", "Bare lymphocyte syndrome, type II"]
    assert {"TAP1", "TAP2"} <= genes["Bare lymphocyte syndrome, type I"]
    assert "CIITA" in genes["Bare lymphocyte syndrome, type II"]


def test_a_number_or_letter_inside_a_name_names_a_member(graph):
    index = graph.disease_names
    assert index.family("Type 1 diabetes mellitus")  # its own family: 'Type 1 diabetes mellitus 2' ...
    assert index.family("Type 2 diabetes mellitus") == []  # not 'Diabetes mellitus, permanent neonatal 2'
    assert index.family("Severe hereditary thrombophilia due to congenital protein S deficiency") == []
    assert index.family("D-2-hydroxyglutaric aciduria") and index.family("D-2-hydroxyglutaric aciduria 2") == []
