"""
=====================================================
1-D regression: aleatoric and epistemic uncertainty
=====================================================

The toy problem of the HyperGAN paper: :math:`y = x^3 + \\varepsilon`,
:math:`\\varepsilon \\sim \\mathcal{N}(0, 3^2)`, with 20 training points drawn
uniformly on :math:`[-4, 4]`, and predictions on :math:`[-6, 6]`, beyond the
data on both sides.

:class:`~sk_hypergan.HyperGANRegressor` returns a predictive mean and a
standard deviation whose square splits into the noise the generated networks
predict (aleatoric) and their disagreement (epistemic):
``std**2 == aleatoric_std**2 + epistemic_std**2``.
"""

# %%
# Data and fit
# ------------
import matplotlib.pyplot as plt
import numpy as np

from sk_hypergan import HyperGANRegressor, UncertaintyBandDisplay

rng = np.random.RandomState(0)
X = rng.uniform(-4, 4, size=(20, 1))
y = X.ravel() ** 3 + rng.normal(0, 3, size=20)

reg = HyperGANRegressor(max_epochs=500, random_state=0).fit(X, y)

# %%
# Mean and uncertainty bands
# --------------------------
# :class:`~sk_hypergan.UncertaintyBandDisplay` predicts on a grid (here wider
# than the data) and draws the mean with two bands of two standard deviations:
# the total one, and the epistemic one inside it (left). On the right, the two
# parts of the standard deviation, from
# :meth:`~sk_hypergan.HyperGANRegressor.predict_uncertainty`. The shaded areas
# have no training data: the epistemic part, the networks' disagreement, is
# smallest where the data are dense and grows outside them.
fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
disp = UncertaintyBandDisplay.from_estimator(reg, X, y, x_range=(-6, 6), ax=axes[0])
grid = disp.x
axes[0].plot(grid, grid**3, "k--", lw=1, label="true function $x^3$")
axes[0].axvspan(-6, -4, color="0.92", zorder=0)
axes[0].axvspan(4, 6, color="0.92", zorder=0)
axes[0].set_ylim(-250, 250)
axes[0].set_xlabel("x")
axes[0].legend(loc="upper left")
axes[0].set_title("Predictive mean ± 2 std")

# Both panels in one cell: the gallery captures a figure at the end of its cell.
u = reg.predict_uncertainty(grid[:, None])
axes[1].plot(grid, u.aleatoric_std, label="aleatoric std")
axes[1].plot(grid, u.epistemic_std, label="epistemic std")
axes[1].plot(grid, u.std, "k", lw=1, label="total std")
axes[1].axvspan(-6, -4, color="0.92", zorder=0)
axes[1].axvspan(4, 6, color="0.92", zorder=0)
axes[1].set_xlabel("x")
axes[1].set_ylabel("standard deviation")
axes[1].legend(loc="upper center")
axes[1].set_title("Aleatoric and epistemic parts")
fig.tight_layout()
plt.show()

inside = np.abs(grid) <= 4
print(f"mean epistemic std inside the data: {u.epistemic_std[inside].mean():.1f}")
print(f"mean epistemic std outside the data: {u.epistemic_std[~inside].mean():.1f}")
np.testing.assert_allclose(u.std**2, u.aleatoric_std**2 + u.epistemic_std**2)

# %%
# Functions drawn from the model
# ------------------------------
# Each column of :meth:`~sk_hypergan.HyperGANRegressor.sample_y` uses its own
# generated network, so the draws are whole functions (plus the predicted
# noise). Here, the networks themselves: the means of eight networks from
# :meth:`~sk_hypergan.HyperGANRegressor.sample_networks`.
import torch

fig, ax = plt.subplots(figsize=(6, 4))
with torch.no_grad():
    x_t = torch.as_tensor(grid[:, None], dtype=torch.float32)
    for net in reg.sample_networks(8, random_state=1):
        ax.plot(grid, net(x_t)[:, 0].numpy(), lw=1, alpha=0.8)
ax.scatter(X, y, c="k", s=12, zorder=3, label="data")
ax.set_ylim(-250, 250)
ax.set_xlabel("x")
ax.set_ylabel("y")
ax.set_title("Means of eight generated networks")
ax.legend(loc="upper left")
plt.show()
