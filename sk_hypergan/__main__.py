"""Quick start: ``python -m sk_hypergan``.

Fits HyperGANRegressor in a StandardScaler pipeline on scikit-learn's bundled
diabetes data and prints held-out predictions with their uncertainty, split
into aleatoric and epistemic parts, and the 90% interval coverage.
"""

import numpy as np
from sklearn.datasets import load_diabetes
from sklearn.metrics import r2_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sk_hypergan import HyperGANRegressor


def main() -> None:
    X, y = load_diabetes(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
    model = make_pipeline(StandardScaler(), HyperGANRegressor(random_state=0))
    model.fit(X_train, y_train)

    scaler, reg = model[:-1], model[-1]
    u = reg.predict_uncertainty(scaler.transform(X_test))
    interval = reg.predict_interval(scaler.transform(X_test), confidence_level=0.9)
    covered = np.mean((y_test >= interval[:, 0]) & (y_test <= interval[:, 1]))

    print("HyperGANRegressor on the diabetes data (held-out rows)")
    print(f"{'y':>8} {'mean':>8} {'std':>8} {'aleatoric':>10} {'epistemic':>10}")
    for i in range(10):
        print(
            f"{y_test[i]:8.1f} {u.mean[i]:8.1f} {u.std[i]:8.1f} "
            f"{u.aleatoric_std[i]:10.1f} {u.epistemic_std[i]:10.1f}"
        )
    print(f"\nR^2 on {len(y_test)} held-out rows: {r2_score(y_test, u.mean):.3f}")
    print(f"90% interval coverage: {covered:.1%}")

    # Far outside the training data the networks disagree: epistemic std grows.
    far = scaler.transform(X_test) * 10
    print(
        "mean epistemic std, held-out rows: "
        f"{u.epistemic_std.mean():.1f}; rows scaled 10x away from the data: "
        f"{reg.predict_uncertainty(far).epistemic_std.mean():.1f}"
    )


if __name__ == "__main__":
    main()
