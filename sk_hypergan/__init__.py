"""sk_hypergan: HyperGAN for scikit-learn users.

One estimator learns a whole distribution of neural networks in one fit
(Ratzlaff & Fuxin, ICML 2019) and gives predictions with calibrated
uncertainty, split into aleatoric and epistemic parts.
"""

from ._classifier import HyperGANClassifier
from ._regressor import HyperGANRegressor

__version__ = "0.1.0"

__all__ = ["HyperGANClassifier", "HyperGANRegressor", "__version__"]
