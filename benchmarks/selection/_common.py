"""What the selection scripts share: the data they may select on, and their printed rows.

Selection reads no reported test row (``benchmarks/README.md``, "Protocol for choosing
defaults"): UCI splits 0-9 and the calibration benchmark's CV seeds below 100 are the
reported ones, so the scripts take only splits 10-19 and seeds from 100 on.
"""

from __future__ import annotations

import argparse

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
