"""sk_hypergan: HyperGAN for scikit-learn users.

One estimator learns a whole distribution of neural networks in one fit
(Ratzlaff & Fuxin, ICML 2019) and gives predictions with calibrated
uncertainty, split into aleatoric and epistemic parts.
"""

from ._callbacks import DivergenceWarning, TrainingDivergedError
from ._classifier import HyperGANClassifier
from ._distribution import GaussianMixtureDistribution
from ._regressor import HyperGANRegressor
from .display import UncertaintyBandDisplay, UncertaintyHistogramDisplay
from .diversity import weight_diversity

__version__ = "0.1.0"

__all__ = [
    "DivergenceWarning",
    "GaussianMixtureDistribution",
    "HyperGANClassifier",
    "HyperGANRegressor",
    "TrainingDivergedError",
    "UncertaintyBandDisplay",
    "UncertaintyHistogramDisplay",
    "__version__",
    "weight_diversity",
]
