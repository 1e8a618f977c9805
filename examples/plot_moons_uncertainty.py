"""
===============================================================
2-D classification: where is the model unsure, and why?
===============================================================

On scikit-learn's two moons, :class:`~sk_hypergan.HyperGANClassifier`'s
:meth:`~sk_hypergan.HyperGANClassifier.predict_uncertainty` splits the
predictive entropy (``total``) into two parts:

- ``aleatoric``, the mean entropy of the generated networks: high where the
  classes overlap, so every network hesitates;
- ``epistemic``, the mutual information between the label and the network
  (``total - aleatoric``): high where the networks are individually confident
  but disagree with each other.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import make_moons

from sk_hypergan import HyperGANClassifier

X, y = make_moons(n_samples=200, noise=0.2, random_state=0)
clf = HyperGANClassifier(max_epochs=100, random_state=0).fit(X, y)
print(f"training accuracy: {clf.score(X, y):.2f}")

# %%
# Evaluate on a grid that extends well beyond the data.
xx, yy = np.meshgrid(np.linspace(-3, 4, 150), np.linspace(-2.5, 3, 150))
grid = np.c_[xx.ravel(), yy.ravel()]
proba = clf.predict_proba(grid)[:, 1].reshape(xx.shape)
u = clf.predict_uncertainty(grid)

panels = [
    (proba, "P(class 1)", "RdBu_r"),
    (u.total.reshape(xx.shape), "total: entropy of the mean (nats)", "viridis"),
    (u.aleatoric.reshape(xx.shape), "aleatoric: mean entropy (nats)", "viridis"),
    (u.epistemic.reshape(xx.shape), "epistemic: mutual information (nats)", "viridis"),
]
fig, axes = plt.subplots(2, 2, figsize=(10, 8), sharex=True, sharey=True)
for ax, (values, title, cmap) in zip(axes.ravel(), panels):
    mesh = ax.contourf(xx, yy, values, levels=20, cmap=cmap)
    ax.scatter(X[:, 0], X[:, 1], c=y, cmap="RdBu_r", edgecolors="k", s=15)
    ax.set_title(title)
    fig.colorbar(mesh, ax=ax)
fig.tight_layout()
plt.show()

# %%
# The decomposition is exact: ``total == aleatoric + epistemic`` at every
# point, and both parts are non-negative.
np.testing.assert_allclose(u.total, u.aleatoric + u.epistemic)

# %%
# Where the model is unsure (total entropy above 0.3 nats), how much of it is
# epistemic, close to the training data and away from it?
from sklearn.neighbors import NearestNeighbors

distance = NearestNeighbors(n_neighbors=1).fit(X).kneighbors(grid)[0].ravel()
unsure = u.total > 0.3
for name, rows in [("near the data", unsure & (distance < 0.3)),
                   ("away from the data", unsure & (distance >= 0.3))]:
    share = u.epistemic[rows].sum() / u.total[rows].sum()
    print(f"{name}: epistemic share of the entropy {share:.0%} ({rows.sum()} grid points)")

# %%
# Inside the data, uncertainty sits where the moons overlap and is mostly
# aleatoric: every network hesitates there. The epistemic part lights up where
# the decision boundary continues beyond the data, because nothing pins down
# where it should run and the generated networks place it differently.
#
# Far from both the data and the boundary, all networks become confident:
# ReLU networks extrapolate linearly, so their logits grow with the distance
# (Hein et al., CVPR 2019). The mutual information is therefore a measure of
# disagreement, not of distance to the training data.
