"""
====================================================
Out-of-distribution detection on the digits
====================================================

Train :class:`~sk_hypergan.HyperGANClassifier` on the 8x8 images of the
digits 0-4 only, then score held-out images of 0-4 (in-distribution) and all
images of 5-9, classes the model has never seen (out-of-distribution). A good
uncertainty score is higher on the second group.

The score is the epistemic part of
:meth:`~sk_hypergan.HyperGANClassifier.predict_uncertainty`, the mutual
information between the label and the network: the generated networks agree
on familiar inputs and disagree on unfamiliar ones. This is the paper's
CIFAR-10 classes 0-4 / 5-9 protocol, on a small scale.
"""

# %%
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split

from sk_hypergan import HyperGANClassifier, UncertaintyHistogramDisplay

# The fits below are kept short so that the gallery builds quickly; each would
# otherwise warn that it ran out of max_epochs before early stopping ended it.
warnings.filterwarnings("ignore", category=ConvergenceWarning)

X, y = load_digits(return_X_y=True)
X = X / 16.0  # pixel intensities in [0, 1]
known = y < 5
X_train, X_in, y_train, y_in = train_test_split(
    X[known], y[known], test_size=0.3, stratify=y[known], random_state=0
)
X_out = X[~known]

clf = HyperGANClassifier(max_epochs=30, random_state=0).fit(X_train, y_train)
print(f"accuracy on held-out digits 0-4: {clf.score(X_in, y_in):.3f}")

# %%
# Score both groups and plot the histograms with
# :class:`~sk_hypergan.UncertaintyHistogramDisplay`; the area under the ROC
# curve measures how well the score separates them (1 is perfect, 0.5 is
# chance). Next to it, the total predictive entropy of the averaged
# probabilities. Which score separates the groups better depends on the data
# and the model; both come from the same fit at no extra cost.
X_all = np.r_[X_in, X_out]
groups = np.r_[["digits 0-4 (in)"] * len(X_in), ["digits 5-9 (out)"] * len(X_out)]
is_out = groups == "digits 5-9 (out)"

fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
for ax, score in zip(axes, ["epistemic", "total"]):
    disp = UncertaintyHistogramDisplay.from_estimator(
        clf, X_all, groups=groups, score=score, bins=30, ax=ax
    )
    auc = roc_auc_score(is_out, np.concatenate(disp.scores))
    ax.set_title(f"{score}: AUROC in vs out = {auc:.3f}")
    print(f"{score:>10}: AUROC = {auc:.3f}")
fig.tight_layout()
plt.show()

# %%
# ``disp.scores`` holds the values in the order of the groups (sorted labels,
# here in then out), so they line up with ``is_out`` above. Any other score
# can be plotted the same way with
# :meth:`~sk_hypergan.UncertaintyHistogramDisplay.from_predictions`, e.g. one
# minus the largest class probability:
max_proba = clf.predict_proba(X_all).max(axis=1)
UncertaintyHistogramDisplay.from_predictions(
    1 - max_proba, groups=groups, score_name="1 - max probability", bins=30
)
print(f"1 - max probability: AUROC = {roc_auc_score(is_out, 1 - max_proba):.3f}")
plt.show()
