"""The pure-PyTorch HyperGAN core: no scikit-learn imports below this package.

Dependency direction: ``target_network`` -> ``hypernetwork`` -> ``regularizers``;
``losses`` stands alone.
"""

from .hypernetwork import HyperNetwork, make_mlp
from .losses import CrossEntropyLoss, GaussianNLLLoss, gaussian_head
from .regularizers import REGULARIZERS, CodeDiscriminator, MINEStatistics
from .target_network import LayerSpec, MLPNetwork, TargetNetwork

__all__ = [
    "HyperNetwork",
    "make_mlp",
    "CrossEntropyLoss",
    "GaussianNLLLoss",
    "gaussian_head",
    "REGULARIZERS",
    "CodeDiscriminator",
    "MINEStatistics",
    "LayerSpec",
    "MLPNetwork",
    "TargetNetwork",
]
