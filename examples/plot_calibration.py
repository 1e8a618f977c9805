"""
=====================================================
Reliability diagram on the breast cancer data
=====================================================

Are the averaged probabilities of :class:`~sk_hypergan.HyperGANClassifier`
calibrated? A reliability diagram
(:class:`sklearn.calibration.CalibrationDisplay`) bins the test rows by
predicted probability and plots, for each bin, the observed fraction of
positives against the mean prediction: a calibrated model lies on the
diagonal. A logistic regression is shown for reference, and the Brier score
and the log-loss summarise both.
"""

# %%
import matplotlib.pyplot as plt
from sklearn.calibration import CalibrationDisplay
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import brier_score_loss, log_loss
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sk_hypergan import HyperGANClassifier

X, y = load_breast_cancer(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.4, stratify=y, random_state=0
)

models = {
    "HyperGAN": make_pipeline(
        StandardScaler(), HyperGANClassifier(max_epochs=40, random_state=0)
    ),
    "Logistic regression": make_pipeline(StandardScaler(), LogisticRegression()),
}

# %%
fig, (ax_cal, ax_hist) = plt.subplots(1, 2, figsize=(11, 4.5))
for i, (name, model) in enumerate(models.items()):
    model.fit(X_train, y_train)
    proba = model.predict_proba(X_test)[:, 1]
    print(
        f"{name:>20}: accuracy {model.score(X_test, y_test):.3f}, "
        f"Brier {brier_score_loss(y_test, proba):.4f}, log-loss {log_loss(y_test, proba):.4f}"
    )
    CalibrationDisplay.from_estimator(
        model, X_test, y_test, n_bins=8, strategy="quantile", name=name, ax=ax_cal, color=f"C{i}"
    )
    ax_hist.hist(proba, bins=20, range=(0, 1), alpha=0.5, label=name, color=f"C{i}")
ax_cal.set_title("Reliability diagram (test rows)")
ax_hist.set_xlabel("predicted probability of class 1")
ax_hist.set_ylabel("test rows")
ax_hist.set_title("Distribution of the predictions")
ax_hist.legend()
fig.tight_layout()
plt.show()

# %%
# Which test rows is HyperGAN unsure about? The rows it gets wrong should
# carry a larger predictive entropy than those it gets right.
hypergan = models["HyperGAN"]
scaler, clf = hypergan[:-1], hypergan[-1]
u = clf.predict_uncertainty(scaler.transform(X_test))
wrong = hypergan.predict(X_test) != y_test
print(f"mean total entropy, correct rows: {u.total[~wrong].mean():.3f} nats")
if wrong.any():
    print(f"mean total entropy, wrong rows:   {u.total[wrong].mean():.3f} nats")
