"""scikit-learn's own estimator checks on both estimators."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from sk_hypergan import HyperGANClassifier, HyperGANRegressor

from conftest import CHECKS

#: As for scikit-learn's own MLPs and SGD estimators: stochastic training on
#: shuffled minibatches sees other batches when rows are repeated instead of
#: weighted, so the fitted models are not equal (only the loss is: see
#: tests/test_dropin.py::test_weighted_loss_equals_repeated_rows).
_WEIGHT_EQUIVALENCE = "sample_weight is not equivalent to removing/repeating samples."


def _expected_failed_checks(estimator):
    return {
        "check_sample_weight_equivalence_on_dense_data": _WEIGHT_EQUIVALENCE,
        "check_sample_weight_equivalence_on_sparse_data": _WEIGHT_EQUIVALENCE,
    }


@parametrize_with_checks(
    [HyperGANRegressor(**CHECKS), HyperGANClassifier(**CHECKS)],
    expected_failed_checks=_expected_failed_checks,
)
def test_sklearn_compatible(estimator, check):
    check(estimator)
