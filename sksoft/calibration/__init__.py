"""Post-hoc calibration fitted on soft (human) or hard (gold) targets.

Temperature scaling (Guo et al., 2017) rescales a classifier's logits by one
positive number fitted on held-out data. scikit-learn's
``CalibratedClassifierCV(method="temperature")`` (since 1.8) fits it against
hard labels; :class:`TemperatureScalingClassifier` fits it against hard labels
*or* soft targets (human label distributions, vote counts), minimising the
soft log loss, and equals scikit-learn's calibrator on hard labels.

:class:`DirichletCalibrationClassifier` (Kull et al., 2019) fits a full
linear map of the log-probabilities (multinomial logistic regression on
``log p``, with off-diagonal and intercept regularisation) and
:class:`VectorScalingClassifier` its diagonal special case, against the same
targets and with the same cross-fitting protocol.

One private module per calibrator (``_temperature.py``, ``_dirichlet.py``);
the shared cross-fitting protocol and target handling live in ``_base.py``.
"""

from ._dirichlet import (
    DirichletCalibrationClassifier,
    VectorScalingClassifier,
    fit_dirichlet,
)
from ._temperature import (
    TemperatureScalingClassifier,
    fit_temperature,
    temperature_scale,
)

__all__ = [
    "DirichletCalibrationClassifier",
    "TemperatureScalingClassifier",
    "VectorScalingClassifier",
    "fit_dirichlet",
    "fit_temperature",
    "temperature_scale",
]
