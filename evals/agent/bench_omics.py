"""Which varied omics questions `geneverse query` and `geneverse ask` answer, and with what: prints each
question's route, result size and summary, and the counts answered. Both read the question into the same
typed plan; `query` answers with the query's rows, `ask` with the agent's reply.

    python -m evals.agent.bench_omics [--questions evals/agent/omics_questions.txt]

'Answered' means a query ran and returned rows; a question about data the graph lacks counts as answered
when it is reported as such (NotInData), since that is the right answer."""

import argparse
from pathlib import Path

DEFAULT = Path(__file__).with_name("omics_questions.txt")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--questions", type=Path, default=DEFAULT)
    args = parser.parse_args()
    from agent.graph import GeneverseAgent
    from kg.errors import GeneverseError
    from kg.graph import open_graph

    graph = open_graph()
    agent = GeneverseAgent(graph)
    questions = [line.strip() for line in args.questions.read_text(encoding="utf-8").splitlines()
                 if line.strip() and not line.startswith("#")]
    by_query = by_ask = 0
    for question in questions:
        try:
            result = agent.query(question)
            query_ok, query_said = bool(result.rows), result.summary
        except GeneverseError as err:
            query_ok, query_said = "holds no" in str(err), f"error: {err}"
        reply = agent.ask(question)
        ask_ok = bool(reply.rows) or bool(reply.error and "holds no" in reply.error)
        by_query += query_ok
        by_ask += ask_ok
        print(f"{'Q' if query_ok else '-'}{'A' if ask_ok else '-'} {question}\n     query: {query_said[:150]}\n"
              f"     ask [{reply.route}]: {(reply.text or '')[:150]}")
    print(f"answered: query {by_query}/{len(questions)}, ask {by_ask}/{len(questions)}")


if __name__ == "__main__":
    main()
