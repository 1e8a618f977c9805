"""Goals of the classification suites, with the resolution of each comparison.

A goal compares HyperGAN's mean over folds, splits or partitions with a peer's; beside it,
the tables give the mean paired difference and its standard error (the records are paired:
the same rows, fitted by both), so a reader can tell a miss by more than the run-to-run
spread from one inside it. It judges and renders the suites' records and fits nothing, so
the peers' rows do not depend on it: it lives with the suites, not in ``harness/``, whose
digest says whether the peers' rows of ``uci`` can be kept (``run.py --replace``).
"""

from __future__ import annotations

import numpy as np

from harness.results import fmt, table, yes_no

#: How far below the reference HyperGAN's accuracy may be ("within 1 point").
ACCURACY_MARGIN = 0.01

#: The calibration issue's classifier goals: (key, goal, metric, reference, lower is
#: better; otherwise the metric is accuracy, see :func:`accuracy_goal`).
CALIBRATION_GOALS = (
    ("ece_le_single", "HyperGAN's ECE no worse than the single network's",
     "ece", "single", True),
    ("log_loss_le_single", "HyperGAN's log loss no worse than the single network's",
     "log_loss", "single", True),
    ("ece_le_ensemble", "HyperGAN's ECE no worse than the deep ensemble's",
     "ece", "deep_ensemble", True),
    ("log_loss_le_ensemble", "HyperGAN's log loss no worse than the deep ensemble's",
     "log_loss", "deep_ensemble", True),
    ("accuracy_within_1_point", "HyperGAN's accuracy at most 0.01 below the deep ensemble's",
     "accuracy", "deep_ensemble", False),
)

#: The goal tables' columns.
COLUMNS = ["goal", "HyperGAN", "reference", "holds", "HyperGAN - reference ± SE (paired)"]


def paired_se(own, reference, key):
    """Standard error of the mean of the paired differences ``own[i][key] -
    reference[i][key]``.

    Parameters
    ----------
    own, reference : list of dict
        Records aligned by fold, split or partition (the same length).
    key : str
        The metric.

    Returns
    -------
    float
        NaN from a single record.

    Examples
    --------
    >>> paired_se([{"a": 1.0}, {"a": 3.0}], [{"a": 0.0}, {"a": 0.0}], "a")
    1.0
    """
    if len(own) != len(reference):
        raise ValueError(f"{len(own)} records against {len(reference)}: not paired")
    diff = np.array([a[key] - b[key] for a, b in zip(own, reference)])
    return float(diff.std(ddof=1) / np.sqrt(len(diff))) if len(diff) > 1 else float("nan")


def goal(text, own, reference, metric, higher_is_better=False, margin=0.0):
    """One goal on aligned records: ``{"goal", "hypergan", "reference", "holds",
    "difference_se"}``, the means of ``metric`` over ``own`` (HyperGAN's records) and
    ``reference`` (a peer's). It holds where HyperGAN's mean is at most the peer's plus
    ``margin`` (lower is better), or at least the peer's minus ``margin``."""
    mine = float(np.mean([r[metric] for r in own]))
    ref = float(np.mean([r[metric] for r in reference]))
    holds = mine >= ref - margin - 1e-12 if higher_is_better else mine <= ref + margin
    return {"goal": text, "hypergan": mine, "reference": ref, "holds": bool(holds),
            "difference_se": paired_se(own, reference, metric)}


def accuracy_goal(text, own, reference):
    """:func:`goal` for accuracy: at most :data:`ACCURACY_MARGIN` below the peer's."""
    return goal(text, own, reference, "accuracy", higher_is_better=True, margin=ACCURACY_MARGIN)


def check_calibration_goals(own, references):
    """The :data:`CALIBRATION_GOALS` (:func:`goal` each) for HyperGAN's records ``own``
    (one dict of metrics per fold or split) against ``references`` (``{"single": records,
    "deep_ensemble": records}``, aligned with ``own``)."""
    return {key: (goal(text, own, references[reference], metric) if lower
                  else accuracy_goal(text, own, references[reference]))
            for key, text, metric, reference, lower in CALIBRATION_GOALS}


def goal_row(g):
    """One goal's cells: the goal, both means, whether it holds, the difference ± SE
    ("-" for the SE of a single record)."""
    return [g["goal"], f"{g['hypergan']:.4f}", f"{g['reference']:.4f}", yes_no(g["holds"]),
            f"{g['hypergan'] - g['reference']:+.4f} ± {fmt(g.get('difference_se'), 4)}"]


def goal_table(goals, style="md"):
    """The lines of a table (:data:`COLUMNS`) of ``{key: goal}`` (:func:`goal`),
    markdown or reStructuredText."""
    return table(COLUMNS, [goal_row(g) for g in goals.values()], style).splitlines()
