"""Cross-fitted post-hoc calibration of given predictions (private).

``evaluate_predictions(calibrate=...)`` adds a calibrated variant of every
model: the items are split into ``k`` folds and each fold is mapped by a
calibrator fitted, against the human soft labels, on the other folds' items
(:func:`sksoft.calibration.fit_temperature` or
:func:`sksoft.calibration.fit_dirichlet`), so no item's labels calibrate its
own prediction.
"""

import numpy as np
from sklearn.model_selection import KFold

from ..calibration import fit_dirichlet, fit_temperature
from ..sources import apply_temperature

__all__ = ["CALIBRATORS", "cross_fitted_calibration", "variant_name"]

#: ``--calibrate`` choices -> what the variant's name says
CALIBRATORS = {
    "temperature": "T fitted",
    "vector": "vector scaling",
    "dirichlet": "Dirichlet",
}


def variant_name(model, method):
    """The calibrated variant's name, e.g. ``"m (Dirichlet, cross-fitted)"``."""
    return f"{model} ({CALIBRATORS[method]}, cross-fitted)"


def _dirichlet_apply(p, coef, intercept):
    z = np.log(p + 1e-12) @ coef.T + intercept
    z -= z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def cross_fitted_calibration(p, human, method, n_folds, seed):
    """Every fold of the items calibrated by the map fitted on the others.

    Parameters
    ----------
    p : ndarray of shape (n_samples, n_classes)
        Predicted probabilities.
    human : ndarray of shape (n_samples, n_classes)
        Human soft labels (the calibration targets).
    method : {"temperature", "vector", "dirichlet"}
        The calibrator.
    n_folds : int
        Folds of ``KFold(n_folds, shuffle=True, random_state=seed)``.
    seed : int
        Seed of the folds.

    Returns
    -------
    calibrated : ndarray of shape (n_samples, n_classes)
    fitted : list
        Per fold: the temperature (float) or ``{"coef", "intercept"}``.
    """
    if p.shape[0] < n_folds:
        raise ValueError(
            f"calibrate={method!r} cross-fits over {n_folds} folds of the items "
            f"but there are only {p.shape[0]}"
        )
    out = np.empty_like(p)
    fitted = []
    for train, test in KFold(n_folds, shuffle=True, random_state=seed).split(p):
        if method == "temperature":
            t = fit_temperature(human[train], p[train])
            out[test] = apply_temperature(p[test], t)
            fitted.append(t)
        else:
            coef, intercept = fit_dirichlet(
                human[train], p[train], diagonal=method == "vector"
            )
            out[test] = _dirichlet_apply(p[test], coef, intercept)
            fitted.append({"coef": coef.tolist(), "intercept": intercept.tolist()})
    return out, fitted
