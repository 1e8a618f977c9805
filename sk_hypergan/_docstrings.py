"""Parameter documentation shared by the two estimators.

One entry per constructor parameter, in the order of ``__init__``; an
estimator passes its own text for the entries that differ (what "auto"
means, what is calibrated) and for its extra parameters. Built once at
import, so ``help()``, numpydoc and the doctests all see the full text.
"""

from __future__ import annotations

__all__ = ["fill_parameters"]

#: Placeholder line an estimator's docstring puts under its "Parameters" heading.
PLACEHOLDER = "    {parameters}\n"

#: The entries both estimators share, keyed by parameter (numpydoc, unindented).
SHARED = {
    "target": """\
target : target object, default=None
    Architecture of the generated networks, from :mod:`sk_hypergan.targets`
    (``mlp``, ``conv2d``, ``from_module``). None means ``mlp((50,))``.
    Its settings are nested parameters, e.g. ``target__hidden_layer_sizes``.
""",
    "n_networks": """\
n_networks : int or "auto", default="auto"
    Networks generated per training step. "auto" means 32 for the
    classifier and 16 for the regressor: the classifier's was chosen with
    its disagreement reward (``mixup_diversity``, then on by default),
    which is estimated from the networks of the step; more of them raised
    the OOD AUROC of a ``conv2d`` target (see the user guide).
""",
    "n_prediction_networks": """\
n_prediction_networks : int, default=100
    Networks drawn from the learned distribution (once, at fit time) whose
    outputs every prediction combines; more networks give smoother
    uncertainty estimates at a proportional prediction cost.
""",
    "noise_dim": """\
noise_dim : int, default=32
    Dimension of the noise fed to the mixer.
""",
    "latent_dim": """\
latent_dim : int, default=32
    Dimension of each per-layer code.
""",
    "mixer_hidden_sizes": """\
mixer_hidden_sizes : tuple of int, default=(128,)
    Hidden sizes of the mixer.
""",
    "generator_hidden_sizes": """\
generator_hidden_sizes : tuple of int, default=(128,)
    Hidden sizes of each per-layer generator.
""",
    "use_mixer": """\
use_mixer : bool, default=True
    False draws per-layer codes independently (the paper's ablation).
""",
    "regularizer": None,  # per estimator
    "beta": """\
beta : float, default=1.0
    Weight of the diversity term in the mixer's objective; 0 turns it off.
""",
    "mixup_diversity": """\
mixup_diversity : float or "auto", default="auto"
    Weight of a reward for the networks disagreeing *away from* the
    training rows: each step, {disagreement} of
    the networks near the midpoints of random pairs of the batch's rows
    (mixup inputs, Zhang et al. 2018, with weights in [0.4, 0.6]) and on
    rows whose features are shuffled independently across the batch is
    subtracted from the loss. The data pin the networks down on the rows
    themselves; between and off them, this keeps them apart, so their
    disagreement flags inputs unlike the training data. 0 turns it off.
    "auto" is 0 (off): for the classifier, with ``label_smoothing`` it
    cost calibration on digits for no better OOD AUROC (see the user
    guide); for the regressor it has not been measured.
""",
    "max_epochs": """\
max_epochs : int, default=200
    Most training epochs (fewer when early stopping ends the fit).
""",
    "batch_size": None,  # per estimator
    "lr": None,  # per estimator
    "weight_decay": """\
weight_decay : float, default=0.0
    Adam weight decay of the mixer and generators.
""",
    "weight_averaging": """\
weight_averaging : float in [0, 1) or None, default={weight_averaging_default}
    Keep an exponential moving average of the mixer's and generators'
    weights with this decay, and use it as the model (Polyak averaging;
    the decay after ``t`` steps is ``min(weight_averaging, (1 + t) / (10 +
    t))``, so short fits average over their latter part). The held-out
    loss, early stopping's best epoch, the calibration and the predictions
    all see the average; Adam steps the raw weights. Each ``fit`` (a warm
    one too) starts a new average from the weights it starts from;
    ``partial_fit`` steps the model's weights without one (its calls are
    single epochs). None trains without one. {weight_averaging_choice}
""",
    "early_stopping": None,  # per estimator
    "validation_fraction": """\
validation_fraction : float, default=0.1
    Fraction of the training rows held out for early stopping, in (0, 1).
""",
    "n_iter_no_change": """\
n_iter_no_change : int, default=20
    Epochs without improvement of the held-out loss (by more than 1e-4)
    before early stopping ends the fit.
""",
    "lr_schedule": """\
lr_schedule : {"auto", "plateau", "constant"}, default="auto"
    "plateau": while early stopping holds rows out, multiply the learning
    rate by 0.3 once the held-out loss has not improved for more than
    ``max(1, n_iter_no_change // 2)`` epochs (11 by default; skorch's
    ``LRScheduler`` with torch's ``ReduceLROnPlateau``), so training
    settles before it stops. "constant" keeps ``lr``, as does any fit
    without a held-out split. A warm-started ``fit`` starts again from
    ``lr``; ``partial_fit`` continues at the current rate.
    "auto" is "plateau" for the regressor (the UCI benchmark's NLL,
    ``benchmarks/uci.py``) and "constant" for the classifier, where it
    has not been shown to help (``benchmarks/ablations.py``).
""",
    "calibration": None,  # per estimator
    "callbacks": """\
callbacks : list of skorch callbacks or None, default=None
    Extra skorch callbacks, e.g. ``[EarlyStopping(monitor="train_loss")]``.
""",
    "device": """\
device : {"cpu", "cuda", "auto"} or str, default="cpu"
    Torch device; "auto" picks CUDA when available.
""",
    "verbose": """\
verbose : int, default=0
    1 prints skorch's per-epoch table; 2 also shows a progress bar over
    each epoch's batches (skorch's ``ProgressBar``, a ``tqdm`` bar erased
    at the end of the epoch). The bar is set up when the networks are
    built, so a warm-started ``fit`` or ``partial_fit`` keeps the first
    fit's choice; 0 prints nothing.
""",
    "warm_start": """\
warm_start : bool, default=False
    If True, ``fit`` continues training the existing networks, with the
    current ``max_epochs``, ``lr``, ``weight_decay``, ``weight_averaging``,
    ``n_networks``, ``beta``, ``mixup_diversity``, ``batch_size`` and
    ``verbose`` (and the classifier's ``label_smoothing``).
    Parameters the networks were built from (``target``, the noise, code
    and hidden sizes, ``use_mixer``, ``regularizer``, the early-stopping
    settings, ``callbacks``, ``device``) cannot change then: a
    ``ValueError`` says which did.
""",
    "random_state": """\
random_state : int, RandomState instance or None, default=None
    Seeds initialisation, shuffling and the prediction ensemble.
""",
    "n_threads": """\
n_threads : int or None, default=1
    Torch's intra-op threads while fitting and predicting (the caller's
    setting is restored after). One thread is fastest for the small
    networks of tabular data, whose steps are many short kernels, and
    keeps a fit from slowing down many times over when other processes
    hold the cores (see the scaling page). None keeps torch's global
    setting (``torch.set_num_threads``), e.g. for a large ``conv2d``
    target.
""",
}


def _filled(text: str, phrases: dict[str, str]) -> str:
    """``text`` with each ``{field}`` of ``phrases`` replaced (``str.format``
    would trip on the braces of option sets such as ``{"cpu", "cuda"}``)."""
    for field, phrase in phrases.items():
        text = text.replace("{" + field + "}", phrase)
    return text


def fill_parameters(phrases: dict[str, str], /, **specific: str):
    """Class decorator: replace the docstring's ``{parameters}`` line by the
    shared entries, their ``{field}`` blanks filled from ``phrases`` (what
    differs in a few words, e.g. which disagreement the estimator measures),
    with ``specific`` (name -> entry text) for the entries marked "per
    estimator" and, after them, for the estimator's own extra parameters."""
    missing = [name for name, text in SHARED.items() if text is None and name not in specific]
    if missing:
        raise TypeError(f"no parameter documentation for {missing}")
    texts = {k: _filled(v, phrases) for k, v in SHARED.items() if v is not None}
    texts.update(specific)
    names = list(SHARED) + [name for name in specific if name not in SHARED]
    section = "".join(
        "".join("    " + line if line else line for line in texts[name].splitlines(True))
        for name in names
    )

    def decorate(cls):
        if cls.__doc__ is None or PLACEHOLDER not in cls.__doc__:
            raise TypeError(f"{cls.__name__}'s docstring has no {PLACEHOLDER.strip()} line")
        cls.__doc__ = cls.__doc__.replace(PLACEHOLDER, section)
        return cls

    return decorate
