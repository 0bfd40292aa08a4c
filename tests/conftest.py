"""Shared fixtures. The whole graph is built once per test session from the vendored data into a
throwaway GENEVERSE_HOME; converted models stay in the user's cache so they are made only once."""

import os
import sys
import tempfile
from pathlib import Path

import pytest

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ.setdefault("GENEVERSE_MODELS", str(Path.home() / ".cache" / "geneverse" / "models"))
# the `geneverse` console script of this interpreter, for tests that run the CLI as a user does
os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
_TEST_HOME = Path(tempfile.mkdtemp(prefix="geneverse-test-home-"))
os.environ["GENEVERSE_HOME"] = str(_TEST_HOME)


@pytest.fixture(scope="session")
def graph_home() -> Path:
    """GENEVERSE_HOME of the session, with the full graph built in it."""
    from kg.build import build_graph
    from kg.paths import graph_dir

    if not graph_dir(_TEST_HOME).exists():
        build_graph(home=_TEST_HOME)
    return _TEST_HOME


@pytest.fixture(scope="session")
def graph(graph_home):
    from kg.graph import open_graph

    g = open_graph(backend="ladybug", home=graph_home)
    yield g
    g.close()
