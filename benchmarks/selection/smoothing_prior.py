"""Selection check: how the classifier's label smoothing spreads its mass over the classes.

``label_smoothing`` trains on targets ``(1 - eps) one_hot(y) + eps u``. Szegedy et al.
(CVPR 2016, Sec. 7) allow any fixed distribution over the labels as ``u`` (the prior) and
used the even spread ``1 / n_classes`` on ImageNet; the package spreads by the classes'
(weighted) frequencies in the fit. Spread evenly, the mass pulls a rare class's probability towards
``1 / n_classes``: on the 3.3%-positive credit-default data that is a floor far above most
rows' probability, which the temperature, one number for every row, undoes only in part.
On balanced classes (digits, and nearly wine) the two spreads are the same.

Per spread this script prints, on data no report uses, the calibration protocol's scores
(``classifier_confidence.cv_rows``; breast_cancer and wine, CV seeds from 100) and the
credit-default check's validation rows (``classifier_regularizer.credit_rows``), beside the
single network and the 5-member deep ensemble. It writes nothing.

    python benchmarks/selection/smoothing_prior.py --seeds 100 101
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parents[1]), str(HERE.parent), str(HERE)]

from _common import cv_seed, print_means  # noqa: E402
from classifier_confidence import DATASETS, cv_rows  # noqa: E402
from classifier_regularizer import CREDIT_PEERS, CREDIT_SPLITS, credit_rows  # noqa: E402

from sk_hypergan import HyperGANClassifier  # noqa: E402

from suites.calibration import make_method  # noqa: E402


class EvenSmoothing(HyperGANClassifier):
    """The classifier with the smoothed mass spread evenly, as before (no prior: the
    loss falls back to torch's even label smoothing)."""

    def _smoothing_prior_of(self, y, sample_weight, n_classes):
        return None


SPREADS = {"by class frequency (default)": HyperGANClassifier, "even": EvenSmoothing}


def make(label, seed):
    """A spread of :data:`SPREADS` in the calibration protocol's pipeline, or a peer."""
    if label in SPREADS:
        return make_pipeline(StandardScaler(), SPREADS[label](random_state=seed))
    return make_method(label, seed)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="*", default=["breast_cancer", "wine"],
                        choices=list(DATASETS))
    parser.add_argument("--seeds", nargs="+", type=cv_seed, default=[100, 101])
    parser.add_argument("--no-credit", action="store_true")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    for name in args.datasets:
        rows = cv_rows(name, [*SPREADS, "single", "deep_ensemble"], args.seeds, make)
        print_means(f"{name} (CV seeds {args.seeds}; mean over folds)", rows, 30, ".4f")
    if not args.no_credit:
        makers = {label: lambda split, n, label=label: make(label, split) for label in SPREADS}
        print_means(f"credit default (validation rows of the training rows of splits "
                    f"{list(CREDIT_SPLITS)}; mean)", credit_rows({**makers, **CREDIT_PEERS}),
                    30, ".5f")
    return 0


if __name__ == "__main__":
    sys.exit(main())
