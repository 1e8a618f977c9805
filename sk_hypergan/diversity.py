"""Diversity of the networks a fitted HyperGAN estimator generates.

HyperGAN's paper (Ratzlaff & Fuxin, ICML 2019, ablations) measures how
diverse the generated networks are, per target layer, by the ratio of the
standard deviation to the mean of the L2 norm of that layer's parameters over
100 sampled networks. :func:`weight_diversity` computes that measure.
"""

from __future__ import annotations

from numbers import Integral

import torch
from sklearn.pipeline import Pipeline
from sklearn.utils import check_random_state

from ._base import BaseHyperGAN
from ._typing import RandomStateLike

__all__ = ["weight_diversity"]


def weight_diversity(
    estimator: BaseHyperGAN | Pipeline, n: int = 100, random_state: RandomStateLike = 0
) -> dict[str, float]:
    """Per-layer diversity of the generated networks: std / mean of their L2 norms.

    Draws ``n`` networks from the fitted estimator's learned distribution and,
    for every target layer, takes the L2 norm of each network's parameters of
    that layer (weight and bias together, i.e. the flat vector that layer's
    generator outputs); the layer's diversity is the standard deviation of
    these ``n`` norms divided by their mean (a coefficient of variation). This
    is the measure of the HyperGAN paper's ablations (there with ``n=100``).
    0 means every network has the same norm in that layer; the ratio does not
    depend on the overall scale of the weights.

    The measure only sees the norms: networks that differ by, e.g., a
    permutation of hidden units or a rotation of their weights have equal
    norms and a diversity of 0 however different their functions. Compare it
    with a functional measure (e.g. the ``epistemic`` part of
    ``predict_uncertainty``) before concluding that networks are alike.

    Parameters
    ----------
    estimator : fitted HyperGANClassifier or HyperGANRegressor
        Also accepted as the last step of a fitted
        :class:`~sklearn.pipeline.Pipeline`.
    n : int, default=100
        Number of networks drawn; at least 2.
    random_state : int, RandomState instance or None, default=0
        Seed of the noise the networks are generated from. An int gives the
        same networks, hence the same result, on every call; None draws
        fresh noise.

    Returns
    -------
    dict of str to float
        Target layer name (the name of the submodule owning the parameters,
        e.g. ``"0"`` and ``"2"`` for ``mlp((50,))``) -> std / mean of the
        ``n`` per-network L2 norms of that layer's generated parameters
        (population std, ``ddof=0``). Layers appear in the target's order.

    See Also
    --------
    HyperGANClassifier.predict_uncertainty : Epistemic uncertainty (mutual
        information), a functional measure of the networks' disagreement.
    HyperGANRegressor.predict_uncertainty : Epistemic std of the networks' means.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sk_hypergan import HyperGANClassifier, weight_diversity
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = HyperGANClassifier(max_epochs=2, random_state=0).fit(X, y)
    >>> div = weight_diversity(clf, n=50, random_state=0)
    >>> list(div)
    ['0', '2']
    >>> all(v > 0 for v in div.values())
    True
    >>> div == weight_diversity(clf, n=50, random_state=0)
    True
    """
    if isinstance(estimator, Pipeline):
        estimator = estimator[-1]
    if not isinstance(estimator, BaseHyperGAN):
        raise TypeError(
            "weight_diversity needs a fitted HyperGANClassifier or HyperGANRegressor "
            f"(or a Pipeline ending in one); got {type(estimator).__name__}."
        )
    networks = estimator._networks  # NotFittedError if it is not fitted
    if not isinstance(n, Integral) or isinstance(n, bool) or n < 2:
        raise ValueError(f"n must be an int >= 2 (a std needs two networks); got {n!r}.")
    # A RandomState's next draw seeds the noise: an int gives the same
    # networks on every call, None fresh ones.
    noise = networks.noise(int(n), check_random_state(random_state))
    params = networks.parameters(noise)  # {param name: (n, *shape)}
    diversity = {}
    for layer in networks.layers:
        flat = torch.cat([params[name].reshape(n, -1) for name in layer.param_names], dim=1)
        norms = torch.linalg.vector_norm(flat.to("cpu", torch.float64), dim=1).numpy()
        mean = norms.mean()
        diversity[layer.name] = float(norms.std() / mean) if mean > 0 else 0.0
    return diversity
