"""The shared calibrator protocol (sksoft.calibration._base): DataFrame classes."""

import pytest
from sklearn.datasets import make_classification
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression

from sksoft.calibration import (
    DirichletCalibrationClassifier,
    TemperatureScalingClassifier,
    VectorScalingClassifier,
)


@pytest.mark.parametrize(
    "Est",
    [
        DirichletCalibrationClassifier,
        VectorScalingClassifier,
        TemperatureScalingClassifier,
    ],
)
def test_dataframe_columns_name_classes(Est):
    pd = pytest.importorskip("pandas")
    X, y = make_classification(
        n_samples=200, n_classes=3, n_informative=4, random_state=0
    )
    model = LogisticRegression().fit(X[:100], y[:100])
    soft = model.predict_proba(X[100:]) * 0.5 + 0.5 / 3
    frame = pd.DataFrame(soft, columns=["cat", "dog", "fox"])
    calib = Est(FrozenEstimator(model)).fit(X[100:], frame)
    assert calib.classes_.tolist() == ["cat", "dog", "fox"]
    assert set(calib.predict(X[:20])) <= {"cat", "dog", "fox"}
    # as soft_target= too
    calib = Est(FrozenEstimator(model)).fit(X[100:], y[100:], soft_target=frame)
    assert calib.classes_.tolist() == ["cat", "dog", "fox"]
    # columns naming the base classes in another order are refused
    wrong = pd.DataFrame(soft, columns=[2, 0, 1])
    with pytest.raises(ValueError, match="another order"):
        Est(FrozenEstimator(model)).fit(X[100:], wrong)
    right = pd.DataFrame(soft, columns=[0, 1, 2])
    assert Est(FrozenEstimator(model)).fit(X[100:], right).classes_.tolist() == [
        0,
        1,
        2,
    ]
