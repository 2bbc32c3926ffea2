"""Smooth ECE (Blasiok and Nakkiran, 2024): kernel-smoothed calibration error."""

import numbers

import numpy as np
from scipy.signal import fftconvolve

from ..utils._sklearn_compat import Interval, validate_params
from ._calibration import confidence_accuracy
from ._validation import check_pair

__all__ = ["smooth_calibration_error"]

# the constants of the reference implementation (relplot 0.1: metrics.py,
# kernels.py, config.py), kept so that the values agree with it
_MESH_POINTS = 200  # relplot.config.smECE_mesh_pts
_DENSITY_EPS = 1e-4  # BaseKernelMixin.smooth
_MIN_BANDWIDTH = 1e-3  # smECE(eps=0.001)
_SEARCH_STEPS = 10  # search_param(refine=10)


def _round_to_grid(f, values, n_grid):
    """Linear interpolation weights of each ``f`` onto ``n_grid`` grid points."""
    pos = f * (n_grid - 1)
    idx = np.clip(pos.astype(np.intp), 0, n_grid - 2)
    frac = pos - idx
    out = np.bincount(idx, weights=(1.0 - frac) * values, minlength=n_grid)
    out += np.bincount(idx + 1, weights=frac * values, minlength=n_grid)
    return out


def _reflected_gaussian_smooth(f, values, sigma, x_eval):
    """Sum of ``values`` smoothed by a Gaussian reflected at 0 and 1, at ``x_eval``.

    The points are spread onto a regular grid, convolved with the kernel over
    the grid mirrored at both ends (so no mass leaks out of [0, 1]) and read
    off at ``x_eval`` by linear interpolation.
    """
    n_grid = max(2000, round(20 / sigma)) // 2 + 1
    grid = _round_to_grid(f, values, n_grid)
    t = np.linspace(0.0, 1.0, n_grid)
    kernel = np.exp(-((t - 0.5) ** 2) / (2 * sigma**2)) / (np.sqrt(2 * np.pi) * sigma)
    extended = np.concatenate([grid[::-1][:-1], grid, grid[::-1][1:]])
    smoothed = fftconvolve(extended, kernel, mode="valid")
    smoothed = smoothed[n_grid // 2 : n_grid // 2 + n_grid]
    # linear interpolation from the grid to x_eval
    idx = np.clip((x_eval * (n_grid - 1)).astype(np.intp), 0, n_grid - 2)
    frac = (x_eval - idx / (n_grid - 1)) * (n_grid - 1)
    return smoothed[idx] * (1.0 - frac) + smoothed[idx + 1] * frac


def _smooth_ece_at(f, residual, weight, sigma):
    n_eval = max(round(10 / sigma), _MESH_POINTS)
    x_eval = np.linspace(0.0, 1.0, n_eval)
    num = _reflected_gaussian_smooth(f, residual * weight, sigma, x_eval)
    density = _reflected_gaussian_smooth(f, weight, sigma, x_eval) + _DENSITY_EPS
    # relplot: sum(|num / density| * density) / sum(density)
    return float(np.sum(np.abs(num / density) * density) / np.sum(density))


def _fixed_point_bandwidth(f, residual, weight):
    """Bisection for the bandwidth at which smECE equals the bandwidth."""

    def smooth_enough(sigma):
        return sigma < _MIN_BANDWIDTH or sigma < _smooth_ece_at(
            f, residual, weight, sigma
        )

    if smooth_enough(1.0):
        return 1.0
    hi, lo = 1.0, 0.0
    for _ in range(_SEARCH_STEPS):
        mid = (hi + lo) / 2
        if smooth_enough(mid):
            lo = mid
        else:
            hi = mid
    return hi


def _smooth_ece(conf, acc, weight, bandwidth):
    conf = np.asarray(conf, dtype=np.float64)
    residual = conf - np.asarray(acc, dtype=np.float64)
    n = conf.shape[0]
    # raw weights: integer weights equal repeated samples, and no weights is
    # relplot's computation
    w = np.ones(n) if weight is None else weight
    sigma = (
        _fixed_point_bandwidth(conf, residual, w) if bandwidth is None else bandwidth
    )
    return _smooth_ece_at(conf, residual, w, sigma), sigma


@validate_params(
    {
        "y_true": ["array-like"],
        "y_prob": ["array-like"],
        "bandwidth": [Interval(numbers.Real, 0, 1, closed="right"), None],
        "classwise": ["boolean"],
        "labels": ["array-like", None],
        "sample_weight": ["array-like", None],
        "return_bandwidth": ["boolean"],
    },
    prefer_skip_nested_validation=True,
)
def smooth_calibration_error(
    y_true,
    y_prob,
    *,
    bandwidth=None,
    classwise=False,
    labels=None,
    sample_weight=None,
    return_bandwidth=False,
):
    r"""Smooth ECE: calibration error of a kernel-smoothed reliability curve.

    The binless ECE of Blasiok and Nakkiran (2024): the residuals
    :math:`c_i - a_i` (confidence minus accuracy) are smoothed over the
    confidence axis with a Gaussian kernel reflected at 0 and 1, and the
    absolute smoothed residual is averaged under the smoothed density of the
    confidences. The bandwidth is the fixed point at which the smooth ECE
    equals the bandwidth. Against hard labels it equals ``relplot.smECE``.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,) or (n_samples, n_classes)
        Reference: class labels (gold labels) or probability rows (human soft
        labels), as in :func:`expected_calibration_error`.
    y_prob : array-like of shape (n_samples, n_classes) or (n_samples,)
        Predicted probabilities, columns in the order of ``labels`` (or of the
        sorted labels of ``y_true``). A 1-D array is the positive-class column
        of a binary problem and is measured as positive-class calibration.
    bandwidth : float in (0, 1], default=None
        Kernel bandwidth :math:`\sigma`. ``None``: the fixed point
        :math:`\sigma^* = \mathrm{smECE}_{\sigma^*}` found by bisection (10
        halvings of [0, 1], at least 0.001), as the reference implementation.
    classwise : bool, default=False
        Average the smooth ECE of every class column against its indicator
        (or soft column), each with its own bandwidth, instead of the top
        label.
    labels : array-like of shape (n_classes,), default=None
        Class labels in the column order of ``y_prob``, needed when some
        classes are missing from a hard ``y_true``.
    sample_weight : array-like of shape (n_samples,), default=None
        Sample weights of the smoothed sums; integer weights equal repeated
        samples.
    return_bandwidth : bool, default=False
        Also return the bandwidth used (a list per class when ``classwise``).

    Returns
    -------
    error : float
        The smooth ECE, in [0, 1]; 0 is perfect calibration.
    bandwidth : float or list of float
        Only when ``return_bandwidth=True``.

    Raises
    ------
    ValueError
        On the input errors of :func:`expected_calibration_error` (NaN/inf,
        probabilities outside [0, 1] or not summing to 1, mismatched lengths
        or classes, empty input) and a bandwidth outside (0, 1].

    See Also
    --------
    expected_calibration_error : The binned ECE, with the same references.
    ReliabilityDisplay : The binned reliability diagram.

    Notes
    -----
    Let :math:`c_i` be the top-label confidence :math:`\max_k p_{ik}` and
    :math:`a_i` the accuracy: :math:`\mathbb{1}[\hat y_i = y_i]` against
    gold labels, or :math:`y_{i\hat y_i}` (the share of annotators agreeing
    with the prediction) against human soft labels, the same definitions as
    :func:`expected_calibration_error`. With the reflected Gaussian kernel
    :math:`K_\sigma` on [0, 1],

    .. math::

        \hat r(t) = \frac{\sum_i K_\sigma(t, c_i)(c_i - a_i)}
        {\sum_i K_\sigma(t, c_i)}, \qquad
        \hat\delta(t) = \frac{1}{n} \sum_i K_\sigma(t, c_i), \qquad
        \mathrm{smECE}_\sigma = \int_0^1 |\hat r(t)|\,\hat\delta(t)\,dt ,

    and the smooth ECE is :math:`\mathrm{smECE}_{\sigma^*}` at the fixed
    point :math:`\sigma^* = \mathrm{smECE}_{\sigma^*}`. Unlike the binned ECE
    it is consistent (a small change of the predictions changes it a
    little) and needs no bin count. The integral is computed as ``relplot``
    computes it: the points are spread onto a grid of
    ``max(2000, 20 / sigma) // 2 + 1`` points, convolved with the kernel
    (reflected at both ends) and read off on ``max(200, 10 / sigma)`` points,
    with ``1e-4`` added to the density. A soft reference uses the same
    formula with the soft accuracy :math:`a_i` in [0, 1].

    References
    ----------
    .. [1] Blasiok and Nakkiran, "Smooth ECE: principled reliability diagrams
       via kernel smoothing", ICLR 2024.

    Examples
    --------
    >>> import numpy as np
    >>> from sksoft.metrics import smooth_calibration_error
    >>> rng = np.random.default_rng(0)
    >>> p = rng.uniform(size=500)
    >>> y = (rng.uniform(size=500) < p).astype(int)  # calibrated
    >>> bool(smooth_calibration_error(y, p) < 0.05)
    True
    >>> y_over = (rng.uniform(size=500) < 0.5 + (p - 0.5) / 2).astype(int)
    >>> bool(smooth_calibration_error(y_over, p) > 0.08)  # over-confident
    True
    """
    pair = check_pair(
        y_true,
        y_prob,
        labels=labels,
        sample_weight=sample_weight,
        keep_binary_column=True,
    )
    results = [
        _smooth_ece(conf, acc, pair.weight, bandwidth)
        for conf, acc in confidence_accuracy(pair, classwise)
    ]
    error = float(np.mean([r[0] for r in results]))
    if not return_bandwidth:
        return error
    widths = [float(r[1]) for r in results]
    return error, (widths if classwise and pair.proba.ndim == 2 else widths[0])
