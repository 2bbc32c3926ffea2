"""Tests of the data-set registry (sksoft/datasets/_registry.py)."""

import re
from pathlib import Path

import numpy as np
import pytest
from sklearn.utils import Bunch

from sksoft import datasets
from sksoft.audit._data import DATASETS, TEXT_DATASETS, UsageError, load_audit_data
from sksoft.audit._estimators import (
    TEXT_MAX_EPOCHS,
    TEXT_MODEL_DEFAULTS,
    default_max_epochs,
)
from sksoft.cli import _build_parser, _default_seed_count, main
from sksoft.datasets import _registry
from sksoft.datasets._registry import (
    DATASET_REGISTRY,
    DEFAULT_EPOCHS,
    DatasetSpec,
    dataset_help,
    dataset_names,
    dataset_provenance,
    get_dataset_spec,
)

DOCS = Path(__file__).resolve().parents[2] / "docs"


def _audit_help():
    parser = _build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    return sub.choices["audit"].format_help()


def _toy_loader(data_home, download, random_state):
    """A 3-class tabular data set with vote counts and its provenance."""
    rng = np.random.default_rng(random_state)
    counts = rng.integers(0, 5, size=(40, 3))
    counts[:, 0] += 3  # 3 to 15 votes per item (at most 10x apart)
    return Bunch(
        data=rng.normal(size=(40, 4)),
        target=rng.integers(0, 3, size=40),
        counts=counts,
        target_names=np.arange(3),
        soft_labels="human",
        licence="CC0 (toy)",
        source_url="https://example.org/toy",
        citation="A. Toy, 2026.",
    )


def _toy_spec(**kwargs):
    options = dict(
        name="toy",
        title="Toy votes",
        loader=_toy_loader,
        kind="tabular",
        labels="human",
        labels_note=lambda bunch: f"human ({int(bunch.counts.sum())} votes)",
        summary="a toy",
        seeds=7,
        max_samples=30,
    )
    options.update(kwargs)
    return DatasetSpec(**options)


LEWIDI = ("md-agreement", "hs-brexit", "convabuse", "armis")


def test_names_derive_from_the_registry():
    assert DATASETS == tuple(DATASET_REGISTRY) == dataset_names()
    assert DATASETS == (
        "ambiguous-digits",
        "mnist",
        "cifar10h",
        "vader",
        "chaosnli-snli",
        "chaosnli-mnli",
        "chaosnli-alphanli",
        *LEWIDI,
    )
    assert TEXT_DATASETS == (
        "vader",
        "chaosnli-snli",
        "chaosnli-mnli",
        "chaosnli-alphanli",
        *LEWIDI,
    )
    assert dataset_names("image") == ("mnist", "cifar10h")
    assert dataset_names("tabular") == ("ambiguous-digits",)


def test_every_spec_names_a_public_loader_and_consistent_defaults():
    for name, spec in DATASET_REGISTRY.items():
        assert spec.name == name
        assert spec.kind in ("text", "image", "tabular")
        if spec.kind == "text":  # a text set's epochs are its model's default
            assert spec.model in TEXT_MODEL_DEFAULTS
            assert spec.epochs == TEXT_MODEL_DEFAULTS[spec.model]["max_epochs"]
        else:
            assert spec.epochs == DEFAULT_EPOCHS[spec.kind]
        assert spec.text_pair == (name.startswith("chaosnli") or name == "convabuse")
        assert spec.labels == (
            "simulated" if name in ("ambiguous-digits", "mnist") else "human"
        )
    # the registry's default epochs are run_audit's
    assert DEFAULT_EPOCHS["text"] == TEXT_MAX_EPOCHS
    assert DEFAULT_EPOCHS["tabular"] == default_max_epochs(np.zeros((2, 3)))
    assert DEFAULT_EPOCHS["image"] == default_max_epochs(np.zeros((2, 1, 8, 8)))


def test_get_dataset_spec_resolves_names_and_refuses_others():
    spec = get_dataset_spec("chaosnli-mnli")
    assert spec is DATASET_REGISTRY["chaosnli-mnli"]
    assert get_dataset_spec(spec) is spec
    with pytest.raises(ValueError, match=r"unknown data set 'nope'; choose from ambig"):
        get_dataset_spec("nope")
    with pytest.raises(ValueError, match="unknown data set"):
        get_dataset_spec(["vader"])


def test_spec_refuses_bad_fields():
    with pytest.raises(ValueError, match="kind must be one of"):
        _toy_spec(kind="audio")
    with pytest.raises(ValueError, match="labels must be"):
        _toy_spec(labels="crowd")
    with pytest.raises(ValueError, match="split must be"):
        _toy_spec(split="k-fold")


def _toy_text_loader(data_home, download, random_state):
    """Binary texts with an official split; gold is the annotators' majority."""
    counts = np.array([[3, 1], [0, 4], [2, 3], [5, 0], [1, 2], [4, 1]])
    return Bunch(
        data=np.array([f"text {i}" for i in range(6)], dtype=object),
        target=counts.argmax(axis=1),
        counts=counts,
        target_names=np.array(["no", "yes"]),
        split=np.array(["train", "train", "dev", "train", "test", "test"]),
        soft_labels="human",
        licence="CC BY 4.0 (toy)",
        source_url="https://example.org/toy-texts",
        citation="A. Toy, 2026.",
    )


def test_spec_expresses_a_set_with_official_split_and_majority_gold(monkeypatch):
    # a Le-Wi-Di-like set: texts, official train/test split, binary, gold is
    # the annotators' majority (no independent gold, hence no mode shift)
    spec = _toy_spec(
        name="toy-texts",
        loader=_toy_text_loader,
        kind="text",
        split="official",
        independent_gold=False,
        n_classes=2,
        max_samples=None,
    )
    assert (spec.model, spec.epochs, spec.split, spec.n_classes) == (
        "tfidf-linear",
        8,
        "official",
        2,
    )
    assert spec.mode_shift == "none: gold is the annotators' majority"
    monkeypatch.setitem(_registry._REGISTRY, "toy-texts", spec)
    assert "toy-texts" in dataset_names("text")
    data = load_audit_data("toy-texts")
    bunch = _toy_text_loader(None, False, 0)
    assert data["X"].dtype == object and list(data["X"]) == list(bunch.data)
    np.testing.assert_array_equal(data["gold"], ["no", "yes", "yes", "no", "yes", "no"])
    np.testing.assert_array_equal(data["classes"], ["no", "yes"])
    np.testing.assert_array_equal(data["split"], bunch.split)
    assert data["provenance"]["mode_shift"] == spec.mode_shift
    # a subsample keeps each item's split entry
    sub = load_audit_data("toy-texts", max_samples=4)
    rows = [list(bunch.data).index(x) for x in sub["X"]]
    np.testing.assert_array_equal(sub["split"], bunch.split[rows])
    # the sets with the audit's own split carry no split entry
    assert "split" not in load_audit_data("ambiguous-digits", max_samples=20)


def test_provenance_is_read_from_the_loader_fields():
    bunch = _toy_loader(None, False, 0)
    prov = dataset_provenance(_toy_spec(gold="the toy's gold"), bunch)
    assert prov == {
        "dataset": "toy",
        "title": "Toy votes",
        "licence": "CC0 (toy)",
        "labels": f"human ({int(bunch.counts.sum())} votes)",
        "source": "https://example.org/toy",
        "citation": "A. Toy, 2026.",
        "gold": "the toy's gold",
    }
    bunch.soft_labels = "simulated"
    with pytest.raises(ValueError, match="does not mark its labels as human"):
        dataset_provenance(_toy_spec(), bunch)


def test_builtin_provenance_comes_from_the_loader():
    data = load_audit_data("ambiguous-digits", max_samples=50)
    bunch = datasets.make_ambiguous_digits(random_state=0)
    prov = data["provenance"]
    assert prov["licence"] == bunch.licence
    assert prov["source"] == bunch.source_url
    assert prov["citation"] == bunch.citation
    assert prov["labels"] == "simulated (noisy-observer panel, 6 votes per item)"
    assert prov["title"] == bunch.DESCR.strip().splitlines()[0].strip(" .=-")


def test_cli_help_and_defaults_derive_from_the_registry():
    text = " ".join(_audit_help().split())
    for name in DATASETS:
        assert name in text
    assert dataset_help() in text
    assert _default_seed_count("ambiguous-digits") == 20
    assert _default_seed_count("vader") == DATASET_REGISTRY["vader"].seeds == 10
    assert _default_seed_count("my.csv") == 10
    assert DATASET_REGISTRY["mnist"].max_samples == 3000
    assert DATASET_REGISTRY["cifar10h"].max_samples == 3000


def test_a_new_registry_entry_reaches_the_cli_and_load_audit_data(monkeypatch):
    assert "toy" not in dataset_names()
    monkeypatch.setitem(_registry._REGISTRY, "toy", _toy_spec())
    # the command's help and defaults
    assert "toy (a toy)" in " ".join(_audit_help().split())
    assert _default_seed_count("toy") == 7
    # the audit's data: the loader's items, subsampled, with its provenance
    data = load_audit_data("toy", max_samples=25)
    full = _toy_loader(None, True, 0)
    assert data["X"].shape == (25, 4) and data["human"].shape == (25, 3)
    rows = [np.flatnonzero((full.data == x).all(axis=1))[0] for x in data["X"]]
    np.testing.assert_array_equal(data["human"], full.counts[rows])
    np.testing.assert_array_equal(data["gold"], full.target[rows])
    np.testing.assert_array_equal(data["classes"], np.arange(3))
    assert data["provenance"]["licence"] == "CC0 (toy)"
    assert data["provenance"]["source"] == "https://example.org/toy"
    assert data["provenance"]["subsample"] == "25 of 40"
    # a built-in set states its labels' kind itself
    with pytest.raises(UsageError, match="toy states its labels' kind itself"):
        load_audit_data("toy", simulated=True)


def test_a_new_entry_runs_through_the_command(monkeypatch, tmp_path, capsys):
    monkeypatch.setitem(_registry._REGISTRY, "toy", _toy_spec())
    out = tmp_path / "audit"
    argv = ["audit", "--dataset", "toy", "--seeds", "1,", "--arms", "gold,human_soft"]
    argv += ["--epochs", "1", "--out", str(out), "--no-figures", "--quiet"]
    assert main(argv) == 0
    report = (out / "report.md").read_text(encoding="utf-8")
    assert "# Soft-label audit: toy" in report
    assert "CC0 (toy)" in report and "https://example.org/toy" in report
    assert "30 / 3" in report  # the entry's default subsample of 40 items


def test_docs_index_lists_the_registry_pages():
    index = (DOCS / "datasets" / "index.rst").read_text(encoding="utf-8")
    toctree = index.split(".. toctree::", 1)[1]
    entries = re.findall(r"^   ([a-z0-9_-]+)\s*$", toctree, flags=re.M)
    pages = {spec.docs for spec in DATASET_REGISTRY.values() if spec.docs}
    # every registry page is on the index (loader pages may come before their
    # registry entries, as Le-Wi-Di's)
    assert pages <= {f"datasets/{e}" for e in entries}
    for page in pages:
        assert (DOCS / f"{page}.rst").is_file()


def test_docs_table_matches_the_registry():
    index = (DOCS / "datasets" / "index.rst").read_text(encoding="utf-8")
    words = {"tabular": "tabular", "image": "images", "text": "texts"}
    rows = re.findall(r"^``([a-z][a-z0-9-]*)``\s+(\w+)\s+(\w+)\s", index, flags=re.M)
    assert [r[0] for r in rows] == list(DATASET_REGISTRY)
    for name, kind, labels in rows:
        spec = DATASET_REGISTRY[name]
        assert (kind, labels) == (words[spec.kind], spec.labels), name


def test_vader_items_say_the_ratings_are_collapsed():
    spec = get_dataset_spec("vader")
    bunch = Bunch(
        data=np.array(["a", "b"], object),
        target=np.array([0, 2]),
        counts=np.array([[3, 1, 0], [0, 0, 4]]),
    )
    out = spec.items(spec, bunch, 0, None)
    assert out["provenance"] == {
        "ordinal_scale": "9-point ratings -4..+4 collapsed to 3 classes"
    }
    assert out["human"] is bunch.counts and out["gold"] is bunch.target
    assert "rating_counts" not in out  # a bunch without the raw scale
    # with the raw scale: the levels' classes by the loader's rule
    bunch.update(
        rating_counts=np.array([[1, 0, 0, 2, 1, 0, 0, 0, 0], [0] * 8 + [4]]),
        rating_levels=np.arange(-4, 5),
        neutral_band=1,
        target_names=np.array(["negative", "neutral", "positive"]),
    )
    out = spec.items(spec, bunch, 0, None)
    assert out["rating_counts"] is bunch.rating_counts
    assert out["rating_classes"].tolist() == (
        ["negative"] * 3 + ["neutral"] * 3 + ["positive"] * 3
    )
