"""Selection check: the classifier's diversity weight ``beta`` against the calibration goals.

The code-space term (MINE since ``classifier_regularizer.py``) is weighed by ``beta``. This
script fits the classifier with each weight of ``--betas`` on data no report uses and counts
the calibration issue's checks each one meets, beside the 5-member deep ensemble and a
single network:

- OOD: random 5/5 partitions of the digit classes from 10 on (``ood_partitions`` reports
  0-4), the ``mlp`` and ``conv2d`` targets (``mixup_weight.partition_rows``). Checks per
  target: mean MI AUROC >= the deep ensemble's; accuracy at most 1 point below it.
- Calibration: breast_cancer, wine and digits under the calibration protocol with CV seeds
  from 100 (``classifier_confidence.cv_rows``), and the credit-default check's validation
  rows (``classifier_regularizer.credit_rows``). Checks per set: log loss and ECE each at
  most the single network's and the ensemble's; accuracy at most 1 point below the
  ensemble's.

The rule it served was fixed after the ``conv2d`` rows of weight 3 had printed and before the
rest: switch from 1 to the weight that meets the most checks, if that is more than 1 meets and
its OOD AUROC (mean over both targets) is not lower than 1's; the smaller weight on a tie. It
prints the tables and the counts (the rule is applied by reading them) and writes nothing.

    python benchmarks/selection/classifier_beta.py --betas 1 3 10
    python benchmarks/selection/classifier_beta.py --betas 1 3 --archs conv --sets
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import torch
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parents[1]), str(HERE.parent)]

from _common import cv_seed, print_means  # noqa: E402
from classifier_confidence import PEERS, cv_rows  # noqa: E402
from classifier_confidence import make as make_peer  # noqa: E402
from classifier_regularizer import CREDIT_PEERS, credit_rows  # noqa: E402
from mixup_weight import partition_rows, partitions  # noqa: E402

from sk_hypergan import HyperGANClassifier  # noqa: E402

from suites._goals import accuracy_goal, check_calibration_goals, goal  # noqa: E402

CV_SETS = ("breast_cancer", "wine", "digits")


def label(beta):
    return f"beta {beta:g}"


def hypergan(seed, **params):
    """The classifier with ``params`` in the calibration protocol's pipeline."""
    return make_pipeline(StandardScaler(), HyperGANClassifier(random_state=seed, **params))


def ood_checks(rows, labels):
    """Per label of ``labels`` (a variant in ``rows``), the OOD goals met
    (``suites._goals``) against ``rows["deep_ensemble"]``: AUROC and accuracy."""
    ens = rows["deep_ensemble"]
    return {m: [goal("", rows[m], ens, "auroc_epistemic", higher_is_better=True)["holds"],
                accuracy_goal("", rows[m], ens)["holds"]]
            for m in labels}


def calibration_checks(rows, labels, single, ensemble):
    """Per label of ``labels``, the calibration goals met (``check_calibration_goals``);
    ``single`` and ``ensemble``: the peers' labels in ``rows``."""
    return {m: [g["holds"] for g in check_calibration_goals(
                rows[m], {"single": rows[single], "deep_ensemble": rows[ensemble]}
            ).values()]
            for m in labels}


def count_checks(checks, what, met=None):
    """Print how many of its checks each label of ``checks`` (label -> flags) met, and
    add the counts to ``met`` (label -> running total) if given."""
    for m, flags in checks.items():
        if met is not None:
            met[m] += sum(flags)
        print(f"    {m}: {sum(flags)} of {len(flags)} checks met ({what})", flush=True)


def partition_checks(arch, chosen, variants, met=None):
    """Fit each variant of ``variants`` (label -> ``HyperGANClassifier`` parameters) on the
    digits partitions ``chosen`` with target ``arch``; print the means and the OOD checks
    met (added to ``met``, as :func:`count_checks`). Returns the rows."""
    rows = partition_rows(arch, chosen, variants)
    print_means(f"{arch} (partitions {chosen[0]}-{chosen[-1]}; mean)", rows, 16, ".4f")
    count_checks(ood_checks(rows, variants), arch, met)
    return rows


def cv_checks(name, variants, seeds, met=None):
    """As :func:`partition_checks`, on data set ``name`` under the calibration protocol
    (CV seeds ``seeds``) beside the ``PEERS``: the calibration checks."""

    def make(method, seed):
        return make_peer(method, seed) if method in PEERS else hypergan(seed, **variants[method])

    rows = cv_rows(name, [*variants, *PEERS], seeds, make=make)
    print_means(f"{name} (CV seeds {seeds}; mean over folds)", rows, 16, ".4f")
    count_checks(calibration_checks(renamed(rows), variants, "single", "deep_ensemble"), name,
                 met)


def credit_checks(variants, met=None):
    """As :func:`cv_checks`, on the credit-default check's validation rows."""
    makers = {m: lambda split, n, p=p: hypergan(split, **p) for m, p in variants.items()}
    rows = credit_rows({**makers, **CREDIT_PEERS})
    print_means("credit default (validation rows; mean)", rows, 26, ".5f")
    count_checks(calibration_checks(rows, variants, "single_network",
                                    "deep_ensemble_classifier"), "credit", met)


def renamed(rows):
    """``cv_rows``' records with the metric names of ``classification_scores``."""
    names = {"log loss": "log_loss", "ECE": "ece", "accuracy": "accuracy"}
    return {m: [{new: r[old] for old, new in names.items()} for r in records]
            for m, records in rows.items()}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--betas", nargs="+", type=float, default=[1.0, 3.0, 10.0])
    parser.add_argument("--partitions", type=partitions, default="10-19")
    parser.add_argument("--archs", nargs="*", choices=["mlp", "conv"], default=["mlp", "conv"])
    parser.add_argument("--seeds", nargs="+", type=cv_seed, default=[100, 101])
    parser.add_argument("--sets", nargs="*", choices=[*CV_SETS, "credit"],
                        default=[*CV_SETS, "credit"])
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    variants = {label(b): {"beta": b} for b in args.betas}
    met = {m: 0 for m in variants}
    auroc = {m: [] for m in variants}

    for arch in args.archs:
        rows = partition_checks(arch, args.partitions, variants, met)
        for m in variants:
            auroc[m].append(np.mean([r["auroc_epistemic"] for r in rows[m]]))
    for name in [s for s in args.sets if s in CV_SETS]:
        cv_checks(name, variants, args.seeds, met)
    if "credit" in args.sets:
        credit_checks(variants, met)
    print("checks met in all:", met)
    print("OOD AUROC, mean over targets:",
          {m: round(float(np.mean(v)), 4) for m, v in auroc.items() if v})
    return 0


if __name__ == "__main__":
    sys.exit(main())
