"""What the selection scripts share: the data they may select on, and their printed rows.

Selection reads no reported test row (``benchmarks/README.md``, "Protocol for choosing
defaults"): UCI splits 0-9 and the calibration benchmark's CV seeds below 100 are the
reported ones, so the scripts take only splits 10-19 and seeds from 100 on.
"""

from __future__ import annotations

import argparse
from contextlib import contextmanager

import numpy as np

#: The first UCI split and the first CV seed that no report uses.
FIRST_UCI_SPLIT = 10
FIRST_CV_SEED = 100


def uci_splits(text):
    """``--splits`` of a selection script: ``"first-last"`` or ``"first"`` -> the split
    indices, refused if any is a reported one."""
    first, _, last = text.partition("-")
    splits = list(range(int(first), int(last or first) + 1))
    if min(splits) < FIRST_UCI_SPLIT:
        raise argparse.ArgumentTypeError("splits 0-9 are the reported ones; select on 10-19")
    return splits


def cv_seed(text):
    """One ``--seeds`` value of a selection script, refused if reported."""
    seed = int(text)
    if seed < FIRST_CV_SEED:
        raise argparse.ArgumentTypeError(
            "CV seeds below 100 are reserved for reports; select on 100+")
    return seed


def mean_row(label, records, width, spec=".3f"):
    """``label`` then ``name mean`` for every entry of the dicts ``records`` (one per split
    or fold, the same keys), as one printed line."""
    means = {k: np.mean([r[k] for r in records]) for k in records[0]}
    return f"  {label:{width}s} " + "  ".join(f"{k} {v:{spec}}" for k, v in means.items())


def print_means(title, rows, width, spec=".3f"):
    """``title``, then one :func:`mean_row` per ``label: records`` of ``rows``."""
    print(title, flush=True)
    for label, records in rows.items():
        print(mean_row(label, records, width, spec), flush=True)


def uci_parser(doc, datasets):
    """The argument parser every UCI selection script starts from: ``--datasets`` and
    ``--splits`` (10-15 by default, never a reported split)."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", default=list(datasets))
    parser.add_argument("--splits", type=uci_splits, default="10-15",
                        help="first-last (never 0-9)")
    return parser


def print_uci_means(args, one_split, width, spec=".3f"):
    """Run ``one_split(name, split) -> {variant: scores}`` on every data set and split
    of ``args`` and print each variant's means over the splits."""
    for name in args.datasets:
        runs = [one_split(name, split) for split in args.splits]
        print_means(f"{name} (splits {args.splits[0]}-{args.splits[-1]}; mean over splits)",
                    {variant: [r[variant] for r in runs] for variant in runs[0]}, width, spec)


@contextmanager
def held_out_rows(estimator_class):
    """While open, every fit of ``estimator_class`` records in the yielded dict (key
    ``"rows"``) the held-out rows its calibration used, ``(X32, y_encoded,
    sample_weight)``; the estimator calibrates on them as usual."""
    kept = {}
    calibrate = estimator_class._calibrate

    def keep(self, rows):
        kept["rows"] = rows
        return calibrate(self, rows)

    estimator_class._calibrate = keep
    try:
        yield kept
    finally:
        estimator_class._calibrate = calibrate
