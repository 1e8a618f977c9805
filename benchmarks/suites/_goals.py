"""Goal tables of the classification suites, with the resolution of each comparison.

A goal compares HyperGAN's mean over folds, splits or partitions with a peer's; beside it,
the tables give the mean paired difference and its standard error (the records are paired:
the same rows, fitted by both), so a reader can tell a miss by more than the run-to-run
spread from one inside it. This only renders results; it lives with the suites, not in
``harness/``, whose digest says whether the peers' rows of ``uci`` can be kept (``run.py
--replace``).
"""

from __future__ import annotations

import numpy as np

from harness.results import table, yes_no

#: The calibration issue's classifier goals: (key, goal, metric, reference, lower is better).
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


def paired_se(own, reference, key):
    """Standard error of the mean of the paired differences ``own[i][key] -
    reference[i][key]`` over aligned records (NaN from a single record).

    Examples
    --------
    >>> paired_se([{"a": 1.0}, {"a": 3.0}], [{"a": 0.0}, {"a": 0.0}], "a")
    1.0
    """
    diff = np.array([a[key] - b[key] for a, b in zip(own, reference, strict=True)])
    return float(diff.std(ddof=1) / np.sqrt(len(diff))) if len(diff) > 1 else float("nan")


def check_calibration_goals(own, references):
    """The :data:`CALIBRATION_GOALS` for HyperGAN's records ``own`` (one dict of metrics
    per fold or split) against ``references`` (``{"single": records, "deep_ensemble":
    records}``, aligned with ``own``): the means, whether each goal holds, and the paired
    difference's standard error."""
    out = {}
    for key, goal, metric, reference, lower_is_better in CALIBRATION_GOALS:
        mine = float(np.mean([r[metric] for r in own]))
        ref = float(np.mean([r[metric] for r in references[reference]]))
        holds = mine <= ref if lower_is_better else mine >= ref - 0.01 - 1e-12
        out[key] = {"goal": goal, "hypergan": mine, "reference": ref, "holds": bool(holds),
                    "difference_se": paired_se(own, references[reference], metric)}
    return out


#: The goal tables' columns.
COLUMNS = ["goal", "HyperGAN", "reference", "holds", "HyperGAN - reference ± SE (paired)"]


def goal_row(g):
    """One goal's cells: the goal, both means, whether it holds, the difference ± SE."""
    return [g["goal"], f"{g['hypergan']:.4f}", f"{g['reference']:.4f}", yes_no(g["holds"]),
            f"{g['hypergan'] - g['reference']:+.4f} ± {g['difference_se']:.4f}"]


def goal_table(goals, style="md"):
    """The lines of a table (:data:`COLUMNS`) of ``{key: {"goal", "hypergan",
    "reference", "holds", "difference_se"}}``, markdown or reStructuredText."""
    return table(COLUMNS, [goal_row(g) for g in goals.values()], style).splitlines()
