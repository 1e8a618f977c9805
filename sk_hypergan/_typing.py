"""Type aliases of the public API's annotations."""

from __future__ import annotations

from typing import Union

import numpy as np
import numpy.typing as npt
from scipy import sparse

__all__ = ["ArrayLike", "RandomStateLike"]

#: What the estimators accept as ``X`` or ``y``: anything NumPy converts, or a
#: SciPy sparse matrix or array (``X`` with the ``mlp`` target). The sparse
#: types as forward references: ``sparray`` is public from SciPy 1.11 only.
ArrayLike = Union[npt.ArrayLike, "sparse.spmatrix", "sparse.sparray"]

#: scikit-learn's ``random_state``: an int seed, a ``RandomState`` or None.
RandomStateLike = Union[int, np.random.RandomState, None]
