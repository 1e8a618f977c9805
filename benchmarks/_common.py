"""Helpers shared by the paper-reproduction scripts (toy1d, ood_digits,
calibration, ablations): command-line options, thread limits, metrics that
scikit-learn lacks, the environment record and writing the result files.

Metrics
-------
- :func:`expected_calibration_error`: no maintained scikit-learn function
  exists (``sklearn.calibration.calibration_curve`` gives the binned
  reliability curve of one class only), and the packages that have one
  (``torchmetrics``, ``netcal``) are heavy dependencies for ten lines, so it is
  written here: equal-width bins on the maximum probability (the "top-label"
  ECE of Guo et al., ICML 2017).
- :func:`entropy` and :func:`mutual_information` of member probabilities: the
  total and epistemic (BALD) scores, computed the same way for every method
  (``sk_hypergan`` computes them itself in ``predict_uncertainty``; they
  agree).
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import math
import platform
import shlex
import subprocess
import sys
from pathlib import Path

import numpy as np
import scipy
import sklearn
import torch
from scipy.special import entr

import sk_hypergan

HERE = Path(__file__).resolve().parent
DEFAULT_OUT = HERE / "results"

#: Epochs of every method in ``--quick`` (smoke-test) runs; full runs use the
#: estimators' defaults.
QUICK_EPOCHS = 5


# -- metrics --------------------------------------------------------------------------------
def expected_calibration_error(y_true, proba, n_bins=15, classes=None):
    """Top-label expected calibration error with equal-width bins.

    ``ECE = sum_b (n_b / n) * |accuracy_b - confidence_b|`` where the rows are
    binned by their confidence (the maximum predicted probability) into
    ``n_bins`` equal-width bins on [0, 1] (a confidence of exactly 1 goes to the
    last bin), ``accuracy_b`` is the fraction of rows in bin ``b`` whose
    arg-max class is right and ``confidence_b`` their mean confidence (Guo et
    al., "On Calibration of Modern Neural Networks", ICML 2017, Eq. 3;
    15 bins as there). Written here because no maintained scikit-learn
    function exists.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels.
    proba : array-like of shape (n_samples, n_classes)
        Predicted probabilities, columns in the order of ``classes``.
    n_bins : int, default=15
        Number of equal-width confidence bins.
    classes : array-like of shape (n_classes,) or None, default=None
        Label of each column; None means ``0 .. n_classes - 1``.

    Returns
    -------
    float
        In [0, 1]; 0 is perfectly calibrated.

    Examples
    --------
    >>> import numpy as np
    >>> round(expected_calibration_error([0, 1], np.array([[0.9, 0.1], [0.2, 0.8]])), 6)
    0.15
    """
    proba = np.asarray(proba, dtype=float)
    y_true = np.asarray(y_true)
    classes = np.arange(proba.shape[1]) if classes is None else np.asarray(classes)
    confidence = proba.max(axis=1)
    correct = classes[proba.argmax(axis=1)] == y_true
    bins = np.minimum((confidence * n_bins).astype(int), n_bins - 1)
    ece = 0.0
    for b in range(n_bins):
        in_bin = bins == b
        if in_bin.any():
            ece += in_bin.mean() * abs(correct[in_bin].mean() - confidence[in_bin].mean())
    return float(ece)


def entropy(p):
    """Shannon entropy in nats along the last axis (0 log 0 = 0)."""
    return entr(np.asarray(p, dtype=float)).sum(axis=-1)


def mutual_information(member_proba):
    """Epistemic score of member probabilities ``(n_members, n_rows, n_classes)``:
    entropy of the mean minus the mean entropy (BALD), clipped at 0."""
    member_proba = np.asarray(member_proba, dtype=float)
    total = entropy(member_proba.mean(axis=0))
    return np.clip(total - entropy(member_proba).mean(axis=0), 0.0, None)


def mean_pairwise_disagreement(member_proba):
    """Fraction of rows on which two members' arg-max classes differ, averaged
    over all pairs of members (a functional diversity measure)."""
    labels = np.asarray(member_proba).argmax(axis=-1)  # (n_members, n_rows)
    n_members = labels.shape[0]
    if n_members < 2:
        return 0.0
    n_classes = np.asarray(member_proba).shape[-1]
    # Pairs that agree, per row: sum over classes of C(count, 2).
    counts = np.stack([(labels == c).sum(axis=0) for c in range(n_classes)])
    agree = (counts * (counts - 1) / 2).sum(axis=0)
    pairs = n_members * (n_members - 1) / 2
    return float(1.0 - agree.mean() / pairs)


# -- command line, threads, environment -------------------------------------------------------
def make_parser(description, default_out=DEFAULT_OUT):
    """argparse parser with the options every script shares."""
    parser = argparse.ArgumentParser(
        description=description, formatter_class=argparse.ArgumentDefaultsHelpFormatter
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"smoke test: {QUICK_EPOCHS} epochs for every method, fewer seeds/folds; "
        "results are written as <name>_quick.* and are not meaningful",
    )
    parser.add_argument("--out", type=Path, default=default_out, help="output directory")
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="torch and BLAS threads (torch.set_num_threads); fit times depend on it",
    )
    parser.add_argument("--seed", type=int, default=0, help="base random seed")
    return parser


def add_device_argument(parser):
    """``--device``, for the scripts that time the networks on a chosen device."""
    parser.add_argument(
        "--device",
        default="cpu",
        help="torch device of the networks ('cpu', 'cuda'); results on another device than "
        "the CPU are written as <name>_<device type>.*",
    )


def device_name(name, device):
    """``name`` for the CPU, ``name_cuda`` (the device's type) otherwise."""
    kind = torch.device(device).type
    return name if kind == "cpu" else f"{name}_{kind}"


def device_line(results):
    """The device a results dict was measured on, for its markdown: the GPU's
    name, or "CPU" (also for files written before ``--device`` existed)."""
    if results.get("device", "cpu") == "cpu":
        return "CPU"
    return results["environment"]["cuda_device"]


def synchronize(device):
    """Wait for the device's queued work (a no-op on the CPU), so timers see it."""
    if torch.device(device).type == "cuda":
        torch.cuda.synchronize(device)


def set_threads(n):
    """Limit torch's intra-op threads and the BLAS/OpenMP pools to ``n`` for the
    rest of the process."""
    from threadpoolctl import threadpool_limits

    torch.set_num_threads(int(n))
    threadpool_limits(int(n))  # stays in force until explicitly restored


def _version(module_name):
    try:
        return __import__(module_name).__version__
    except Exception:  # not installed: recorded, not fatal
        return None


def _git_commit():
    try:
        out = subprocess.run(
            ["git", "-C", str(HERE), "describe", "--always", "--dirty", "--abbrev=40"],
            capture_output=True,
            text=True,
            check=True,
        )
        return out.stdout.strip()
    except Exception:  # not a checkout, or no git
        return None


def _source_digest():
    """SHA-1 over sk_hypergan's Python sources: tells apart runs on different
    uncommitted states of the package (``git describe --dirty`` cannot)."""
    root = Path(sk_hypergan.__file__).resolve().parent
    digest = hashlib.sha1()
    for path in sorted(root.rglob("*.py")):
        digest.update(str(path.relative_to(root)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


_SOURCE_DIGEST = _source_digest()


def environment(argv=None):
    """Versions, machine, date and command line, for the results file."""
    return {
        "date_utc": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "command": shlex.join(["python", *(sys.argv if argv is None else argv)]),
        "git_commit": _git_commit(),
        # Taken when this module was imported, i.e. of the code the run uses.
        "sk_hypergan_source_sha1": _SOURCE_DIGEST,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "torch_threads": torch.get_num_threads(),
        "cuda_device": torch.cuda.get_device_name() if torch.cuda.is_available() else None,
        "versions": {
            "sk_hypergan": sk_hypergan.__version__,
            "torch": torch.__version__,
            "numpy": np.__version__,
            "scipy": scipy.__version__,
            "scikit-learn": sklearn.__version__,
            "skorch": _version("skorch"),
            "matplotlib": _version("matplotlib"),
        },
    }


def jsonable_params(estimator):
    """``get_params(deep=False)`` of an estimator (the last step of a pipeline)
    as JSON values (repr for objects)."""
    if hasattr(estimator, "steps"):
        estimator = estimator.steps[-1][1]

    def conv(v):
        if v is None or isinstance(v, (bool, int, float, str)):
            return v
        if isinstance(v, (list, tuple)):
            return [conv(x) for x in v]
        return repr(v)

    params = estimator.get_params(deep=False)
    return {"class": type(estimator).__name__, **{k: conv(v) for k, v in params.items()}}


def strict_json(value):
    """NaN / inf -> None, tuples -> lists, NumPy scalars/arrays -> Python, so the
    file is strict JSON."""
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


def output_stem(name, quick):
    return f"{name}_quick" if quick else name


def write_outputs(results, markdown, out_dir, stem):
    """Write ``<stem>.json`` and ``<stem>.md`` under ``out_dir``; return the paths."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    json_path, md_path = out_dir / f"{stem}.json", out_dir / f"{stem}.md"
    json_path.write_text(json.dumps(strict_json(results), indent=1, allow_nan=False) + "\n")
    md_path.write_text(markdown)
    return json_path, md_path


def goal_table(goals):
    """Markdown lines of a ``goal | HyperGAN | reference | holds`` table from
    ``{key: {"goal", "hypergan", "reference", "holds"}}``."""
    lines = ["| goal | HyperGAN | reference | holds |", "|---|---|---|---|"]
    for g in goals.values():
        lines.append(
            f"| {g['goal']} | {g['hypergan']:.4f} | {g['reference']:.4f} | {yes_no(g['holds'])} |"
        )
    return lines


def save(name, results, to_markdown, args, argv):
    """Record the environment, write ``<name>.json`` / ``.md`` (``_quick``
    with ``--quick``) under ``args.out`` and log the paths."""
    results["environment"] = environment(None if argv is None else [f"{name}.py", *argv])
    paths = write_outputs(results, to_markdown(results), args.out, output_stem(name, args.quick))
    log("wrote " + ", ".join(map(str, paths)))


def figure_dir(out_dir):
    path = Path(out_dir) / "figures"
    path.mkdir(parents=True, exist_ok=True)
    return path


def pyplot():
    """``matplotlib.pyplot`` on the non-interactive Agg backend."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def fmt(x, decimals=3):
    """A number for a markdown table ('-' for None / NaN)."""
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "-"
    return f"{x:.{decimals}f}"


def yes_no(flag):
    return "**yes**" if flag else "**no**"


def log(message):
    print(message, file=sys.stderr, flush=True)
