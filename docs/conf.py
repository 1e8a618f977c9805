"""Sphinx configuration of the sk_hypergan documentation.

Build (from the repository root; nothing is fetched from the network):

    python -m sphinx -W --keep-going -b html docs docs/_build/html

The gallery runs every ``examples/plot_*.py`` and renders it into
``docs/auto_examples``; ``-D plot_gallery=0`` skips running them.
"""

import importlib.util
import os
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Document the checkout, even when another sk_hypergan is installed.
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

import sk_hypergan  # noqa: E402

# The gallery's networks are tiny: one thread avoids oversubscribing shared
# CPUs and is the fastest setting for them.
torch.set_num_threads(1)
os.environ.setdefault("MPLBACKEND", "Agg")

# -- Benchmark results --------------------------------------------------------
# benchmarks.rst includes generated/benchmark_results.inc, written here from
# the reports (*.md) that benchmarks/run.py wrote to
# benchmarks/results/ before the build; nothing is included if there are none.
RESULTS = Path(os.environ.get("SK_HYPERGAN_BENCHMARK_RESULTS", ROOT / "benchmarks" / "results"))
DOCS = Path(__file__).resolve().parent
GENERATED = DOCS / "generated"

# Without myst-parser the reports are shown as markdown source.
HAVE_MYST = importlib.util.find_spec("myst_parser") is not None


def _from_docs(path):
    """``path`` as Sphinx's source-relative "/..." form, valid in any directive."""
    return "/" + Path(os.path.relpath(Path(path).resolve(), DOCS)).as_posix()


def _select_reports(results):
    """Full runs (``uci.md``) first; a quick run (``uci_quick.md``) only when its
    benchmark has no full report."""
    reports = sorted(results.glob("*.md")) if results.is_dir() else []
    full = [p for p in reports if not p.stem.endswith("_quick")]
    has_full = {p.stem for p in full}
    tagged = [p for p in reports
              if p.stem.endswith("_quick") and p.stem[: -len("_quick")] not in has_full]
    order = {"uci": 0, "toy1d": 1}
    return sorted(full, key=lambda p: (order.get(p.stem, 9), p.stem)) + tagged


def _relocate_images(markdown, md_path):
    """Rewrite the report's relative image paths so they resolve from docs/."""

    def fix(match):
        alt, target = match.group(1), match.group(2)
        if "://" in target or target.startswith("/"):
            return match.group(0)
        return f"![{alt}]({_from_docs(md_path.parent / target)})"

    return re.sub(r"!\[([^\]]*)\]\(([^)\s]+)\)", fix, markdown)


def _benchmark_results_rst():
    reports = _select_reports(RESULTS)
    if not reports:
        return (
            "No benchmark results were present when this documentation was built.\n"
            "Run ``python benchmarks/run.py uci`` (see ``benchmarks/README.md``) and rebuild\n"
            "the documentation to show them here.\n"
        )
    parts = []
    for md in reports:
        source = f"``benchmarks/results/{md.name}``"
        json_file = md.with_suffix(".json")
        if json_file.exists():
            source += f" (all numbers: :download:`{json_file.name} <{_from_docs(json_file)}>`)"
        parts.append(f"From {source}:\n")
        if HAVE_MYST:
            # A copy with image paths relocated; not a .md file, so Sphinx
            # does not take it for a page of its own.
            copy = GENERATED / f"report_{md.stem}.mdinc"
            _write_if_changed(copy, _relocate_images(md.read_text(), md))
            parts.append(f".. include:: {_from_docs(copy)}\n   :parser: myst_parser.sphinx_\n")
        else:
            parts.append(f".. literalinclude:: {_from_docs(md)}\n   :language: markdown\n")
    return "\n".join(parts)


def _write_if_changed(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists() or path.read_text() != text:
        path.write_text(text)


_write_if_changed(GENERATED / "benchmark_results.inc", _benchmark_results_rst())

# -- Project -----------------------------------------------------------------
project = "sk_hypergan"
author = "sk_hypergan developers"
copyright = "sk_hypergan developers"
version = release = sk_hypergan.__version__

# -- General -----------------------------------------------------------------
extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]
if HAVE_MYST:
    extensions.append("myst_parser")
    myst_enable_extensions = []
templates_path = ["_templates"]
exclude_patterns = ["_build", "**.ipynb_checkpoints", "auto_examples/*.md5"]
source_suffix = {".rst": "restructuredtext"}
root_doc = "index"
default_role = "literal"

autosummary_generate = True
autodoc_default_options = {}
autodoc_typehints = "none"

# numpydoc renders the Parameters / Attributes tables; autosummary's class
# template lists the methods, so numpydoc's own member lists are off.
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False

# No intersphinx: the build must not touch the network.

# -- HTML --------------------------------------------------------------------
html_theme = "alabaster"
html_theme_options = {
    "description": "A distribution of neural networks as one scikit-learn estimator",
    "fixed_sidebar": True,
    "page_width": "1100px",
    "sidebar_width": "230px",
}
html_static_path = []
html_title = f"sk_hypergan {release}"
html_show_sourcelink = False

# -- sphinx-gallery ----------------------------------------------------------
sphinx_gallery_conf = {
    "examples_dirs": str(ROOT / "examples"),
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"plot_",
    "within_subsection_order": "FileNameSortKey",
    "doc_module": ("sk_hypergan",),
    # Link our own API locally; no remote lookup for anything else.
    "reference_url": {"sk_hypergan": None},
    "backreferences_dir": "generated/backreferences",
    "abort_on_example_error": True,
    "remove_config_comments": True,
    "download_all_examples": False,
    "show_memory": False,
    "matplotlib_animations": False,
    "image_scrapers": ("matplotlib",),
    # Every example must stay quick on a laptop CPU.
    "min_reported_time": 0,
}


# -- Hooks -------------------------------------------------------------------
def _skip_sklearn_members(app, what, name, obj, skip, options):
    """Leave out members inherited from scikit-learn (get_params, set_params,
    score, metadata routing): their docstrings link into scikit-learn's own
    documentation, and api.rst mentions them once."""
    target = getattr(obj, "fget", obj)  # properties
    if (getattr(target, "__module__", None) or "").startswith("sklearn."):
        return True
    return None


def setup(app):
    app.connect("autodoc-skip-member", _skip_sklearn_members)

