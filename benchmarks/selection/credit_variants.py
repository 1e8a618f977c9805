"""Selection check: does one change to the classifier's defaults reach the peers on credit?

The credit-default benchmark (``benchmarks/results/default_credit.md``) is the one data set
where HyperGAN's log loss and ECE trail both the 5-member deep ensemble's and the single
network's on the reported splits *and* on the validation rows that selection uses. This
script fits the default classifier and one-parameter variants of it, each a lever an
earlier selection check studied on other data (label smoothing, the diversity weight
``beta``, ``weight_averaging``) or a common one it had not (``weight_decay``), on the
credit check's validation rows (``classifier_regularizer.credit_rows``: the training rows
of the reported splits 0-2, split 80/20 again with seed ``100 + split``), beside the two
peers. It prints the mean scores over the splits and writes nothing; it chooses nothing
by itself (a variant that reached the peers here would still have to meet the calibration
issue's other checks, as ``classifier_beta.count_checks`` counts them).

    python benchmarks/selection/credit_variants.py
    python benchmarks/selection/credit_variants.py --variants default "beta 0.1" --no-peers
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parents[1]), str(HERE.parent), str(HERE)]

from _common import print_means  # noqa: E402
from classifier_beta import hypergan  # noqa: E402
from classifier_regularizer import CREDIT_PEERS, credit_rows  # noqa: E402

#: ``label: parameters`` of each variant (the default's parameters are empty).
VARIANTS = {
    "default": {},
    "label_smoothing 0": {"label_smoothing": 0.0},
    "beta 0.1": {"beta": 0.1},
    "weight_averaging 0.99": {"weight_averaging": 0.99},
    "weight_decay 1e-4": {"weight_decay": 1e-4},
}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variants", nargs="*", choices=list(VARIANTS), default=list(VARIANTS))
    parser.add_argument("--no-peers", action="store_true",
                        help="leave out the deep ensemble and the single network")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    makers = {name: lambda split, n, p=VARIANTS[name]: hypergan(split, **p)
              for name in args.variants}
    if not args.no_peers:
        makers.update(CREDIT_PEERS)
    print_means("credit default (validation rows of the training rows of splits 0-2; mean)",
                credit_rows(makers), 26, ".5f")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
