"""Data for the audit command: built-in data sets and user files (private).

:func:`load_audit_data` returns ``X``, the gold labels, the human labels and the
provenance the report states. The readers check only what reading a file and
subsampling its rows need (its keys or columns, numbers, equal row counts);
the data themselves (values, classes, gold labels against the classes) are
checked once, by :func:`sksoft.audit.run_audit`.

A new built-in data set is a loader in :mod:`sksoft.datasets`, a branch of
:func:`_load_builtin` here and its name in :data:`DATASETS` (the command's
``--dataset`` choices).

File formats (``--dataset PATH``): a ``.npz`` (``numpy.savez``) with the keys
``data`` (features ``(n, n_features)`` or images ``(n, H, W)`` /
``(n, C, H, W)`` / ``(n, H, W, C)``), ``target`` (gold labels, optional when
only the arms that need no gold label run), ``counts`` (human votes ``(n, K)``)
**or** ``soft_target`` (human label distributions), and optionally ``classes``
(the ``K`` class labels in column order); or a ``.csv`` with a header row, a
``target`` column, ``count_<class>`` **or** ``soft_<class>`` columns, and every
other column a numeric feature.
"""

import csv
from pathlib import Path

import numpy as np
from sklearn.decomposition import PCA
from sklearn.pipeline import make_pipeline
from sklearn.svm import SVC

from .. import datasets
from ..sources import simulate_noisy_observer_panel

#: the built-in data sets of ``--dataset``
DATASETS = ("ambiguous-digits", "mnist", "cifar10h")


class UsageError(ValueError):
    """A bad argument or bad data: the command reports it in one line, exit 2."""


def _provenance_from_bunch(bunch, name, labels, default_licence):
    """Data set, licence and label kind for the report, from a loader's Bunch."""
    descr = str(bunch.get("DESCR", "") or "")
    licence = default_licence
    lines = descr.splitlines()
    for i, line in enumerate(lines):
        if line.strip().lower().startswith((":licence:", ":license:")):
            parts = [line.split(":", 2)[2].strip()]
            for cont in lines[i + 1 :]:  # indented continuation lines
                if not cont.startswith((" ", "\t")) or not cont.strip():
                    break
                parts.append(cont.strip())
            licence = " ".join(parts)
            break
    title = descr.strip().splitlines()[0].strip(" .=-") if descr.strip() else name
    return {"dataset": name, "title": title, "licence": licence, "labels": labels}


#: what the report states about the simulated MNIST panel and its limit
MNIST_PANEL_NOTE = (
    "the majority of the simulated panel differs from the gold label on about "
    "4% of the images (people: well under 1%); it cannot be lower than the "
    "reference classifier's own error on clean images (about 3%), because the "
    "reference may learn only from the other half of the 10,000 test images, "
    "disjoint from the items"
)


def _mnist_reference():
    """The simulated MNIST observers' classifier: PCA to 50, then an RBF SVM.

    The most accurate of the standard cheap classifiers (LeCun et al. 1998
    list a Gaussian-kernel SVM at 1.4% test error when trained on the 60,000
    training images, which are not read here); fitted on half of the 10,000
    test images, its error on clean images is about 3%, which sets the floor
    of the panel's disagreement with gold. The noise (``strength=0.25`` of
    the pixel range, as for the default data) is not tuned to this data.
    """
    return make_pipeline(PCA(n_components=50, random_state=0), SVC(gamma="scale"))


def _load_builtin(name, data_home, max_samples, random_state, download=True):
    groups = None
    if name == "ambiguous-digits":
        bunch = datasets.make_ambiguous_digits(random_state=random_state)
        n_votes = int(np.median(bunch.counts.sum(axis=1)))
        prov = _provenance_from_bunch(
            bunch,
            name,
            f"simulated (noisy-observer panel, {n_votes} votes per item)",
            "CC BY 4.0 (UCI digits); blends and panel BSD-3-Clause",
        )
        prov["split"] = (
            f"by source digit ({np.unique(bunch.groups).size} groups made before "
            "blending): no test item shares a source digit with a training item"
        )
        X, gold, human = bunch.data, bunch.target, bunch.counts
        groups = bunch.groups
    elif name == "mnist":
        bunch = datasets.fetch_mnist(
            data_home=data_home, subset="test", download_if_missing=download
        )
        n_all = bunch.target.shape[0]
        rng = np.random.default_rng(random_state)
        perm = rng.permutation(n_all)
        n_ref = n_all // 2
        ref, items = np.sort(perm[:n_ref]), perm[n_ref:]
        if max_samples is not None:
            items = items[:max_samples]
        items = np.sort(items)
        counts = simulate_noisy_observer_panel(
            _mnist_reference().fit(bunch.data[ref], bunch.target[ref]),
            bunch.data[items],
            image_shape=(28, 28),
            feature_range=(0.0, 1.0),
            random_state=random_state,
        )
        prov = _provenance_from_bunch(
            bunch,
            name,
            "simulated (noisy-observer panel, 6 votes per image: a PCA + RBF "
            f"SVM fitted on {n_ref} disjoint MNIST test images labels noisy "
            "copies; its majority differs from gold on about 4% of the images, "
            "people's on well under 1%)",
            "CC BY-SA 3.0",
        )
        prov["panel"] = MNIST_PANEL_NOTE
        prov["subsample"] = f"{items.size} of {n_all} test images"
        X, gold, human = bunch.images[items], bunch.target[items], counts
        max_samples = None
    else:  # cifar10h
        bunch = datasets.fetch_cifar10h(
            data_home=data_home, images=True, download_if_missing=download
        )
        prov = _provenance_from_bunch(
            bunch, name, "human (CIFAR-10H annotators)", "CC BY-NC-SA 4.0"
        )
        X, gold, human = bunch.images, bunch.target, bunch.counts
    data = {
        "X": np.asarray(X),
        "gold": np.asarray(gold),
        "human": np.asarray(human),
        "counts": True,
        "classes": np.arange(np.asarray(human).shape[1]),
        "groups": groups,
        "provenance": prov,
    }
    return _subsample(data, max_samples, random_state)


def _subsample(data, max_samples, random_state):
    n = data["X"].shape[0]
    if max_samples is None or max_samples >= n:
        return data
    rng = np.random.default_rng(random_state)
    idx = np.sort(rng.choice(n, size=max_samples, replace=False))
    out = dict(data)
    out["X"] = data["X"][idx]
    out["human"] = data["human"][idx]
    out["gold"] = None if data["gold"] is None else data["gold"][idx]
    if data.get("groups") is not None:
        out["groups"] = data["groups"][idx]
    out["provenance"] = dict(data["provenance"], subsample=f"{max_samples} of {n}")
    return out


def _as_classes(names):
    """Class names from column suffixes: ints when they all parse as ints."""
    try:
        return np.array([int(c) for c in names])
    except ValueError:
        return np.array(names)


def _read_npz(path):
    try:
        npz = np.load(path, allow_pickle=False)
    except Exception as exc:  # noqa: BLE001 - any reader failure is bad data
        raise UsageError(f"cannot read {path}: {exc}") from None
    with npz:
        keys = set(npz.files)
        if "data" not in keys:
            raise UsageError(
                f"{path} has no 'data' key (features); keys found: {sorted(keys)}"
            )
        X = npz["data"]
        gold = npz["target"] if "target" in keys else None
        if "counts" in keys and "soft_target" in keys:
            raise UsageError(f"{path} has both 'counts' and 'soft_target'; keep one")
        if "counts" in keys:
            human, counts = npz["counts"], True
        elif "soft_target" in keys:
            human, counts = npz["soft_target"], False
        else:
            raise UsageError(
                f"{path} has no human labels: add a 'counts' or 'soft_target' key"
            )
        classes = npz["classes"] if "classes" in keys else None
    return X, gold, human, counts, classes


def _read_csv(path):
    try:
        with open(path, newline="") as fh:
            rows = list(csv.reader(fh))
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read {path}: {exc}") from None
    if len(rows) < 2:
        raise UsageError(f"{path} has no data rows")
    header = [h.strip() for h in rows[0]]
    body = rows[1:]
    bad = [i for i, r in enumerate(body) if len(r) != len(header)]
    if bad:
        raise UsageError(
            f"{path}: row {bad[0] + 2} has {len(body[bad[0]])} fields, "
            f"the header has {len(header)}"
        )
    count_cols = [i for i, h in enumerate(header) if h.startswith("count_")]
    soft_cols = [i for i, h in enumerate(header) if h.startswith("soft_")]
    if count_cols and soft_cols:
        raise UsageError(f"{path} has both count_* and soft_* columns; keep one kind")
    label_cols = count_cols or soft_cols
    if not label_cols:
        raise UsageError(
            f"{path} has no human-label columns: add count_<class> or "
            "soft_<class> columns"
        )
    prefix = "count_" if count_cols else "soft_"
    classes = _as_classes([header[i][len(prefix) :] for i in label_cols])
    gold_col = header.index("target") if "target" in header else None
    feat_cols = [i for i in range(len(header)) if i not in label_cols and i != gold_col]
    if not feat_cols:
        raise UsageError(f"{path} has no feature columns")

    def numeric(cols, what):
        try:
            return np.array([[float(r[i]) for i in cols] for r in body])
        except ValueError:
            for ri, r in enumerate(body):
                for i in cols:
                    try:
                        float(r[i])
                    except ValueError:
                        raise UsageError(
                            f"{path}: {what} column {header[i]!r} row {ri + 2} is "
                            f"not a number: {r[i]!r}"
                        ) from None
            raise  # pragma: no cover

    X = numeric(feat_cols, "feature")
    human = numeric(label_cols, "label")
    gold = None
    if gold_col is not None:
        gold = _as_classes([r[gold_col].strip() for r in body])
        if gold.dtype.kind != classes.dtype.kind:
            gold, classes = gold.astype(str), classes.astype(str)
    return X, gold, human, bool(count_cols), classes


def _load_file(path, max_samples, random_state):
    """A user's ``.npz`` / ``.csv``: read, checked for equal rows, subsampled.

    Only what the subsample needs is checked here (one row per item in every
    array); values, classes and gold labels are checked by ``run_audit``.
    """
    path = Path(path)
    if not path.exists():
        raise UsageError(
            f"--dataset {str(path)!r} is neither one of {', '.join(DATASETS)} "
            "nor an existing file"
        )
    suffix = path.suffix.lower()
    if suffix == ".npz":
        X, gold, human, counts, classes = _read_npz(path)
    elif suffix == ".csv":
        X, gold, human, counts, classes = _read_csv(path)
    else:
        raise UsageError(f"--dataset file must end in .npz or .csv, got {path.name!r}")
    X = np.asarray(X)
    human = np.asarray(human)
    if X.ndim < 2 or X.shape[0] == 0:
        raise UsageError(f"{path}: features must have shape (n, ...) with n >= 1")
    if human.ndim != 2:
        raise UsageError(f"{path}: human labels must be 2-D (n, K), got {human.shape}")
    n, k = human.shape
    if X.shape[0] != n:
        raise UsageError(f"{path}: {X.shape[0]} feature rows but {n} human-label rows")
    classes = np.arange(k) if classes is None else np.asarray(classes)
    if gold is not None:
        gold = np.asarray(gold).ravel()
        if gold.shape[0] != n:
            raise UsageError(f"{path}: {gold.shape[0]} gold labels but {n} rows")
    data = {
        "X": X,
        "gold": gold,
        "human": human,
        "counts": counts,
        "classes": classes,
        "groups": None,
        "provenance": {
            "dataset": path.name,
            "title": f"user data {path.name}",
            "licence": "as stated by the data owner (not recorded in the file)",
            "labels": "human (user-supplied "
            + ("vote counts" if counts else "soft labels")
            + ")",
        },
    }
    return _subsample(data, max_samples, random_state)


def load_audit_data(
    dataset, *, data_home=None, max_samples=None, random_state=0, download=True
):
    """Load a built-in data set or a user file for the audit.

    Parameters
    ----------
    dataset : str
        ``"ambiguous-digits"``, ``"mnist"``, ``"cifar10h"`` or the path of a
        ``.npz`` / ``.csv`` file in the format of the module docstring.
    data_home : str, default=None
        Download / cache folder of the real data sets.
    max_samples : int, default=None
        Random subsample size (all rows by default).
    random_state : int, default=0
        Seed of the subsample, of the generated data and of simulated panels.
    download : bool, default=True
        Allow downloads of missing real data.

    Returns
    -------
    data : dict
        ``X``, ``gold`` (or None), ``human`` (counts or soft labels),
        ``counts`` (bool), ``classes``, ``groups`` (the split groups of
        ``run_audit``, or None: for ``ambiguous-digits`` the source-digit
        groups, so that train and test share no source digit) and
        ``provenance`` (``dataset``, ``title``, ``licence``, ``labels``: human
        or simulated).

    Raises
    ------
    UsageError
        A ``ValueError`` naming what is wrong with the data or the file.

    Examples
    --------
    >>> from sksoft.cli import load_audit_data
    >>> data = load_audit_data("ambiguous-digits", max_samples=200)
    >>> data["X"].shape, data["human"].shape, data["provenance"]["labels"]
    ((200, 64), (200, 10), 'simulated (noisy-observer panel, 6 votes per item)')
    """
    if dataset in DATASETS:
        try:
            return _load_builtin(
                dataset, data_home, max_samples, random_state, download
            )
        except (OSError, ConnectionError, RuntimeError, ValueError) as exc:
            msg = " ".join(str(exc).split()) or type(exc).__name__
            raise UsageError(f"cannot load {dataset}: {msg}") from None
    return _load_file(dataset, max_samples, random_state)
