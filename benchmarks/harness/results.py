"""Result files: writing JSON + markdown, the staleness check and rendering the blocks that
README.md and docs/ quote.

Quoted blocks are marked in the documents, markdown::

    <!-- results:uci.nll -->
    ...generated...
    <!-- /results -->

and reStructuredText (comments)::

    .. results:uci.nll

    ...generated...

    .. /results

``uci.nll`` names the suite ``uci`` and the block ``nll`` of its ``blocks(results)``,
rendered from ``benchmarks/results/uci.json``.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import numpy as np

from .env import PACKAGE_DIR, REPO, source_digest

RESULTS_DIR = REPO / "benchmarks" / "results"

#: Documents scanned for quoted results and marked blocks.
DOCUMENTS = ("README.md", "benchmarks/README.md", "docs")

# Markers start a line (an indented example of the syntax is not a block).
_MD_BLOCK = re.compile(r"^(<!-- results:([\w.]+) -->\n)(.*?)^(<!-- /results -->)", re.S | re.M)
_RST_BLOCK = re.compile(r"^(\.\. results:([\w.]+)\n\n)(.*?)^(\.\. /results)", re.S | re.M)
_REFERENCE = re.compile(r"benchmarks/results/([\w*\-]+)\.(?:md|json)")


# -- writing ---------------------------------------------------------------------------------
def strict_json(value):
    """NaN / inf -> None, tuples -> lists, NumPy values -> Python: strict JSON."""
    if isinstance(value, dict):
        return {str(k): strict_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [strict_json(v) for v in value]
    if isinstance(value, np.ndarray):
        return strict_json(value.tolist())
    if isinstance(value, np.generic):
        return strict_json(value.item())
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def write(results, markdown, out_dir, stem):
    """Write ``<stem>.json`` and ``<stem>.md`` under ``out_dir``; return both paths."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    json_path, md_path = out_dir / f"{stem}.json", out_dir / f"{stem}.md"
    json_path.write_text(json.dumps(strict_json(results), indent=1, allow_nan=False) + "\n")
    md_path.write_text(markdown)
    return json_path, md_path


def load(stem, results_dir=RESULTS_DIR):
    """The results dict of ``<stem>.json``, or None when there is none."""
    path = Path(results_dir) / f"{stem}.json"
    return json.loads(path.read_text()) if path.exists() else None


# -- staleness -------------------------------------------------------------------------------
def _documents(root=REPO):
    for entry in DOCUMENTS:
        path = Path(root) / entry
        if path.is_dir():
            yield from sorted(p for p in path.rglob("*") if p.suffix in (".md", ".rst"))
        elif path.exists():
            yield path


def quoted_stems(root=REPO, results_dir=RESULTS_DIR):
    """Stems of the result files README.md / docs quote: every
    ``benchmarks/results/<stem>.md|json`` reference (globs expanded) and every marked
    block's suite."""
    stems = set()
    for doc in _documents(root):
        text = doc.read_text()
        for pattern in _REFERENCE.findall(text):
            stems.update(p.stem for p in Path(results_dir).glob(f"{pattern}.json"))
            if "*" not in pattern:
                stems.add(pattern)
        stems.update(name.split(".")[0] for name in block_names(text))
    return stems


def block_names(text):
    """Names of the marked blocks in a document's text (markdown and rst markers)."""
    return [m.group(2) for regex in (_MD_BLOCK, _RST_BLOCK) for m in regex.finditer(text)]


def stale_results(results_dir=RESULTS_DIR, package_dir=PACKAGE_DIR):
    """Result files whose recorded package-source digest differs from the working tree's.

    Returns
    -------
    dict
        ``{stem: recorded digest or None}`` for every stale ``*.json`` (files recording
        no digest are stale).
    """
    current = source_digest(package_dir)
    stale = {}
    for path in sorted(Path(results_dir).glob("*.json")):
        try:
            recorded = json.loads(path.read_text()).get("environment", {})
        except (json.JSONDecodeError, AttributeError):
            recorded = {}
        digest = recorded.get("sk_hypergan_source_sha1")
        if digest != current:
            stale[path.stem] = digest
    return stale


# -- rendering -------------------------------------------------------------------------------
def table(columns, rows, style="md"):
    """A table as markdown (pipe table) or reStructuredText (``list-table``) lines.

    Parameters
    ----------
    columns : list of str
    rows : list of list of str
    style : {"md", "rst"}, default="md"

    Returns
    -------
    str
    """
    if style == "md":
        lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
        lines += ["| " + " | ".join(map(str, r)) + " |" for r in rows]
        return "\n".join(lines) + "\n"
    lines = [".. list-table::", "   :header-rows: 1", ""]
    for r in [columns, *rows]:
        lines.append(f"   * - {r[0]}")
        lines += [f"     - {c}" for c in r[1:]]
    return "\n".join(lines) + "\n"


def render_block(name, style, suites, results_dir=RESULTS_DIR):
    """The generated text of block ``suite.block`` from the suite's JSON results.

    Parameters
    ----------
    name : str
        ``"<stem>.<block>"``: the results file ``<stem>.json`` and a block of the suite
    that writes it.
    style : {"md", "rst"}
    suites : dict
        Suite name -> module with ``blocks(results, style) -> dict``.
    results_dir : path-like

    Returns
    -------
    str
    """
    stem_, _, block = name.partition(".")
    suite = suite_of(stem_, suites)
    results = load(stem_, results_dir)
    if results is None:
        return f"(no results yet: run `python benchmarks/run.py {suite}`)\n"
    try:
        return suites[suite].blocks(results, style)[block]
    except Exception as exc:  # an old results file: say so in place of the numbers
        return (f"(results/{suite}.json cannot give `{block}` ({type(exc).__name__}): "
                f"re-run `python benchmarks/run.py {suite}`)\n")


def suite_of(stem_, suites):
    """The suite that writes ``stem_`` (``speed_predict_cuda`` -> ``speed_predict``)."""
    name = stem_
    while name not in suites and "_" in name:
        name = name.rsplit("_", 1)[0]
    return name if name in suites else stem_


def render_text(text, style, suites, results_dir=RESULTS_DIR):
    """``text`` with every marked block regenerated."""
    regex = _MD_BLOCK if style == "md" else _RST_BLOCK

    def sub(m):
        body = render_block(m.group(2), style, suites, results_dir)
        if style == "rst":
            body += "\n"
        return m.group(1) + body + m.group(4)

    return regex.sub(sub, text)


def render_documents(suites, root=REPO, results_dir=RESULTS_DIR, write_files=True):
    """Regenerate the marked blocks of README.md, benchmarks/README.md and docs/.

    Returns
    -------
    list of Path
        The documents whose text changed (rewritten when ``write_files``).
    """
    changed = []
    for doc in _documents(root):
        text = doc.read_text()
        new = render_text(text, "rst" if doc.suffix == ".rst" else "md", suites, results_dir)
        if new != text:
            changed.append(doc)
            if write_files:
                doc.write_text(new)
    return changed


# -- formatting ------------------------------------------------------------------------------
def fmt(x, decimals=3):
    """A number for a table ('-' for None / NaN)."""
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "-"
    return f"{x:.{decimals}f}"


def decimals_for(value):
    """Enough decimals for about three significant digits (e.g. naval's RMSE 0.0009)."""
    if value is None or value == 0 or not math.isfinite(value):
        return 2
    return int(min(6, max(2, 2 - math.floor(math.log10(abs(value))))))


def fmt_mean_se(summary, decimals=None):
    """``mean ± se`` of a ``{"mean", "se"}`` summary ('-' when missing)."""
    if not summary or summary.get("mean") is None:
        return "-"
    mean, se = summary["mean"], summary.get("se")
    d = decimals_for(mean) if decimals is None else decimals
    return f"{mean:.{d}f}" if se is None else f"{mean:.{d}f} ± {se:.{d}f}"


def yes_no(flag):
    """``**yes**`` / ``**no**`` for a goal's cell."""
    return "**yes**" if flag else "**no**"


def figure_dir(out_dir):
    """``<out_dir>/figures``, created."""
    path = Path(out_dir) / "figures"
    path.mkdir(parents=True, exist_ok=True)
    return path


def pyplot():
    """``matplotlib.pyplot`` on the non-interactive Agg backend."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def goal_table(goals):
    """Markdown lines of a ``goal | HyperGAN | reference | holds`` table from
    ``{key: {"goal", "hypergan", "reference", "holds"}}``."""
    lines = ["| goal | HyperGAN | reference | holds |", "|---|---|---|---|"]
    for g in goals.values():
        lines.append(
            f"| {g['goal']} | {g['hypergan']:.4f} | {g['reference']:.4f} | {yes_no(g['holds'])} |"
        )
    return lines


def device_line(results):
    """The device a results dict was measured on: the GPU's name, or "CPU"."""
    if results.get("device", "cpu") == "cpu":
        return "CPU"
    return results["environment"]["cuda_device"]


def stem(name, quick=False, device="cpu", tag=None):
    """The results file's stem: ``name``, ``_<device type>`` off the CPU, then ``_<tag>``
    or ``_quick``."""
    import torch

    kind = torch.device(device).type
    out = name if kind == "cpu" else f"{name}_{kind}"
    return f"{out}_{tag}" if tag else (f"{out}_quick" if quick else out)
