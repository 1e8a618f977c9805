"""Selection check: one calibration factor on the predictive spread, or two.

The regressor's post-hoc calibration (``calibration="auto"``) fitted one factor ``s`` on
the spread of its mixture about the mean (``fit_spread_scale``; since then it fits two
scaled copies, ``scale_mixture.py``). The alternative is two factors: ``a`` on the
networks' means about the mixture mean (the epistemic part) and ``b`` on their standard
deviations (the aleatoric part), each with the same prior on its logarithm. This script
fits the default regressor on UCI splits that no reported benchmark uses (10-15 by
default), keeps the networks' Gaussians on the held-out rows (those the fit calibrates
on) and on the test rows, and scores no calibration, one factor and two factors on the
test rows: mixture NLL, Gaussian NLL (the protocol's) and central-interval coverage.
The user guide's "Calibration on the held-out rows" reports what it found; it prints a
table and writes nothing.

    python benchmarks/selection/calibration_factors.py --datasets boston energy --splits 10-15
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import torch
from scipy.optimize import minimize
from scipy.stats import norm
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parents[1]), str(HERE.parent)]

from _common import held_out_rows, print_uci_means, uci_parser  # noqa: E402

from sk_hypergan import GaussianMixtureDistribution, HyperGANRegressor  # noqa: E402
from sk_hypergan._calibration import BOUNDS, PRIOR_SD, fit_spread_scale  # noqa: E402
from sk_hypergan._core.losses import gaussian_head  # noqa: E402

from harness.data import load_uci  # noqa: E402

DATASETS = ("boston", "concrete", "energy", "kin8nm", "naval", "power", "wine")
LEVELS = (0.5, 0.8, 0.9, 0.95)


def two_factor_mixture(means, variances, a, b):
    """The networks' mixture with the means' spread about their mean times ``a`` and the
    components' standard deviations times ``b`` (``a == b`` is the package's
    ``GaussianMixtureDistribution.scaled``)."""
    center = means.mean(0)
    return GaussianMixtureDistribution(center + a * (means - center), b * b * variances,
                                       squeeze=True)


def fit_two_factors(means, variances, y):
    """``(a, b)`` minimising the held-out mixture NLL plus, on each logarithm, the prior
    ``fit_spread_scale`` puts on its one factor (``PRIOR_SD``, per held-out row), within
    ``BOUNDS``."""
    n = len(y)

    def objective(logs):
        logs = np.clip(logs, *BOUNDS)
        penalty = np.sum(np.square(logs)) / (2 * PRIOR_SD**2 * n)
        return -two_factor_mixture(means, variances, *np.exp(logs)).logpdf(y).mean() + penalty

    result = minimize(objective, [0.0, 0.0], method="Nelder-Mead",
                      options={"xatol": 1e-4, "fatol": 1e-7})
    a, b = np.exp(np.clip(result.x, *BOUNDS))
    return float(a), float(b)


def scores(dist, y, y_scale):
    """Mixture NLL, Gaussian NLL (original units) and coverage of ``dist`` on ``y``."""
    mean, std = dist.mean(), dist.std()
    out = {"mixture NLL": -dist.logpdf(y).mean() + np.log(y_scale),
           "Gaussian NLL": -norm.logpdf(y, mean, std).mean() + np.log(y_scale)}
    for level in LEVELS:
        low, high = dist.interval(level)
        out[f"cov {round(100 * level)}"] = ((y >= low) & (y <= high)).mean()
    return out


def networks_gaussians(reg, X32):
    """Means and variances ``(networks, rows)`` of the prediction networks, standardised."""
    outputs = torch.cat([o.to("cpu", torch.float64) for o in reg._outputs(X32)], dim=1)
    mean, var = gaussian_head(outputs)
    return mean.numpy()[..., 0], var.numpy()[..., 0]


def held_and_test(name, split):
    """The default fit of ``split``: its prediction networks' Gaussians (standardised) on
    the held-out rows it calibrates on and on the test rows, both ``y`` (standardised),
    the target's scale and the one factor ``s`` of ``fit_spread_scale``."""
    X_train, y_train, X_test, y_test = load_uci(name, split)
    model = make_pipeline(StandardScaler(), HyperGANRegressor(random_state=split))
    with held_out_rows(HyperGANRegressor) as held_out:
        model.fit(X_train, y_train)
    reg = model[-1]
    X_held, y_held, _ = held_out["rows"]
    held = networks_gaussians(reg, X_held)
    test = networks_gaussians(reg, model[0].transform(X_test).astype(np.float32))
    y_test_std = (y_test - reg._y_mean[0]) / reg._y_scale[0]
    y_held = y_held.astype(np.float64).ravel()
    # The package's one-factor fit (what calibration="auto" did before two copies).
    s = float(fit_spread_scale(held[0][..., None], held[1][..., None], y_held[:, None])[0])
    return held, y_held, test, y_test_std, float(reg._y_scale[0]), s


def one_split(name, split):
    """Per variant, the test scores of the default fit of ``split``."""
    held, y_held, test, y_test_std, y_scale, s = held_and_test(name, split)
    variants = {"none": (1.0, 1.0), "one factor": (s, s),
                "two factors": fit_two_factors(*held, y_held)}
    test_mixture = GaussianMixtureDistribution(*test, squeeze=True)
    out = {}
    for variant, (a, b) in variants.items():
        dist = test_mixture.scaled(a) if a == b else two_factor_mixture(*test, a, b)
        out[variant] = {**scores(dist, y_test_std, y_scale), "a": a, "b": b}
    return out


def main(argv=None):
    args = uci_parser(__doc__, DATASETS).parse_args(argv)
    torch.set_num_threads(1)
    print_uci_means(args, one_split, 12)
    return 0


if __name__ == "__main__":
    sys.exit(main())
