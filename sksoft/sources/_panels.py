"""SIMULATED annotator panels (never human).

:func:`simulate_multinomial_panel` and :func:`simulate_noisy_observer_panel`.
"""

import numbers

import numpy as np
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_array, check_is_fitted

from ..targets import check_soft_targets, encode_labels
from ..utils._sklearn_compat import (
    HasMethods,
    Interval,
    StrOptions,
    validate_params,
)

__all__ = [
    "simulate_multinomial_panel",
    "simulate_noisy_observer_panel",
]


@validate_params(
    {
        "proba": ["array-like"],
        "n_annotators": [
            Interval(numbers.Integral, 1, None, closed="left"),
            "array-like",
        ],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def simulate_multinomial_panel(proba, n_annotators=6, *, random_state=None):
    """SIMULATED annotator panel: multinomial votes from given probabilities.

    Each item gets ``n_annotators`` independent votes drawn from its
    probability row, as if annotators sampled from the true label
    distribution. The result is simulated, not human.

    Parameters
    ----------
    proba : array-like of shape (n_samples, n_classes)
        Probability rows (for example CIFAR-10H's human proportions, or a
        generative mixture).
    n_annotators : int or array-like of shape (n_samples,), default=6
        Votes per item (about the budget of a typical soft-label study); an
        array gives every item its own panel size (each >= 1).
    random_state : int, RandomState instance or None, default=None
        Seed of the draws.

    Returns
    -------
    counts : ndarray of shape (n_samples, n_classes), dtype int64
        Simulated vote counts; ``counts.sum(axis=1) == n_annotators``.

    See Also
    --------
    simulate_noisy_observer_panel : Votes whose spread follows the input.
    sksoft.targets.counts_to_proba : Counts to soft labels.

    Notes
    -----
    Votes are drawn by inverse-CDF sampling: a uniform ``u`` picks the first
    class whose cumulative probability exceeds it, so classes with zero
    probability are never drawn. The mean of ``counts / n_annotators`` over
    ``R`` independent panels has standard error
    ``sqrt(p (1 - p) / (n_annotators R))`` per entry.

    Examples
    --------
    >>> from sksoft.sources import simulate_multinomial_panel
    >>> counts = simulate_multinomial_panel([[0.7, 0.3, 0.0], [0.0, 0.0, 1.0]],
    ...                                     n_annotators=6, random_state=0)
    >>> counts.sum(axis=1), counts[:, 2]
    (array([6, 6]), array([0, 6]))
    """
    p = check_soft_targets(proba, input_name="proba")
    if np.asarray(proba).ndim != 2:
        raise ValueError("proba must be a 2-D matrix of probability rows.")
    n, k = p.shape
    n_votes = np.asarray(n_annotators)
    if n_votes.ndim == 0:
        n_votes = np.full(n, int(n_votes))
    else:
        if n_votes.shape != (n,):
            raise ValueError(
                f"n_annotators must be an int or have one entry per item ({n}); "
                f"got shape {n_votes.shape}."
            )
        if n_votes.dtype.kind not in "iu" or (n_votes < 1).any():
            raise ValueError("n_annotators must hold integers >= 1.")
    rng = check_random_state(random_state)
    cdf = np.cumsum(p, axis=1)
    cdf /= cdf[:, -1:]
    counts = np.zeros((n, k), dtype=np.int64)
    rows = np.arange(n)
    for a in range(int(n_votes.max())):
        u = rng.random_sample(n)
        choice = np.minimum((cdf <= u[:, None]).sum(axis=1), k - 1)
        active = n_votes > a
        np.add.at(counts, (rows[active], choice[active]), 1)
    return counts


def _blur_matrices(sigmas, size):
    """Row-normalised Gaussian blur matrices, one per sigma, shape (m, size, size)."""
    d = np.arange(size)[:, None] - np.arange(size)[None, :]
    s = np.maximum(sigmas, 1e-6)[:, None, None]
    w = np.exp(-0.5 * (d[None] / s) ** 2)
    w /= w.sum(axis=2, keepdims=True)
    return w


def _perturb(X, perturbation, strength, image_shape, lo, hi, rng):
    n = X.shape[0]
    if callable(perturbation):
        out = np.asarray(perturbation(X.copy(), rng), dtype=np.float64)
        if out.shape != X.shape:
            raise ValueError(
                f"the perturbation callable returned shape {out.shape}; expected "
                f"{X.shape}."
            )
        return out
    if perturbation == "noise":
        out = X + rng.normal(scale=strength * (hi - lo), size=X.shape)
        return np.clip(out, lo, hi)
    img = X.reshape((n,) + tuple(image_shape))
    h, w = image_shape[-2], image_shape[-1]
    if perturbation == "blur":
        # each observer sees each item at its own blur, sigma ~ U(0.5, 1.5) * strength
        sig = strength * rng.uniform(0.5, 1.5, size=n)
        bh, bw = _blur_matrices(sig, h), _blur_matrices(sig, w)
        if img.ndim == 4:
            out = np.einsum("nij,ncjk,nlk->ncil", bh, img, bw)
        else:
            out = np.einsum("nij,njk,nlk->nil", bh, img, bw)
        return out.reshape(X.shape)
    # occlusion: a square patch of side ceil(strength * min(h, w)) set to `lo`
    side = int(np.ceil(strength * min(h, w)))
    out = img.copy()
    if side > 0:
        side = min(side, h, w)
        top = rng.integers(0, h - side + 1, size=n)
        left = rng.integers(0, w - side + 1, size=n)
        rr = np.arange(h)[None, :, None]
        cc = np.arange(w)[None, None, :]
        mask = (
            (rr >= top[:, None, None])
            & (rr < (top + side)[:, None, None])
            & (cc >= left[:, None, None])
            & (cc < (left + side)[:, None, None])
        )
        if out.ndim == 4:
            mask = mask[:, None]
        out = np.where(mask, lo, out)
    return out.reshape(X.shape)


@validate_params(
    {
        "estimator": [HasMethods(["predict"])],
        "X": ["array-like"],
        "n_annotators": [Interval(numbers.Integral, 1, None, closed="left")],
        "perturbation": [StrOptions({"noise", "blur", "occlusion"}), callable],
        "strength": [Interval(numbers.Real, 0, None, closed="left")],
        "image_shape": [None, tuple, list],
        "feature_range": [None, tuple, list],
        "random_state": ["random_state"],
        "return_votes": ["boolean"],
    },
    prefer_skip_nested_validation=True,
)
def simulate_noisy_observer_panel(
    estimator,
    X,
    *,
    n_annotators=6,
    perturbation="noise",
    strength=0.25,
    image_shape=None,
    feature_range=None,
    random_state=None,
    return_votes=False,
):
    """SIMULATED "noisy observer" panel: a reference model labels perturbed inputs.

    Each of ``n_annotators`` simulated observers sees its own randomly
    perturbed copy of every input (Gaussian pixel noise, blur or an
    occluding patch) and votes the class a *reference classifier* predicts
    for it. Clear inputs keep their label under perturbation; ambiguous ones
    (blends, atypical shapes) flip between classes, so the vote spread
    follows how ambiguous the input really is and the majority can differ
    from the gold label. The result is simulated, not human.

    The reference classifier must be fitted on data **disjoint** from the
    items in ``X`` (otherwise it has memorised them and the panel is too
    confident); this function cannot check that.

    Parameters
    ----------
    estimator : fitted classifier
        Reference classifier with ``predict`` and ``classes_``.
    X : array-like of shape (n_samples, n_features)
        Items to label (flattened images for ``"blur"`` / ``"occlusion"``).
    n_annotators : int, default=6
        Simulated observers per item (about the budget of a typical study).
    perturbation : {"noise", "blur", "occlusion"} or callable, default="noise"
        ``"noise"``: add Gaussian noise with standard deviation
        ``strength * (hi - lo)`` and clip to ``[lo, hi]``;
        ``"blur"``: Gaussian blur of each image with
        ``sigma = strength * U(0.5, 1.5)`` pixels, drawn per observer and item;
        ``"occlusion"``: a square patch of side ``ceil(strength * min(h, w))``
        at a random place is set to ``lo``;
        a callable ``f(X_copy, rng) -> X_perturbed`` (``rng`` a
        :class:`numpy.random.Generator`) defines your own.
    strength : float >= 0, default=0.25
        Perturbation strength (0 means every observer sees the clean input
        and the panel is unanimous).
    image_shape : tuple, default=None
        ``(h, w)`` or ``(channels, h, w)`` of one image, for ``"blur"`` and
        ``"occlusion"``. Default: square grey images, ``h = w =
        sqrt(n_features)``.
    feature_range : tuple (lo, hi), default=None
        Range of the pixel values; default the min and max of ``X``.
    random_state : int, RandomState instance or None, default=None
        Seed of the perturbations.
    return_votes : bool, default=False
        Also return the individual votes.

    Returns
    -------
    counts : ndarray of shape (n_samples, n_classes), dtype int64
        Simulated vote counts, columns in ``estimator.classes_`` order.
    votes : ndarray of shape (n_samples, n_annotators)
        Each observer's label (elements of ``estimator.classes_``); only with
        ``return_votes=True``.

    See Also
    --------
    simulate_multinomial_panel : Votes drawn from known probabilities.
    sksoft.datasets.make_ambiguous_digits : A testbed labelled by this panel.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sksoft.sources import simulate_noisy_observer_panel
    >>> X, y = load_digits(return_X_y=True)
    >>> ref = LogisticRegression(max_iter=2000).fit(X[:900], y[:900])
    >>> counts = simulate_noisy_observer_panel(ref, X[900:910], random_state=0)
    >>> counts.shape, counts.sum(axis=1)
    ((10, 10), array([6, 6, 6, 6, 6, 6, 6, 6, 6, 6]))
    """
    check_is_fitted(estimator)
    classes = getattr(estimator, "classes_", None)
    if classes is None:
        raise ValueError("the reference estimator has no classes_ attribute.")
    X = check_array(X, dtype=np.float64, ensure_all_finite=True)
    n, d = X.shape
    if not callable(perturbation) and perturbation in ("blur", "occlusion"):
        if image_shape is None:
            side = int(round(np.sqrt(d)))
            if side * side != d:
                raise ValueError(
                    f"cannot infer a square image from {d} features; pass image_shape."
                )
            image_shape = (side, side)
        image_shape = tuple(int(s) for s in image_shape)
        if len(image_shape) not in (2, 3) or int(np.prod(image_shape)) != d:
            raise ValueError(
                f"image_shape {image_shape} does not match {d} features; use (h, w) "
                "or (channels, h, w)."
            )
    if feature_range is None:
        lo, hi = float(X.min()), float(X.max())
    else:
        if len(feature_range) != 2 or not feature_range[0] < feature_range[1]:
            raise ValueError(
                f"feature_range must be (lo, hi) with lo < hi; got {feature_range}."
            )
        lo, hi = float(feature_range[0]), float(feature_range[1])
    seed = check_random_state(random_state).randint(np.iinfo(np.int32).max)
    rng = np.random.default_rng(seed)
    classes = np.asarray(classes)
    votes = np.empty((n, n_annotators), dtype=np.intp)
    for a in range(n_annotators):
        Xa = (
            X
            if strength == 0 and not callable(perturbation)
            else _perturb(X, perturbation, strength, image_shape, lo, hi, rng)
        )
        votes[:, a] = encode_labels(
            np.asarray(estimator.predict(Xa)),
            classes,
            name="predicted label",
            classes_name="classes_",
        )
    counts = np.zeros((n, classes.shape[0]), dtype=np.int64)
    np.add.at(counts, (np.repeat(np.arange(n), n_annotators), votes.ravel()), 1)
    if return_votes:
        return counts, classes[votes]
    return counts
