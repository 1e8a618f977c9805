"""Selection check: the classifier's code-space regulariser, the paper's discriminator or MINE.

With ``mixup_diversity`` off and ``label_smoothing`` on, the networks' disagreement on unseen
classes comes from the code-space term alone. This script compares the two terms the package
offers (``regularizer="discriminator"``, the paper's, and ``"mine"``, the second reference)
on data no report uses, against the 5-member deep ensemble and, for calibration, a single
network:

- OOD: random 5/5 partitions of the digit classes from 10 on (``ood_partitions`` reports
  0-4), the ``mlp`` and ``conv2d`` targets; per regulariser the mean over partitions of the
  in-distribution test rows' accuracy, log loss and ECE and the mutual-information AUROC of
  the unseen classes.
- Imbalanced binary: the credit-default benchmark's reported splits (``default_credit``,
  0-2), but only their *training* rows, split 80/20 again (stratified, seed ``100 + split``);
  scores on those validation rows.

The calibration protocol on breast_cancer, wine and digits (CV seeds from 100) is
``classifier_confidence.py`` with the ``"hypergan, regularizer='mine'"`` variant. It prints
tables and writes nothing.

    python benchmarks/selection/classifier_regularizer.py --partitions 10-19 --archs mlp conv
    python benchmarks/selection/classifier_regularizer.py --archs --credit
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parents[1]), str(HERE.parent)]

from _common import print_means  # noqa: E402
from mixup_weight import partition_rows, partitions  # noqa: E402

from sk_hypergan import HyperGANClassifier  # noqa: E402

from harness import data as datasets_  # noqa: E402
from harness import methods as registry  # noqa: E402
from harness.scoring import classification_scores  # noqa: E402

REGULARIZERS = ("discriminator", "mine")
CREDIT_SPLITS = (0, 1, 2)


def label(regularizer):
    return f"regularizer={regularizer!r}"


def ood(arch, chosen):
    variants = {label(r): {"regularizer": r} for r in REGULARIZERS}
    rows = partition_rows(arch, chosen, variants)
    print_means(f"{arch} (partitions {chosen[0]}-{chosen[-1]}; mean)", rows, 28, ".4f")


def credit_rows(makers):
    """Per ``label: make(split, n_rows)`` of ``makers``, the validation scores on the
    credit-default check's rows (see the module docstring), one per split of
    :data:`CREDIT_SPLITS`."""
    X, y = datasets_.load_default_xy()
    rows = {name: [] for name in makers}
    for split in CREDIT_SPLITS:
        X_tr, y_tr, _, _ = datasets_.holdout_split(X, y, seed=split, stratify=True)
        X_a, X_v, y_a, y_v = train_test_split(X_tr, y_tr, test_size=0.2, stratify=y_tr,
                                              random_state=100 + split)
        for name, make in makers.items():
            model = make(split, len(X_a)).fit(X_a, y_a)
            rows[name].append(classification_scores(y_v, model.predict_proba(X_v),
                                                    model.classes_))
    return rows


#: The credit check's peers: ``label: make(split, n_rows)``.
CREDIT_PEERS = {name: lambda split, n, name=name: registry.make(name, split, n, False)
                for name in ("deep_ensemble_classifier", "single_network")}


def credit():
    makers = {
        **{label(r): lambda split, n, r=r: make_pipeline(
            StandardScaler(), HyperGANClassifier(regularizer=r, random_state=split))
           for r in REGULARIZERS},
        **CREDIT_PEERS,
    }
    print_means(f"credit default (validation rows of the training rows of splits "
                f"{list(CREDIT_SPLITS)}; mean)", credit_rows(makers), 28, ".5f")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--partitions", type=partitions, default="10-19")
    parser.add_argument("--archs", nargs="*", choices=["mlp", "conv"], default=["mlp", "conv"])
    parser.add_argument("--credit", action="store_true", help="also the credit-default check")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    for arch in args.archs:
        ood(arch, args.partitions)
    if args.credit:
        credit()
    return 0


if __name__ == "__main__":
    sys.exit(main())
