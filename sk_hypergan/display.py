"""Plotting helpers in scikit-learn's Display style.

Each display holds computed values (its constructor only stores them), draws
them with :meth:`plot`, and is most easily made with ``from_estimator``, as
:class:`sklearn.calibration.CalibrationDisplay` or the displays of
:mod:`sklearn.inspection`. After ``plot``, the matplotlib artists are kept as
attributes ending in ``_`` (``ax_``, ``figure_``, ``line_``, ...).

matplotlib is an optional dependency: it is imported only when plotting.
"""

from __future__ import annotations

from collections.abc import Sequence
from numbers import Integral, Real
from typing import TYPE_CHECKING, Any, Callable

import numpy as np
from numpy.typing import ArrayLike
from sklearn.base import is_classifier
from sklearn.pipeline import Pipeline

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["UncertaintyBandDisplay", "UncertaintyHistogramDisplay"]


def _import_pyplot(caller: str) -> Any:
    """``matplotlib.pyplot``, or an ImportError saying how to get it."""
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ImportError(
            f"{caller} requires matplotlib, an optional dependency of sk_hypergan. "
            "Install it with `pip install matplotlib`."
        ) from exc
    return plt


def _get_ax(ax: Axes | None, caller: str) -> Axes:
    if ax is None:
        plt = _import_pyplot(caller)
        _, ax = plt.subplots()
    else:
        _import_pyplot(caller)
    return ax


def _uncertainty(estimator: Any, X: Any) -> Any:
    """``estimator.predict_uncertainty(X)``, also through a Pipeline's last step;
    None if the estimator has no such method."""
    if hasattr(estimator, "predict_uncertainty"):
        return estimator.predict_uncertainty(X)
    if isinstance(estimator, Pipeline) and hasattr(estimator[-1], "predict_uncertainty"):
        return estimator[-1].predict_uncertainty(estimator[:-1].transform(X))
    return None


def _check_1d(values: ArrayLike, what: str) -> np.ndarray:
    values = np.asarray(values, dtype=float)
    if values.ndim == 2 and values.shape[1] == 1:  # one target as a column
        values = values[:, 0]
    if values.ndim != 1:
        raise ValueError(
            f"{what} must be one value per row (a single target); got shape {values.shape}."
        )
    return values


class UncertaintyBandDisplay:
    """Predictive mean with a band of ``n_std`` standard deviations along a 1-D slice.

    The total band is ``mean +/- n_std * std``; an optional inner band,
    ``mean +/- n_std * epistemic_std``, shows the part that comes from the
    networks disagreeing (for :class:`~sk_hypergan.HyperGANRegressor`,
    ``std**2 = aleatoric_std**2 + epistemic_std**2``).

    Most easily created with :meth:`from_estimator`; the constructor only
    stores the values to draw.

    Parameters
    ----------
    x : ndarray of shape (n_points,)
        Position of each point along the slice (sorted when plotted).
    mean : ndarray of shape (n_points,)
        Predictive mean.
    std : ndarray of shape (n_points,)
        Predictive (total) standard deviation.
    epistemic_std : ndarray of shape (n_points,) or None, default=None
        Epistemic part of ``std``; None draws no inner band.
    x_data : ndarray of shape (n_data,) or None, default=None
        Positions of observed points to overlay (e.g. the training data).
    y_data : ndarray of shape (n_data,) or None, default=None
        Targets of the observed points.
    n_std : float, default=2.0
        Half-width of the bands, in standard deviations.
    feature_name : str or None, default=None
        Label of the x-axis.
    estimator_name : str or None, default=None
        Label of the mean curve in the legend.

    Attributes
    ----------
    line_ : matplotlib Line2D
        The mean curve.
    band_ : matplotlib PolyCollection
        The total band.
    epistemic_band_ : matplotlib PolyCollection or None
        The epistemic band, if drawn.
    scatter_ : matplotlib PathCollection or None
        The observed points, if given.
    ax_ : matplotlib Axes
        Axes with the plot.
    figure_ : matplotlib Figure
        Figure containing the plot.

    See Also
    --------
    UncertaintyHistogramDisplay : Histograms of an uncertainty score.

    Examples
    --------
    >>> import numpy as np
    >>> from sk_hypergan import HyperGANRegressor
    >>> from sk_hypergan.display import UncertaintyBandDisplay
    >>> X = np.linspace(-1, 1, 40)[:, None]
    >>> y = X.ravel() ** 3
    >>> reg = HyperGANRegressor(max_epochs=5, n_prediction_networks=20, random_state=0).fit(X, y)
    >>> disp = UncertaintyBandDisplay.from_estimator(reg, X, y, x_range=(-2, 2))
    >>> disp.line_.get_xdata().shape
    (200,)
    >>> bool((disp.epistemic_std <= disp.std).all())
    True
    """

    def __init__(
        self,
        *,
        x: ArrayLike,
        mean: ArrayLike,
        std: ArrayLike,
        epistemic_std: ArrayLike | None = None,
        x_data: ArrayLike | None = None,
        y_data: ArrayLike | None = None,
        n_std: float = 2.0,
        feature_name: str | None = None,
        estimator_name: str | None = None,
    ) -> None:
        self.x = x
        self.mean = mean
        self.std = std
        self.epistemic_std = epistemic_std
        self.x_data = x_data
        self.y_data = y_data
        self.n_std = n_std
        self.feature_name = feature_name
        self.estimator_name = estimator_name

    def plot(
        self,
        ax: Axes | None = None,
        *,
        name: str | None = None,
        show_epistemic: bool = True,
        line_kwargs: dict[str, Any] | None = None,
        band_kwargs: dict[str, Any] | None = None,
        epistemic_kwargs: dict[str, Any] | None = None,
        scatter_kwargs: dict[str, Any] | None = None,
    ) -> UncertaintyBandDisplay:
        """Draw the mean, the band(s) and the observed points.

        Parameters
        ----------
        ax : matplotlib Axes or None, default=None
            Axes to draw on; None makes a new figure.
        name : str or None, default=None
            Legend label of the mean curve; defaults to ``estimator_name``.
        show_epistemic : bool, default=True
            Draw the epistemic band (when ``epistemic_std`` is known).
        line_kwargs, band_kwargs, epistemic_kwargs, scatter_kwargs : dict or None
            Keyword arguments of ``ax.plot`` (mean), ``ax.fill_between``
            (total and epistemic bands) and ``ax.scatter`` (observed points).

        Returns
        -------
        display : UncertaintyBandDisplay
            ``self``, with the artists stored as attributes.
        """
        ax = _get_ax(ax, "UncertaintyBandDisplay.plot")
        x = np.asarray(self.x, dtype=float)
        order = np.argsort(x, kind="stable")
        x = x[order]
        mean = np.asarray(self.mean, dtype=float)[order]
        std = np.asarray(self.std, dtype=float)[order]
        k = float(self.n_std)
        name = self.estimator_name if name is None else name

        line_kw = {"color": "C0", "label": "mean" if name is None else f"{name} mean"}
        self.line_ = ax.plot(x, mean, **{**line_kw, **(line_kwargs or {})})[0]
        band_kw = {"color": "C0", "alpha": 0.2, "linewidth": 0, "label": f"±{k:g} std (total)"}
        self.band_ = ax.fill_between(
            x, mean - k * std, mean + k * std, **{**band_kw, **(band_kwargs or {})}
        )
        self.epistemic_band_ = None
        if show_epistemic and self.epistemic_std is not None:
            epi = np.asarray(self.epistemic_std, dtype=float)[order]
            epi_kw = {
                "color": "C1",
                "alpha": 0.35,
                "linewidth": 0,
                "label": f"±{k:g} std (epistemic)",
            }
            self.epistemic_band_ = ax.fill_between(
                x, mean - k * epi, mean + k * epi, **{**epi_kw, **(epistemic_kwargs or {})}
            )
        self.scatter_ = None
        if self.x_data is not None and self.y_data is not None:
            scatter_kw = {"color": "k", "s": 12, "zorder": 3, "label": "data"}
            self.scatter_ = ax.scatter(
                self.x_data, self.y_data, **{**scatter_kw, **(scatter_kwargs or {})}
            )
        ax.set_xlabel(self.feature_name if self.feature_name is not None else "x")
        ax.set_ylabel("y")
        ax.legend(loc="best")
        self.ax_ = ax
        self.figure_ = ax.figure
        return self

    @classmethod
    def from_estimator(
        cls,
        estimator: Any,
        X: ArrayLike,
        y: ArrayLike | None = None,
        *,
        feature: int | str = 0,
        x_range: tuple[float, float] | None = None,
        grid_resolution: int = 200,
        n_std: float = 2.0,
        show_epistemic: bool = True,
        name: str | None = None,
        ax: Axes | None = None,
        **kwargs: Any,
    ) -> UncertaintyBandDisplay:
        """Predict along a 1-D slice through the data and plot the band.

        The slice varies one feature over a regular grid and holds the other
        features at their median in ``X``. The predictions come from
        ``estimator.predict_uncertainty`` (also as the last step of a
        :class:`~sklearn.pipeline.Pipeline`), which gives the epistemic band;
        any other regressor with ``predict(X, return_std=True)``, such as
        :class:`~sklearn.gaussian_process.GaussianProcessRegressor`, gives the
        total band only.

        Parameters
        ----------
        estimator : fitted regressor
            A single-target regressor, e.g. a fitted
            :class:`~sk_hypergan.HyperGANRegressor`.
        X : array-like of shape (n_samples, n_features)
            Data that sets the slice (grid range and the median of the other
            features); shown as points if ``y`` is given.
        y : array-like of shape (n_samples,) or None, default=None
            Targets of ``X``, drawn as points.
        feature : int or str, default=0
            The feature varied along the slice: a column index, or a column
            name when ``X`` is a pandas DataFrame.
        x_range : (float, float) or None, default=None
            Range of the grid; None uses the range of the feature in ``X``.
            Widen it to see how the uncertainty grows away from the data.
        grid_resolution : int, default=200
            Number of grid points.
        n_std : float, default=2.0
            Half-width of the bands, in standard deviations.
        show_epistemic : bool, default=True
            Draw the epistemic band when the estimator provides it.
        name : str or None, default=None
            Legend label; defaults to the estimator's class name.
        ax : matplotlib Axes or None, default=None
            Axes to draw on; None makes a new figure.
        **kwargs : dict
            Passed to :meth:`plot` (``line_kwargs``, ``band_kwargs``, ...).

        Returns
        -------
        display : UncertaintyBandDisplay
        """
        _import_pyplot("UncertaintyBandDisplay.from_estimator")
        columns = getattr(X, "columns", None)
        X_arr = np.asarray(X, dtype=float)
        if X_arr.ndim != 2:
            raise ValueError(f"X must be 2-D (n_samples, n_features); got shape {X_arr.shape}.")
        if isinstance(feature, str):
            if columns is None:
                raise ValueError("A feature name needs X to be a pandas DataFrame.")
            names = [str(c) for c in columns]
            if feature not in names:
                raise ValueError(f"Feature {feature!r} is not a column of X: {names}.")
            index, feature_name = names.index(feature), feature
        elif isinstance(feature, Integral) and not isinstance(feature, bool):
            if not -X_arr.shape[1] <= feature < X_arr.shape[1]:
                raise ValueError(
                    f"feature={feature} is out of range for X with {X_arr.shape[1]} features."
                )
            index = int(feature) % X_arr.shape[1]
            feature_name = str(columns[index]) if columns is not None else f"x{index}"
        else:
            raise TypeError(f"feature must be an int or a str; got {feature!r}.")
        if not (isinstance(grid_resolution, Integral) and grid_resolution >= 2):
            raise ValueError(f"grid_resolution must be an int >= 2; got {grid_resolution!r}.")
        if not (isinstance(n_std, Real) and n_std > 0):
            raise ValueError(f"n_std must be a positive number; got {n_std!r}.")
        if is_classifier(estimator):
            raise TypeError(
                "UncertaintyBandDisplay plots a regressor's predictive band; got a "
                f"classifier, {type(estimator).__name__}. For a classifier's scores use "
                "UncertaintyHistogramDisplay."
            )

        column = X_arr[:, index]
        low, high = (column.min(), column.max()) if x_range is None else x_range
        x = np.linspace(float(low), float(high), int(grid_resolution))
        grid = np.tile(np.median(X_arr, axis=0), (len(x), 1))
        grid[:, index] = x
        if columns is not None:
            import pandas as pd  # X is a DataFrame, so pandas is installed

            grid = pd.DataFrame(grid, columns=columns)

        u = _uncertainty(estimator, grid)
        if u is not None and "epistemic_std" in u:
            mean, std, epistemic = u.mean, u.std, u.epistemic_std
        else:
            mean, std = estimator.predict(grid, return_std=True)
            epistemic = None
        mean = _check_1d(mean, "The predicted mean")
        std = _check_1d(std, "The predicted std")
        if epistemic is not None:
            epistemic = _check_1d(epistemic, "The predicted epistemic std")
        x_data = y_data = None
        if y is not None:
            x_data, y_data = column, _check_1d(y, "y")
            if len(y_data) != len(column):
                raise ValueError(f"y has {len(y_data)} values for the {len(column)} rows of X.")
        display = cls(
            x=x,
            mean=mean,
            std=std,
            epistemic_std=epistemic,
            x_data=x_data,
            y_data=y_data,
            n_std=n_std,
            feature_name=feature_name,
            estimator_name=type(estimator).__name__ if name is None else name,
        )
        return display.plot(ax=ax, show_epistemic=show_epistemic, **kwargs)


#: Score names of ``predict_uncertainty`` and what to call them on an axis.
_SCORE_LABELS = {
    "total": "total uncertainty (predictive entropy, nats)",
    "aleatoric": "aleatoric uncertainty (mean entropy, nats)",
    "epistemic": "epistemic uncertainty (mutual information, nats)",
    "std": "predictive std",
    "aleatoric_std": "aleatoric std",
    "epistemic_std": "epistemic std",
}


class UncertaintyHistogramDisplay:
    """Histograms of an uncertainty score, one per group of rows.

    For example in-distribution against out-of-distribution rows: a good
    epistemic score puts the second group to the right of the first. All
    groups share the same bins.

    Most easily created with :meth:`from_estimator` or
    :meth:`from_predictions`; the constructor only stores the values to draw.

    Parameters
    ----------
    scores : list of ndarray
        One 1-D array of scores per group.
    labels : list of str or None, default=None
        Legend label of each group; None draws no legend.
    score_name : str, default="uncertainty"
        Label of the x-axis.
    estimator_name : str or None, default=None
        Name of the estimator, used as the title.

    Attributes
    ----------
    patches_ : list
        For each group, the list of matplotlib patches ``ax.hist`` drew.
    counts_ : list of ndarray
        For each group, the bar heights (densities if ``density``).
    bin_edges_ : ndarray
        Edges of the shared bins.
    ax_ : matplotlib Axes
        Axes with the plot.
    figure_ : matplotlib Figure
        Figure containing the plot.

    See Also
    --------
    UncertaintyBandDisplay : Mean and uncertainty bands along a 1-D slice.

    Examples
    --------
    >>> import numpy as np
    >>> from sk_hypergan.display import UncertaintyHistogramDisplay
    >>> rng = np.random.RandomState(0)
    >>> scores = np.r_[rng.gamma(1.0, 0.1, 100), rng.gamma(4.0, 0.1, 50)]
    >>> groups = np.r_[["in"] * 100, ["out"] * 50]
    >>> disp = UncertaintyHistogramDisplay.from_predictions(scores, groups=groups, bins=10)
    >>> [len(c) for c in disp.counts_], disp.bin_edges_.shape
    ([10, 10], (11,))
    >>> disp.ax_.get_legend_handles_labels()[1]
    ['in', 'out']
    """

    def __init__(
        self,
        *,
        scores: Sequence[ArrayLike],
        labels: Sequence[str] | None = None,
        score_name: str = "uncertainty",
        estimator_name: str | None = None,
    ) -> None:
        self.scores = scores
        self.labels = labels
        self.score_name = score_name
        self.estimator_name = estimator_name

    def plot(
        self,
        ax: Axes | None = None,
        *,
        bins: int | Sequence[float] = 30,
        density: bool = True,
        hist_kwargs: dict[str, Any] | None = None,
    ) -> UncertaintyHistogramDisplay:
        """Draw one histogram per group on shared bins.

        Parameters
        ----------
        ax : matplotlib Axes or None, default=None
            Axes to draw on; None makes a new figure.
        bins : int or sequence of float, default=30
            Number of bins or bin edges, as in :func:`numpy.histogram_bin_edges`,
            computed over all groups together.
        density : bool, default=True
            Normalise each histogram to unit area, so groups of different
            sizes compare.
        hist_kwargs : dict or None, default=None
            Keyword arguments of ``ax.hist``, for every group.

        Returns
        -------
        display : UncertaintyHistogramDisplay
            ``self``, with the artists stored as attributes.
        """
        ax = _get_ax(ax, "UncertaintyHistogramDisplay.plot")
        scores = [_check_1d(s, "Each group's scores") for s in self.scores]
        if not scores or any(s.size == 0 for s in scores):
            raise ValueError("Every group needs at least one score.")
        if self.labels is not None and len(self.labels) != len(scores):
            raise ValueError(f"Got {len(self.labels)} labels for {len(scores)} groups of scores.")
        self.bin_edges_ = np.histogram_bin_edges(np.concatenate(scores), bins=bins)
        self.counts_, self.patches_ = [], []
        for i, s in enumerate(scores):
            kw = {"alpha": 0.5, "histtype": "stepfilled", "edgecolor": f"C{i}", "color": f"C{i}"}
            if self.labels is not None:
                kw["label"] = str(self.labels[i])
            # (matplotlib's stubs accept neither an array of bin edges nor
            # iterating the patches, both of which work.)
            counts, _, patches = ax.hist(
                s,
                bins=self.bin_edges_,  # type: ignore[arg-type]
                density=density,
                **{**kw, **(hist_kwargs or {})},
            )
            self.counts_.append(counts)
            self.patches_.append(list(patches))  # type: ignore[arg-type]
        ax.set_xlabel(self.score_name)
        ax.set_ylabel("density" if density else "count")
        if self.estimator_name is not None:
            ax.set_title(self.estimator_name)
        if self.labels is not None:
            ax.legend(loc="best")
        self.ax_ = ax
        self.figure_ = ax.figure
        return self

    @classmethod
    def from_predictions(
        cls,
        scores: ArrayLike,
        *,
        groups: ArrayLike | None = None,
        score_name: str = "uncertainty",
        name: str | None = None,
        ax: Axes | None = None,
        **kwargs: Any,
    ) -> UncertaintyHistogramDisplay:
        """Plot histograms of precomputed scores, split by group.

        Parameters
        ----------
        scores : array-like of shape (n_samples,)
            One uncertainty score per row.
        groups : array-like of shape (n_samples,) or None, default=None
            Group label of each row (e.g. ``"in-distribution"``); one
            histogram per distinct label, in sorted order. None makes one group.
        score_name : str, default="uncertainty"
            Label of the x-axis.
        name : str or None, default=None
            Title of the plot.
        ax : matplotlib Axes or None, default=None
            Axes to draw on; None makes a new figure.
        **kwargs : dict
            Passed to :meth:`plot` (``bins``, ``density``, ``hist_kwargs``).

        Returns
        -------
        display : UncertaintyHistogramDisplay
        """
        _import_pyplot("UncertaintyHistogramDisplay.from_predictions")
        scores = _check_1d(scores, "scores")
        labels: list[str] | None = None
        if groups is None:
            split = [scores]
        else:
            groups = np.asarray(groups)
            if groups.shape != scores.shape:
                raise ValueError(
                    f"groups must have one label per score; got {groups.shape} "
                    f"for {scores.shape} scores."
                )
            try:  # NaN labels make one group
                names, index = np.unique(groups, return_inverse=True)
            except TypeError:  # labels that do not compare, e.g. None beside strings
                names, index = np.unique(groups.astype(str), return_inverse=True)
            split = [scores[index == i] for i in range(len(names))]
            labels = [str(g) for g in names]
        display = cls(scores=split, labels=labels, score_name=score_name, estimator_name=name)
        return display.plot(ax=ax, **kwargs)

    @classmethod
    def from_estimator(
        cls,
        estimator: Any,
        X: ArrayLike,
        *,
        groups: ArrayLike | None = None,
        score: str | Callable[[Any, ArrayLike], ArrayLike] = "epistemic",
        name: str | None = None,
        ax: Axes | None = None,
        **kwargs: Any,
    ) -> UncertaintyHistogramDisplay:
        """Compute an uncertainty score for every row of ``X`` and plot it by group.

        Parameters
        ----------
        estimator : fitted estimator
            An estimator with ``predict_uncertainty`` (also as the last step
            of a :class:`~sklearn.pipeline.Pipeline`), such as
            :class:`~sk_hypergan.HyperGANClassifier` or
            :class:`~sk_hypergan.HyperGANRegressor`; any estimator if
            ``score`` is a callable.
        X : array-like of shape (n_samples, n_features)
            Rows to score.
        groups : array-like of shape (n_samples,) or None, default=None
            Group label of each row (e.g. ``"in"`` / ``"out"``).
        score : str or callable, default="epistemic"
            A key of the ``predict_uncertainty`` Bunch: ``"total"``,
            ``"aleatoric"`` or ``"epistemic"`` for the classifier; ``"std"``,
            ``"aleatoric_std"`` or ``"epistemic_std"`` for the regressor
            (``"epistemic"`` and ``"aleatoric"`` also select the regressor's
            ``*_std``). A callable is called as ``score(estimator, X)`` and
            returns one score per row.
        name : str or None, default=None
            Title; defaults to the estimator's class name.
        ax : matplotlib Axes or None, default=None
            Axes to draw on; None makes a new figure.
        **kwargs : dict
            Passed to :meth:`plot` (``bins``, ``density``, ``hist_kwargs``).

        Returns
        -------
        display : UncertaintyHistogramDisplay
        """
        _import_pyplot("UncertaintyHistogramDisplay.from_estimator")
        name = type(estimator).__name__ if name is None else name
        if callable(score):
            values = score(estimator, X)
            score_name = getattr(score, "__name__", "score")
        else:
            u = _uncertainty(estimator, X)
            if u is None:
                raise TypeError(
                    f"{type(estimator).__name__} has no predict_uncertainty method; "
                    "pass score as a callable score(estimator, X)."
                )
            key = score
            if key not in u and f"{key}_std" in u:
                key = f"{key}_std"
            if key not in u:
                raise ValueError(f"Unknown score {score!r}; choose one of {sorted(u)}.")
            values, score_name = u[key], _SCORE_LABELS.get(key, key)
        return cls.from_predictions(
            values, groups=groups, score_name=score_name, name=name, ax=ax, **kwargs
        )
