"""Saving and loading fitted sksoft estimators: pickle, joblib and skops.io.

Every round trip is loaded in a fresh Python process (nothing of the fitting
process is left in memory) and must give the same predictions.
"""

import os
import pickle
import subprocess
import sys
from pathlib import Path

import joblib
import numpy as np
import pytest

from sksoft.classifier import SKOPS_TRUSTED_TYPES, SoftLabelClassifier
from sksoft.expansion import ExpansionClassifier
from sksoft.persistence import load_classifier, save_classifier

REPO = Path(__file__).resolve().parents[1]

LOADERS = {
    "pickle": "import pickle\nwith open(path, 'rb') as f:\n    est = pickle.load(f)",
    "joblib": "import joblib\nest = joblib.load(path)",
    "sksoft": (
        "from sksoft.persistence import load_classifier\nest = load_classifier(path)"
    ),
    "skops": (
        "import skops.io as sio\n"
        "from sksoft.classifier import SKOPS_TRUSTED_TYPES\n"
        "est = sio.load(path, trusted=list(SKOPS_TRUSTED_TYPES))"
    ),
}


def _save(est, path, how):
    if how == "pickle":
        with open(path, "wb") as f:
            pickle.dump(est, f)
    elif how == "joblib":
        joblib.dump(est, path)
    elif how == "sksoft":
        assert save_classifier(est, path) == []
    else:
        sio = pytest.importorskip("skops.io")
        sio.dump(est, path)


def _predict_in_fresh_process(path, how, X_path, out_path):
    code = "\n".join(
        [
            "import sys",
            "import numpy as np",
            "path, X_path, out_path = sys.argv[1:4]",
            LOADERS[how],
            "np.save(out_path, est.predict_proba(np.load(X_path)))",
        ]
    )
    env = dict(os.environ, PYTHONPATH=str(REPO))
    subprocess.run(
        [sys.executable, "-c", code, str(path), str(X_path), str(out_path)],
        check=True,
        env=env,
        cwd=str(REPO),
        timeout=120,
    )
    return np.load(out_path)


@pytest.fixture(scope="module")
def fitted():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 5)).astype(np.float32)
    p = 1 / (1 + np.exp(-2 * X[:, 0]))
    y = np.column_stack([1 - p, p])
    clf = SoftLabelClassifier(max_epochs=3, random_state=0).fit(X, y)
    return clf, X


@pytest.mark.parametrize("how", ["pickle", "joblib", "skops", "sksoft"])
def test_fresh_process_loads_equal_predictions(fitted, how, tmp_path):
    clf, X = fitted
    path = tmp_path / f"model.{how}"
    _save(clf, path, how)
    np.save(tmp_path / "X.npy", X)
    got = _predict_in_fresh_process(path, how, tmp_path / "X.npy", tmp_path / "p.npy")
    np.testing.assert_array_equal(got, clf.predict_proba(X))


def test_skops_needs_only_the_documented_types(fitted, tmp_path):
    sio = pytest.importorskip("skops.io")
    clf, X = fitted
    path = tmp_path / "model.skops"
    sio.dump(clf, path)
    untrusted = set(sio.get_untrusted_types(file=path))
    assert untrusted == set(SKOPS_TRUSTED_TYPES)
    # no builtins.print sink and no torch.Generator are kept
    assert not any("print" in t or "Generator" in t for t in untrusted)
    loaded = sio.load(path, trusted=list(SKOPS_TRUSTED_TYPES))
    np.testing.assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))
    # a loaded model keeps training from the stored generator state
    loaded.partial_fit(X, np.argmax(clf.predict_proba(X), 1))
    again = pickle.loads(pickle.dumps(clf))
    again.partial_fit(X, np.argmax(clf.predict_proba(X), 1))
    np.testing.assert_array_equal(loaded.predict_proba(X), again.predict_proba(X))


def test_fitted_classifier_keeps_a_generator_state_not_a_generator(fitted):
    clf, _ = fitted
    held = [type(v).__name__ for v in vars(clf).values()]
    assert "Generator" not in held
    # generator_ rebuilds a copy from the stored state
    g1, g2 = clf.generator_, clf.generator_
    assert g1 is not g2
    import torch

    assert torch.equal(g1.get_state(), g2.get_state())


def test_expansion_classifier_skops_with_default_trust(tmp_path):
    sio = pytest.importorskip("skops.io")
    rng = np.random.default_rng(1)
    X = rng.normal(size=(40, 3))
    y = rng.dirichlet(np.ones(3), size=40)
    est = ExpansionClassifier().fit(X, y)
    path = tmp_path / "exp.skops"
    sio.dump(est, path)
    assert sio.get_untrusted_types(file=path) == [
        "sksoft.expansion.ExpansionClassifier"
    ]
    loaded = sio.load(path, trusted=["sksoft.expansion.ExpansionClassifier"])
    np.testing.assert_array_equal(loaded.predict_proba(X), est.predict_proba(X))


def test_save_params_route_for_the_module(fitted, tmp_path):
    clf, X = fitted
    weights = tmp_path / "weights.pt"
    clf.save_params(f_params=str(weights))
    # the default MLP is sized in fit: fit for zero epochs, then load the weights
    y_cols = np.eye(2)[np.arange(len(X)) % 2]
    new = SoftLabelClassifier(max_epochs=0).fit(X, y_cols)
    new.load_params(f_params=str(weights))
    np.testing.assert_array_equal(new.predict_proba(X), clf.predict_proba(X))


# -------------------------------------------------- sksoft.persistence (no pickle)


class _Payload:
    """Unpickling this object runs code: it writes the file ``marker``."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (exec, (f"open({self.marker!r}, 'w').write('ran')",))


def test_save_classifier_round_trip_keeps_params_and_classes(tmp_path):
    pd = pytest.importorskip("pandas")
    rng = np.random.default_rng(3)
    X = pd.DataFrame(rng.normal(size=(60, 4)).astype(np.float32), columns=list("abcd"))
    y = pd.DataFrame(rng.dirichlet(np.ones(3), size=60), columns=["x", "y", "z"])
    clf = SoftLabelClassifier(
        hidden_layer_sizes=(7, 5),
        module__dropout=0.2,
        lr=0.02,
        max_epochs=3,
        random_state=1,
        verbose=0,
    ).fit(X, y)
    path = tmp_path / "clf.pt"
    assert save_classifier(clf, path) == []
    loaded = load_classifier(path)
    assert type(loaded) is SoftLabelClassifier
    assert loaded.get_params(deep=False) == clf.get_params(deep=False)
    assert loaded.hidden_layer_sizes == (7, 5)  # a tuple again, not a list
    assert loaded.classes_.tolist() == ["x", "y", "z"]
    np.testing.assert_array_equal(loaded.feature_names_in_, clf.feature_names_in_)
    np.testing.assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))
    np.testing.assert_array_equal(loaded.predict(X), clf.predict(X))


def test_save_classifier_records_code_parameters_by_name(fitted, tmp_path):
    import torch

    X = fitted[1]
    y = fitted[0].predict_proba(X)
    clf = SoftLabelClassifier(
        optimizer=torch.optim.SGD, max_epochs=2, random_state=0, verbose=0
    ).fit(X, y)
    path = tmp_path / "clf.pt"
    assert save_classifier(clf, path) == ["optimizer"]
    with pytest.raises(ValueError, match="pass optimizer to load_classifier"):
        load_classifier(path)
    loaded = load_classifier(path, optimizer=torch.optim.SGD)
    np.testing.assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))


def test_save_classifier_refuses_other_estimators_and_unfitted(tmp_path):
    from sklearn.exceptions import NotFittedError

    with pytest.raises(TypeError, match="skops"):
        save_classifier(ExpansionClassifier(), tmp_path / "x.pt")
    with pytest.raises(NotFittedError):
        save_classifier(SoftLabelClassifier(), tmp_path / "x.pt")


def test_a_crafted_pickle_runs_no_code(tmp_path):
    marker = tmp_path / "marker"
    path = tmp_path / "evil.pt"
    with open(path, "wb") as f:
        pickle.dump(_Payload(marker), f)
    # the payload works: a plain pickle.load runs it
    with open(path, "rb") as f:
        pickle.load(f)
    assert marker.read_text() == "ran"
    marker.unlink()
    with pytest.raises(ValueError, match="holds code, refused"):
        load_classifier(path)
    assert not marker.exists()


def test_a_crafted_file_in_the_right_format_runs_no_code(fitted, tmp_path):
    import torch

    clf, X = fitted
    good = tmp_path / "good.pt"
    save_classifier(clf, good)
    data = torch.load(good, weights_only=True)
    marker = tmp_path / "marker"
    for key in ("state_dict", "params", "format"):
        evil = dict(data)
        evil[key] = _Payload(marker)
        path = tmp_path / f"evil-{key}.pt"
        torch.save(evil, path)
        with pytest.raises(ValueError, match="holds code, refused"):
            load_classifier(path)
        assert not marker.exists()
    # and a file naming another class builds nothing
    other = dict(data, **{"class": "Pipeline"})
    torch.save(other, tmp_path / "other.pt")
    with pytest.raises(ValueError, match="unknown class 'Pipeline'"):
        load_classifier(tmp_path / "other.pt")
