"""Selection check: a quantile recalibration of the predictive CDF on the held-out rows.

After the regressor's one spread factor (``calibration="auto"``), the test rows' central
intervals can still miss their level where the mixture's *shape* is off (UCI naval: too
many rows inside the 50% interval, a few too many outside the 95% one), which no factor on
the spread fixes. Quantile recalibration (Kuleshov et al., ICML 2018) maps the predictive
CDF through a monotone ``R`` fitted so that the held-out rows' PIT values ``F(y)`` become
uniform: here ``R`` is piecewise linear through the held-out PITs' quantiles at ``Q``,
shrunk towards the identity by ``n / (n + n0)`` for ``n`` held-out rows. The recalibrated
density is ``f(y) R'(F(y))``, so its NLL adds ``-log R'`` to the mixture's; a row is inside
the central ``c`` interval when ``|R(F(y)) - 1/2| <= c / 2``.

This script fits the default regressor on UCI splits no reported benchmark uses (10-15 by
default) and prints, on the test rows, the mixture NLL and the coverage at 50/80/90/95% of
the one-factor mixture (the package today) and of its quantile recalibration for each
``n0``; also the same coverage on the held-out rows, to show whether they see what the
test rows see. It writes nothing; the package does not recalibrate quantiles.

    python benchmarks/selection/quantile_recalibration.py --datasets naval --splits 10-15
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import torch

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parents[1]), str(HERE.parent), str(HERE)]

from _common import print_uci_means, uci_parser  # noqa: E402
from calibration_factors import DATASETS, LEVELS, held_and_test  # noqa: E402

from sk_hypergan import GaussianMixtureDistribution  # noqa: E402

#: Knots of the map: the held-out PITs' quantiles at these levels go to the levels.
Q = np.array([0.0, 0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.975, 1.0])


def fit_map(pit, n0):
    """Knots ``(x, y)`` of the piecewise-linear ``R``, shrunk towards the identity."""
    x = np.quantile(pit, Q)
    x[0], x[-1] = 0.0, 1.0
    x = np.maximum.accumulate(x + np.arange(len(x)) * 1e-9)  # strictly increasing
    w = len(pit) / (len(pit) + n0)
    return x, w * Q + (1 - w) * x


def apply_map(x, y, pit):
    """``R(pit)`` through the knots ``(x, y)`` and ``log R'(pit)``, what the map adds to a
    row's log density."""
    seg = np.clip(np.searchsorted(x, pit, side="right") - 1, 0, len(x) - 2)
    slope = (y[seg + 1] - y[seg]) / (x[seg + 1] - x[seg])
    return np.interp(pit, x, y), np.log(slope)


def scores(nll, pit):
    """Mean NLL (None where not scored) and coverage at ``LEVELS`` of rows with these PITs."""
    out = {"mixture NLL": np.nan if nll is None else nll.mean()}
    for level in LEVELS:
        out[f"cov {round(100 * level)}"] = float(np.mean(np.abs(pit - 0.5) <= level / 2))
    return out


def one_split(name, split, n0s):
    held, y_held, test, y_test, y_scale, s = held_and_test(name, split)
    held_dist = GaussianMixtureDistribution(*held, squeeze=True).scaled(s)
    test_dist = GaussianMixtureDistribution(*test, squeeze=True).scaled(s)
    pit_held, pit_test = held_dist.cdf(y_held), test_dist.cdf(y_test)
    nll = -test_dist.logpdf(y_test) + np.log(y_scale)
    out = {"held-out, one factor": scores(None, pit_held),
           "test, one factor": scores(nll, pit_test)}
    for n0 in n0s:
        mapped, log_slope = apply_map(*fit_map(pit_held, n0), pit_test)
        out[f"test, recalibrated n0={n0:g}"] = scores(nll - log_slope, mapped)
    return out


def main(argv=None):
    parser = uci_parser(__doc__, DATASETS)
    parser.add_argument("--n0", nargs="+", type=float, default=[100.0, 300.0])
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    print_uci_means(args, lambda name, split: one_split(name, split, args.n0), 28)
    return 0


if __name__ == "__main__":
    sys.exit(main())
