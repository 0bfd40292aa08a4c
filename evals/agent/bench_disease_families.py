"""Genes of a condition family: asked by the name of the family ('Joubert syndrome', 'Hyperphenylalaninemia'),
the agent should answer every member's genes; asked by a member's name ('Joubert syndrome 3'), that member's.

Families are read from the graph's own condition names by one plain pattern, apart from the grouping the
agent uses: a stem followed by a number, roman numeral or letter ('X 2', 'X, type IIA', 'X complementation
group C'), by an inheritance ('X, autosomal recessive') or by a cause ('X due to ...'). A family is two or
more conditions that share a stem; its gold genes are theirs and those of a condition named the stem itself.
Families alternate by a seeded hash of the stem between a tuning half and a test half, reported by default.

    python -m evals.agent.bench_disease_families [--split test|tune] [--misses N]

Prints one JSON object of figures: mean recall of the gold genes over family questions, the share
answered in full, mean precision, and the share of member questions answered with exactly that member's genes.
"""

import argparse
import hashlib
import json
import re
from collections import defaultdict

MEMBER = re.compile(
    r"^(?P<stem>[A-Za-z][^,()]*?)(?:,)?\s+(?:(?i:type|group|complementation group)\s+)?"
    r"(?:\d+[A-Z]{0,2}|[IVX]+[A-Z]?|[A-Z])$"
    r"|^(?P<stem2>[A-Za-z][^,()]*?),?\s+(?:autosomal|X-linked)\s+(?:dominant|recessive)(?:\s+\d+[A-Z]?)?$"
    r"|^(?P<stem3>[A-Za-z][^,()]*?)\s+due\s+to\s+.+$")
SEED = "disease-families-1"


def half(stem: str) -> str:
    return "test" if hashlib.sha256(f"{SEED}:{stem}".encode()).digest()[0] % 2 else "tune"


def families(graph) -> dict[str, dict]:
    """stem (lower case) -> {'name': stem as written, 'members': {condition id: name}}, two or more members."""
    index = graph.disease_names
    grouped: dict[str, dict] = {}
    for disease_id, name, _ in index.names:
        match = MEMBER.match(name.strip())
        if not match:
            continue
        stem = next(s for s in match.group("stem", "stem2", "stem3") if s).strip()
        family = grouped.setdefault(stem.lower(), {"name": stem, "members": {}})
        family["members"].setdefault(disease_id, index.primary[disease_id])
    named = {name.lower(): disease_id for disease_id, name, _ in index.names}
    out = {}
    for key, family in grouped.items():
        if len(family["members"]) < 2:
            continue
        if key in named:  # the condition named the stem itself belongs to its family
            family["members"].setdefault(named[key], index.primary[named[key]])
        out[key] = family
    return out


def genes_by_condition(graph, ids: list[str]) -> dict[str, set[str]]:
    found: dict[str, set[str]] = defaultdict(set)
    rows = graph._run("genes_of_diseases", ids=ids)
    symbols = {g.gene_id: g.symbol for g in graph.genes(sorted({r["gene_id"] for r in rows}))}
    for row in rows:
        found[row["disease_id"]].add(symbols[row["gene_id"]])
    return found


def answered(reply) -> set[str]:
    return {s.strip() for s in re.split(r",\s*", reply.answer or "") if s.strip()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=["test", "tune"], default="test")
    parser.add_argument("--misses", type=int, default=0, help="print this many family questions answered short")
    args = parser.parse_args()
    from agent.graph import GeneverseAgent
    from kg.graph import open_graph

    graph = open_graph()
    agent = GeneverseAgent.from_env(graph=graph)  # as `geneverse ask` answers, model parser included
    chosen = {k: f for k, f in families(graph).items() if half(k) == args.split}
    genes = genes_by_condition(graph, sorted({i for f in chosen.values() for i in f["members"]}))
    recalls, precisions, members_right, members_asked, misses = [], [], 0, 0, []
    for key in sorted(chosen):
        family = chosen[key]
        gold = set().union(*(genes[i] for i in family["members"]))
        if not gold:
            continue
        said = answered(agent.ask(f"Which genes are associated with {family['name']}?"))
        recalls.append(len(said & gold) / len(gold))
        precisions.append(len(said & gold) / len(said) if said else 0.0)
        if recalls[-1] < 1:
            misses.append((family["name"], recalls[-1], sorted(gold - said)[:6]))
        # one member, asked by its own name: the first numbered one whose genes differ from the family's
        member = next((i for i in sorted(family["members"]) if genes[i] and genes[i] != gold
                       and family["members"][i].lower() != key), None)
        if member:
            members_asked += 1
            reply = agent.ask(f"Which genes are associated with {family['members'][member]}?")
            members_right += answered(reply) == genes[member]
    n = len(recalls)
    print(json.dumps({"split": args.split, "families": n, "recall": round(sum(recalls) / n, 3),
                      "full_recall": round(sum(r == 1 for r in recalls) / n, 3),
                      "precision": round(sum(precisions) / n, 3), "member_questions": members_asked,
                      "member_exact": round(members_right / max(members_asked, 1), 3)}))
    for name, recall, missing in misses[:args.misses]:
        print(f"  {recall:.2f}  {name}  missing {', '.join(missing)}")


if __name__ == "__main__":
    main()
