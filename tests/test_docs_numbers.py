"""The numbers README.md and docs/ quote are the JSON results', not copies by hand: every
marked block (``<!-- results:NAME -->`` / ``.. results:NAME``) must read exactly as
``python benchmarks/run.py --render`` generates it from ``benchmarks/results/``."""

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

run = pytest.importorskip("run")
from harness import results  # noqa: E402

SUITES = {name: run.suite(name) for name in run.SUITES}


def _blocks():
    found = []
    for doc in results._documents(ROOT):
        found += [(doc, name) for name in results.block_names(doc.read_text())]
    return found


def test_documents_quote_marked_blocks():
    names = {name for _, name in _blocks()}
    assert {"uci.nll", "fit_cost.fit", "scale.table"} <= names


@pytest.mark.parametrize("doc", sorted({d for d, _ in _blocks()}), ids=lambda p: p.name)
def test_blocks_match_the_results(doc):
    text = doc.read_text()
    style = "rst" if doc.suffix == ".rst" else "md"
    rendered = results.render_text(text, style, SUITES)
    assert rendered == text, (
        f"{doc.relative_to(ROOT)} quotes numbers that differ from benchmarks/results/: "
        "run `python benchmarks/run.py --render`"
    )


@pytest.mark.parametrize("name", sorted({n for _, n in _blocks()}))
def test_every_block_names_a_suite_and_block(name):
    stem, _, block = name.partition(".")
    suite = results.suite_of(stem, SUITES)
    assert suite in SUITES, name
    data = results.load(stem)
    if data is not None and "cannot give" not in results.render_block(name, "md", SUITES):
        assert block in SUITES[suite].blocks(data, "md")
