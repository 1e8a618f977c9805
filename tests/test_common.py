"""scikit-learn's own estimator checks on both estimators."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from sk_hypergan import HyperGANClassifier, HyperGANRegressor

# Smaller than the defaults so ~50 checks x 2 estimators fit the CI budget;
# every check still trains real networks and must meet sklearn's score bars.
FAST = dict(max_epochs=30, n_samples=20, n_networks=8)


@parametrize_with_checks([HyperGANRegressor(**FAST), HyperGANClassifier(**FAST)])
def test_sklearn_compatible(estimator, check):
    check(estimator)
