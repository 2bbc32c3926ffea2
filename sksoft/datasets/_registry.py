"""The built-in data sets of the audit, as a registry.

One place per data set: :data:`DATASET_REGISTRY` maps each name of the
command's ``--dataset`` to a :class:`DatasetSpec` (its loader, the kind of
input, its defaults, what its labels and gold labels are, and its docs page).
The audit's :data:`~sksoft.audit._data.DATASETS`, its per-set defaults, the
provenance in the report and the command's ``--dataset`` help all derive from
it; :func:`get_dataset_spec` resolves a name to its spec (as MAPIE's
``check_and_select_conformity_score`` resolves a score). Adding a data set is
its loader module in :mod:`sksoft.datasets`, one :func:`_register` call here
and its page in ``docs/datasets/``.

The provenance (:func:`dataset_provenance`) is read from the loader's Bunch
fields ``licence``, ``source_url`` and ``citation``, never parsed out of its
description text.
"""

from collections.abc import Callable
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np
from sklearn.decomposition import PCA
from sklearn.pipeline import make_pipeline
from sklearn.svm import SVC

from ..sources import simulate_noisy_observer_panel
from ._ambiguous_digits import make_ambiguous_digits
from ._chaosnli import fetch_chaosnli
from ._cifar10h import fetch_cifar10h
from ._lewidi import fetch_lewidi
from ._mnist import fetch_mnist
from ._vader import fetch_vader_sentiment

__all__ = [
    "DATASET_REGISTRY",
    "DatasetSpec",
    "dataset_help",
    "dataset_names",
    "dataset_provenance",
    "get_dataset_spec",
]

#: the kinds of input of a data set (``DatasetSpec.kind``)
KINDS = ("text", "image", "tabular")

#: the estimator family that the audit command builds by default for each
#: kind (a spec's ``model`` overrides it: the text models are those of
#: ``sksoft.audit.default_text_estimator``)
DEFAULT_MODELS = {"text": "tfidf-linear", "image": "cnn", "tabular": "mlp"}

#: the default epochs of ``run_audit`` for each kind (``--epochs``)
DEFAULT_EPOCHS = {"text": 8, "image": 12, "tabular": 40}


@dataclass(frozen=True)
class DatasetSpec:
    """One built-in data set of the audit (a read-only record).

    Attributes
    ----------
    name : str
        The ``--dataset`` name (its key in :data:`DATASET_REGISTRY`).
    title : str
        The report's "data set" line.
    loader : callable
        ``loader(data_home, download, random_state) -> Bunch``: the data set's
        public loader with its options; the Bunch carries ``licence``,
        ``source_url`` and ``citation``.
    kind : {"text", "image", "tabular"}
        What ``X`` is.
    labels : {"human", "simulated"}
        Whether the soft labels come from people or a simulated panel.
    labels_note : callable
        ``labels_note(bunch) -> str``: the report's "labels" line.
    summary : str
        A few words for the command's ``--dataset`` help.
    text_pair : bool, default=False
        Whether an item is several texts (a premise and a hypothesis, ...).
    n_classes : int or None, default=None
        Number of classes when fixed (2 for a binary set).
    model : str or None, default=None
        The default estimator family (:data:`DEFAULT_MODELS` of ``kind``).
    epochs : int or None, default=None
        The default epochs (:data:`DEFAULT_EPOCHS` of ``kind``).
    seeds : int, default=10
        The command's default number of seeds.
    max_samples : int or None, default=None
        The command's default subsample (None: every item).
    gold : str or None, default=None
        What the gold label is, for the report (None: not stated).
    independent_gold : bool, default=True
        Whether gold comes from elsewhere than the soft labels' annotators;
        ``False`` (gold = the annotator majority) means no mode shift to
        report.
    mode_shift : str or None, default=None
        What the report's mode-shift rate compares (None: its default).
    split : {"random", "official"}, default="random"
        ``"random"``: the audit's own split; ``"official"``: the data set
        comes with a train/test split, the loader's ``split`` field, which
        :func:`~sksoft.audit._data.load_audit_data` returns as ``split`` (one
        entry per item; ``run_audit`` does not use it yet).
    docs : str or None, default=None
        The docs page (``docs/<docs>.rst``), None when listed elsewhere.
    items : callable or None, default=None
        ``items(spec, bunch, random_state, max_samples) -> dict`` with ``X``,
        ``gold``, ``human`` (counts), ``groups``, ``provenance`` (extra
        entries) and ``subsampled`` (True when ``max_samples`` was applied);
        None: :func:`_standard_items` (``data`` or ``images``, ``target``,
        ``counts``).
    """

    name: str
    title: str
    loader: Callable
    kind: str
    labels: str
    labels_note: Callable
    summary: str
    text_pair: bool = False
    n_classes: int | None = None
    model: str | None = None
    epochs: int | None = None
    seeds: int = 10
    max_samples: int | None = None
    gold: str | None = None
    independent_gold: bool = True
    mode_shift: str | None = None
    split: str = "random"
    docs: str | None = None
    items: Callable | None = None

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, got {self.kind!r}")
        if self.labels not in ("human", "simulated"):
            raise ValueError(f"labels must be 'human' or 'simulated': {self.labels!r}")
        if self.split not in ("random", "official"):
            raise ValueError(f"split must be 'random' or 'official': {self.split!r}")
        if self.model is None:
            object.__setattr__(self, "model", DEFAULT_MODELS[self.kind])
        if self.epochs is None:
            object.__setattr__(self, "epochs", DEFAULT_EPOCHS[self.kind])
        if not self.independent_gold and self.mode_shift is None:
            object.__setattr__(
                self, "mode_shift", "none: gold is the annotators' majority"
            )


_REGISTRY = {}


def _register(spec):
    if spec.name in _REGISTRY:  # pragma: no cover - a registry bug
        raise ValueError(f"data set {spec.name!r} registered twice")
    _REGISTRY[spec.name] = spec


#: every built-in data set by ``--dataset`` name, in help order (read-only)
DATASET_REGISTRY = MappingProxyType(_REGISTRY)


def get_dataset_spec(name):
    """The :class:`DatasetSpec` of a built-in data set.

    Parameters
    ----------
    name : str or DatasetSpec
        A name of :data:`DATASET_REGISTRY` (a spec is returned as is).

    Returns
    -------
    spec : DatasetSpec

    Raises
    ------
    ValueError
        For a name that is not registered (the message lists the names).

    Examples
    --------
    >>> from sksoft.datasets._registry import get_dataset_spec
    >>> spec = get_dataset_spec("vader")
    >>> spec.kind, spec.labels
    ('text', 'human')
    """
    if isinstance(name, DatasetSpec):
        return name
    try:
        return DATASET_REGISTRY[name]
    except (KeyError, TypeError):
        raise ValueError(
            f"unknown data set {name!r}; choose from {', '.join(DATASET_REGISTRY)}"
        ) from None


def dataset_names(kind=None):
    """The registered names (the ``--dataset`` choices), optionally of one kind.

    Examples
    --------
    >>> from sksoft.datasets._registry import dataset_names
    >>> dataset_names("image")
    ('mnist', 'cifar10h')
    """
    return tuple(
        name
        for name, spec in DATASET_REGISTRY.items()
        if kind is None or spec.kind == kind
    )


def dataset_help(default="ambiguous-digits"):
    """The ``--dataset`` help text: every registered name and its summary.

    Examples
    --------
    >>> from sksoft.datasets._registry import dataset_help
    >>> dataset_help().startswith("ambiguous-digits (embedded, simulated")
    True
    """
    groups = []  # consecutive names that share a summary: [[names, summary]]
    for name, spec in DATASET_REGISTRY.items():
        summary = spec.summary + ("; default" if name == default else "")
        if groups and groups[-1][1] == summary:
            groups[-1][0].append(name)
        else:
            groups.append([[name], summary])
    parts = [f"{', '.join(names)} ({summary})" for names, summary in groups]
    return ", ".join(parts) + ", or a path to a .npz/.csv file (format below)"


def dataset_provenance(spec, bunch):
    """The report's provenance of a built-in data set, from its loader's Bunch.

    ``licence``, ``source`` and ``citation`` are the Bunch's ``licence``,
    ``source_url`` and ``citation``; ``labels`` is the spec's note on them;
    ``gold`` and ``mode_shift`` are the spec's when it states them.

    Examples
    --------
    >>> from sklearn.utils import Bunch
    >>> from sksoft.datasets._registry import dataset_provenance, get_dataset_spec
    >>> bunch = Bunch(licence="CC0", source_url="https://x", citation="A. B.",
    ...               soft_labels="human", n_annotations=np.array([3, 5]))
    >>> prov = dataset_provenance(get_dataset_spec("vader"), bunch)
    >>> prov["licence"], prov["source"], prov["dataset"]
    ('CC0', 'https://x', 'vader')
    """
    spec = get_dataset_spec(spec)
    if spec.labels == "human" and getattr(bunch, "soft_labels", None) != "human":
        raise ValueError(f"{spec.name}: the loader does not mark its labels as human")
    prov = {
        "dataset": spec.name,
        "title": spec.title,
        "licence": bunch.licence,
        "labels": spec.labels_note(bunch),
        "source": bunch.source_url,
        "citation": bunch.citation,
    }
    if spec.gold is not None:
        prov["gold"] = spec.gold
    if spec.mode_shift is not None:
        prov["mode_shift"] = spec.mode_shift
    return prov


def _standard_items(spec, bunch, random_state, max_samples):
    """``data`` (texts, features) or ``images``, ``target`` and ``counts``."""
    X = bunch.images if spec.kind == "image" else bunch.data
    return {
        "X": X,
        "gold": bunch.target,
        "human": bunch.counts,
        "groups": None,
        "provenance": {},
        "subsampled": False,
    }


# ---------------------------------------------------------------- the data sets


def _digits_items(spec, bunch, random_state, max_samples):
    out = _standard_items(spec, bunch, random_state, max_samples)
    out["groups"] = bunch.groups
    out["provenance"] = {
        "split": (
            f"by source digit ({np.unique(bunch.groups).size} groups made before "
            "blending): no test item shares a source digit with a training item"
        )
    }
    return out


def _digits_labels(bunch):
    n_votes = int(np.median(bunch.counts.sum(axis=1)))
    return f"simulated (noisy-observer panel, {n_votes} votes per item)"


_register(
    DatasetSpec(
        name="ambiguous-digits",
        title="Ambiguous digits (SIMULATED soft labels)",
        loader=lambda data_home, download, random_state: make_ambiguous_digits(
            random_state=random_state
        ),
        kind="tabular",
        labels="simulated",
        labels_note=_digits_labels,
        summary="embedded, simulated labels",
        seeds=20,
        items=_digits_items,
    )
)

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


def _mnist_items(spec, bunch, random_state, max_samples):
    """Half of the test images label the other half through a simulated panel."""
    n_all = bunch.target.shape[0]
    perm = np.random.default_rng(random_state).permutation(n_all)
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
    return {
        "X": bunch.images[items],
        "gold": bunch.target[items],
        "human": counts,
        "groups": None,
        "provenance": {
            "panel": MNIST_PANEL_NOTE,
            "subsample": f"{items.size} of {n_all} test images",
        },
        "subsampled": True,
    }


_register(
    DatasetSpec(
        name="mnist",
        title="MNIST handwritten digits",
        loader=lambda data_home, download, random_state: fetch_mnist(
            data_home=data_home, subset="test", download_if_missing=download
        ),
        kind="image",
        labels="simulated",
        labels_note=lambda bunch: (
            "simulated (noisy-observer panel, 6 votes per image: a PCA + RBF "
            f"SVM fitted on {bunch.target.shape[0] // 2} disjoint MNIST test "
            "images labels noisy copies; its majority differs from gold on about "
            "4% of the images, people's on well under 1%)"
        ),
        summary="simulated panel",
        max_samples=3000,
        items=_mnist_items,
    )
)

_register(
    DatasetSpec(
        name="cifar10h",
        title="CIFAR-10H human soft labels",
        loader=lambda data_home, download, random_state: fetch_cifar10h(
            data_home=data_home, images=True, download_if_missing=download
        ),
        kind="image",
        labels="human",
        labels_note=lambda bunch: "human (CIFAR-10H annotators)",
        summary="human labels",
        max_samples=3000,
    )
)


def _vader_labels(bunch):
    lo, hi = int(bunch.n_annotations.min()), int(bunch.n_annotations.max())
    return (
        f"human labels ({lo} to {hi} raters per text, ratings -4..+4 collapsed to "
        "negative / neutral / positive: 0 is neutral)"
    )


def _vader_items(spec, bunch, random_state, max_samples):
    out = _standard_items(spec, bunch, random_state, max_samples)
    # the audit sees the collapsed classes: say so where disagreement is counted
    out["provenance"] = {
        "ordinal_scale": "9-point ratings -4..+4 collapsed to 3 classes",
    }
    # the raw scale, for the audit's raw-scale metrics: counts per level and
    # the class each level collapses to (the loader's rule)
    if "rating_counts" not in bunch:
        return out
    levels, band = np.asarray(bunch.rating_levels), int(bunch.neutral_band)
    out["rating_counts"] = bunch.rating_counts
    out["rating_classes"] = np.asarray(bunch.target_names)[
        np.where(levels < -band, 0, np.where(levels > band, 2, 1))
    ]
    return out


_register(
    DatasetSpec(
        name="vader",
        title="VADER sentiment corpora (HUMAN ratings)",
        loader=lambda data_home, download, random_state: fetch_vader_sentiment(
            data_home=data_home, download_if_missing=download
        ),
        kind="text",
        labels="human",
        labels_note=_vader_labels,
        summary="texts, human labels",
        n_classes=3,
        # chosen by benchmarks/select_text_defaults.py on VADER training rows
        # (the non-convex model with the lowest validation cross-entropy;
        # TEXT_MODEL_DEFAULTS["minilm-mlp"]); needs sksoft[text]
        model="minilm-mlp",
        epochs=10,
        gold=(
            "the class of the corpus's published mean rating (positive >= 0.5, "
            "negative <= -0.5, neutral between)"
        ),
        mode_shift="majority of the raw ratings != class of the published mean rating",
        docs="datasets/vader",
        items=_vader_items,
    )
)

_CHAOSNLI_ORIGINAL = {"snli": "SNLI", "mnli": "MultiNLI", "alphanli": "alphaNLI"}


def _chaosnli_loader(subset):
    def loader(data_home, download, random_state):
        return fetch_chaosnli(
            data_home=data_home, subset=subset, download_if_missing=download
        )

    return loader


def _chaosnli_labels(bunch):
    fields = " / ".join(bunch.feature_names)
    return f"human labels (100 new ChaosNLI annotators per item; texts: {fields})"


for _subset, _original in _CHAOSNLI_ORIGINAL.items():
    _register(
        DatasetSpec(
            name=f"chaosnli-{_subset}",
            title="ChaosNLI (HUMAN label distributions)",
            loader=_chaosnli_loader(_subset),
            kind="text",
            labels="human",
            labels_note=_chaosnli_labels,
            summary="texts, human labels",
            text_pair=True,
            n_classes=2 if _subset == "alphanli" else 3,
            gold=f"the original {_original} label (not the new majority)",
            mode_shift=f"new ChaosNLI majority != original {_original} label",
            docs="datasets/chaosnli",
        )
    )
del _subset, _original

# ---------------------------------------------------------------- Le-Wi-Di 2023

#: the binary Le-Wi-Di 2023 sets: ``--dataset`` name -> (loader name, title,
#: what the positive class is)
_LEWIDI_BINARY = {
    "md-agreement": ("MD-Agreement", "MD-Agreement offensive tweets", "offensive"),
    "hs-brexit": ("HS-Brexit", "HS-Brexit hate-speech tweets", "hate speech"),
    "convabuse": ("ConvAbuse", "ConvAbuse user-bot dialogues", "abusive"),
    "armis": ("ArMIS", "ArMIS Arabic misogyny tweets", "misogynistic"),
}


def _lewidi_loader(name):
    def loader(data_home, download, random_state):
        return fetch_lewidi(
            data_home=data_home, name=name, download_if_missing=download
        )

    return loader


def _lewidi_labels(bunch):
    lo, hi = int(bunch.n_annotators.min()), int(bunch.n_annotators.max())
    raters = f"{lo} annotators" if lo == hi else f"{lo} to {hi} annotators"
    fields = (
        "" if bunch.data.ndim == 1 else f"; texts: {' / '.join(bunch.feature_names)}"
    )
    return f"human labels ({raters} per item, Le-Wi-Di 2023{fields})"


def _lewidi_items(spec, bunch, random_state, max_samples):
    out = _standard_items(spec, bunch, random_state, max_samples)
    split = np.asarray(bunch.split)
    out["provenance"] = {
        "split": (
            f"the official split: train + dev ({int((split != 'test').sum())} items) "
            f"for training, test ({int((split == 'test').sum())} items) held out"
        )
    }
    return out


for _key, (_name, _title, _positive) in _LEWIDI_BINARY.items():
    _register(
        DatasetSpec(
            name=_key,
            title=f"{_title} (Le-Wi-Di 2023, HUMAN labels)",
            loader=_lewidi_loader(_name),
            kind="text",
            labels="human",
            labels_note=_lewidi_labels,
            summary="texts, human labels, gold = annotator majority",
            text_pair=_key == "convabuse",
            n_classes=2,
            gold=(
                f"the published hard_label ({_positive} or not): the majority of "
                "the same annotators (ties broken by the publishers)"
            ),
            independent_gold=False,
            split="official",
            docs="datasets/lewidi",
            items=_lewidi_items,
        )
    )
del _key, _name, _title, _positive
