"""Selection check: a two-scale mixture as the regressor's post-hoc calibration.

The regressor's calibration (``calibration="auto"``) multiplies the spread of its predictive
mixture about the mean by one factor ``s``. Where the central intervals still miss their level
after it -- UCI naval: too many test rows inside the 50% interval and a few too many outside
the 95% one -- the residuals are more peaked and heavier-tailed than the mixture, which no
single factor fixes. A scale mixture of Gaussians is peaked and heavy-tailed: this script fits
the equal mixture of two copies of the networks' mixture, scaled about its mean by
``s * exp(-k)`` and ``s * exp(k)`` (``k = 0`` is the one factor), by the held-out mixture NLL
with the prior of ``fit_spread_scale`` (``PRIOR_SD``, per held-out row) on ``log s`` and on
``k`` (the package's ``fit_spread_factors``, which ``calibration="auto"`` now uses). The
mean is unchanged, the variance is ``s**2 * cosh(2 k)`` times the networks'
(aleatoric and epistemic parts alike), so ``predict`` and ``predict_uncertainty`` stay the
moments of the distribution. For comparison, the quantile recalibration of
``quantile_recalibration.py`` (``n0 = 300``).

It fits the default regressor on UCI splits no reported benchmark uses (10-15 by default)
and prints, per variant, the test rows' mixture NLL and coverage at 50/80/90/95% and the
fitted ``s`` and ``k``. It writes nothing.

    python benchmarks/selection/scale_mixture.py --datasets naval --splits 10-15
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import torch

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parents[1]), str(HERE.parent), str(HERE)]

from _common import mean_row, uci_splits  # noqa: E402
from calibration_factors import DATASETS, LEVELS, held_and_test  # noqa: E402
from quantile_recalibration import fit_map  # noqa: E402

from sk_hypergan import GaussianMixtureDistribution  # noqa: E402
from sk_hypergan._calibration import fit_spread_factors  # noqa: E402


def two_scale_logpdf(mixture, y, s, k):
    """Log density of the equal mixture of ``mixture`` scaled by ``s e^-k`` and ``s e^k``."""
    return np.logaddexp(mixture.scaled(s * np.exp(-k)).logpdf(y),
                        mixture.scaled(s * np.exp(k)).logpdf(y)) - np.log(2)


def two_scale_cdf(mixture, y, s, k):
    return 0.5 * (mixture.scaled(s * np.exp(-k)).cdf(y) + mixture.scaled(s * np.exp(k)).cdf(y))


def scores(nll, pit, **extra):
    out = {"NLL": nll.mean()}
    for level in LEVELS:
        out[f"cov {round(100 * level)}"] = float(np.mean(np.abs(pit - 0.5) <= level / 2))
    return {**out, **extra}


def one_split(name, split):
    held, y_held, test, y_test, y_scale, s1 = held_and_test(name, split)
    held_mix = GaussianMixtureDistribution(*held, squeeze=True)
    test_mix = GaussianMixtureDistribution(*test, squeeze=True)
    log_scale = np.log(y_scale)
    one = test_mix.scaled(s1)
    out = {"one factor": scores(-one.logpdf(y_test) + log_scale, one.cdf(y_test), s=s1, k=0.0)}
    low, high = fit_spread_factors(*(a[..., None] for a in held), y_held[:, None])[0]
    s, k = np.sqrt(low * high), np.log(high / low) / 2
    out["two scales"] = scores(-two_scale_logpdf(test_mix, y_test, s, k) + log_scale,
                               two_scale_cdf(test_mix, y_test, s, k), s=s, k=k)
    x, r = fit_map(held_mix.scaled(s1).cdf(y_held), 300.0)
    pit = one.cdf(y_test)
    seg = np.clip(np.searchsorted(x, pit, side="right") - 1, 0, len(x) - 2)
    slope = (r[seg + 1] - r[seg]) / (x[seg + 1] - x[seg])
    out["quantile map n0=300"] = scores(-one.logpdf(y_test) + log_scale - np.log(slope),
                                        np.interp(pit, x, r), s=s1, k=0.0)
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", default=list(DATASETS))
    parser.add_argument("--splits", type=uci_splits, default="10-15",
                        help="first-last (never 0-9)")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    for name in args.datasets:
        runs = [one_split(name, split) for split in args.splits]
        print(f"{name} (splits {args.splits[0]}-{args.splits[-1]}; mean over splits)",
              flush=True)
        for variant in runs[0]:
            print(mean_row(variant, [r[variant] for r in runs], 20), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
