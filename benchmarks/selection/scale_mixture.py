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

``--k-prior-sds`` adds a row per standard deviation of the prior on ``k`` (the package's is
``PRIOR_SD_K``; the "one factor" row is a standard deviation of 0): how strongly the few
dozen held-out rows of a small data set should be kept from choosing a shape (the check
behind keeping or changing that prior).

    python benchmarks/selection/scale_mixture.py --datasets naval --splits 10-15
    python benchmarks/selection/scale_mixture.py --splits 10-19 --k-prior-sds 0.5 0.2 0.1 0.05
"""

from __future__ import annotations

import sys
from functools import partial
from pathlib import Path

import numpy as np
import torch

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parents[1]), str(HERE.parent), str(HERE)]

from _common import print_uci_means, uci_parser  # noqa: E402
from calibration_factors import DATASETS, held_and_test  # noqa: E402
from quantile_recalibration import apply_map, fit_map, scores  # noqa: E402

from sk_hypergan import GaussianMixtureDistribution  # noqa: E402
from sk_hypergan._calibration import fit_spread_factors  # noqa: E402


def one_split(name, split, k_prior_sds=()):
    held, y_held, test, y_test, y_scale, s1 = held_and_test(name, split)
    held_mix = GaussianMixtureDistribution(*held, squeeze=True)
    test_mix = GaussianMixtureDistribution(*test, squeeze=True)
    log_scale = np.log(y_scale)
    one = test_mix.scaled(s1)
    nll, pit = -one.logpdf(y_test) + log_scale, one.cdf(y_test)
    out = {"one factor": {**scores(nll, pit), "s": s1, "k": 0.0}}
    low, high = fit_spread_factors(*(a[..., None] for a in held), y_held[:, None])[0]
    two = test_mix.scale_mixture([low, high])
    out["two scales"] = {**scores(-two.logpdf(y_test) + log_scale, two.cdf(y_test)),
                         "s": np.sqrt(low * high), "k": np.log(high / low) / 2}
    mapped, log_slope = apply_map(*fit_map(held_mix.scaled(s1).cdf(y_held), 300.0), pit)
    out["quantile map n0=300"] = {**scores(nll - log_slope, mapped), "s": s1, "k": 0.0}
    for sd in k_prior_sds:
        low, high = fit_spread_factors(*(a[..., None] for a in held), y_held[:, None],
                                       prior_sd_k=sd)[0]
        two = test_mix.scale_mixture([low, high])
        out[f"two scales, sd_k {sd:g}"] = {
            **scores(-two.logpdf(y_test) + log_scale, two.cdf(y_test)),
            "s": np.sqrt(low * high), "k": np.log(high / low) / 2}
    return out


def main(argv=None):
    parser = uci_parser(__doc__, DATASETS)
    parser.add_argument("--k-prior-sds", nargs="*", type=float, default=[],
                        help="standard deviations of the prior on k to compare")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    print_uci_means(args, partial(one_split, k_prior_sds=args.k_prior_sds), 24)
    return 0


if __name__ == "__main__":
    sys.exit(main())
