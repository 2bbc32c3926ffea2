"""Tests of sksoft.cartography: statistics, transformer, alignment, data map."""

import numpy as np
import pytest
import torch
from scipy.spatial.distance import jensenshannon
from scipy.stats import spearmanr
from skorch import NeuralNetClassifier

from sksoft._dynamics import DynamicsAccumulator, per_sample_quantities
from sksoft.cartography import (
    STATISTICS,
    CartographyTransformer,
    DataMapDisplay,
    human_alignment_summary,
    training_dynamics_statistics,
)

# ---------------------------------------------------------------------------
# a fixed, hand-checkable history: 4 epochs, 3 samples, 2 classes
# sample 0 (gold 0): p[gold] 0.2 0.6 0.4 0.8 -> wrong, right, wrong, right
# sample 1 (gold 1): p[gold] 0.1 0.2 0.3 0.4 -> never right
# sample 2 (gold 0): p[gold] 0.9 every epoch
# ---------------------------------------------------------------------------
GOLD_P = np.array([[0.2, 0.1, 0.9], [0.6, 0.2, 0.9], [0.4, 0.3, 0.9], [0.8, 0.4, 0.9]])
Y_HAND = np.array([0, 1, 0])


def _hand_proba():
    proba = np.empty((4, 3, 2))
    for j, g in enumerate(Y_HAND):
        proba[:, j, g] = GOLD_P[:, j]
        proba[:, j, 1 - g] = 1 - GOLD_P[:, j]
    return proba


def test_statistics_hand_checked_history():
    stats = training_dynamics_statistics(_hand_proba(), Y_HAND)
    # confidence = mean p[gold]; by hand: 2.0/4, 1.0/4, 0.9
    np.testing.assert_allclose(stats["confidence"], [0.5, 0.25, 0.9])
    # population std: sqrt(0.2/4), sqrt(0.05/4), 0
    np.testing.assert_allclose(
        stats["variability"], [np.sqrt(0.05), np.sqrt(0.0125), 0.0], atol=1e-15
    )
    # reference: correctness = count of correct epochs (2, 0, 4); ours / 4 epochs
    np.testing.assert_allclose(stats["correctness"], np.array([2, 0, 4]) / 4)
    # reference forgetfulness: 1 (learnt, forgotten, learnt), sentinel, 0
    assert stats["forgetfulness"][0] == 1
    assert np.isposinf(stats["forgetfulness"][1])
    assert stats["forgetfulness"][2] == 0
    np.testing.assert_array_equal(stats["n_epochs"], [4, 4, 4])
    # with hard targets the expected target probability is the gold probability
    np.testing.assert_allclose(stats["target_confidence"], stats["confidence"])
    np.testing.assert_allclose(stats["target_variability"], stats["variability"])


def _forgetting_by_loop(trend):
    """Toneva et al.: count transitions from a correct epoch to a wrong one."""
    if not any(trend):
        return np.inf
    count = 0
    for before, now in zip(trend[:-1], trend[1:]):
        count += bool(before) and not now
    return count


def test_statistics_equal_direct_numpy_on_random_soft_history():
    rng = np.random.default_rng(1)
    n_epochs, n, k = 7, 40, 4
    logits = rng.normal(scale=2.0, size=(n_epochs, n, k))
    proba = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
    targets = rng.dirichlet(np.ones(k) * 0.7, size=n)
    stats = training_dynamics_statistics(proba, targets)

    gold = np.argmax(targets, axis=1)
    gold_p = proba[:, np.arange(n), gold]
    correct = proba.argmax(-1) == gold
    np.testing.assert_allclose(stats["confidence"], gold_p.mean(0), rtol=1e-12)
    np.testing.assert_allclose(stats["variability"], gold_p.std(0), atol=1e-12)
    np.testing.assert_allclose(stats["correctness"], correct.sum(0) / n_epochs)
    expected_forget = [_forgetting_by_loop(list(correct[:, j])) for j in range(n)]
    np.testing.assert_array_equal(stats["forgetfulness"], expected_forget)

    tp = np.einsum("nk,enk->en", targets, proba)
    np.testing.assert_allclose(stats["target_confidence"], tp.mean(0), rtol=1e-12)
    np.testing.assert_allclose(stats["target_variability"], tp.std(0), atol=1e-12)
    js = np.array(
        [
            [jensenshannon(targets[j], proba[e, j]) ** 2 for j in range(n)]
            for e in range(n_epochs)
        ]
    )
    np.testing.assert_allclose(stats["js_divergence"], js.mean(0), atol=1e-12)


def test_gold_labels_override_the_target_mode():
    proba = _hand_proba()
    # soft target whose mode is class 1 for sample 0, but gold label 0
    y = np.array([[0.4, 0.6], [0.0, 1.0], [1.0, 0.0]])
    default = training_dynamics_statistics(proba, y)
    np.testing.assert_allclose(default["confidence"][0], 1 - 0.5)
    gold = training_dynamics_statistics(proba, y, gold_labels=[0, 1, 0])
    np.testing.assert_allclose(gold["confidence"], [0.5, 0.25, 0.9])
    # expected target probability does not depend on the gold label
    np.testing.assert_allclose(gold["target_confidence"], default["target_confidence"])
    np.testing.assert_allclose(
        gold["target_confidence"][0],
        np.mean(0.4 * GOLD_P[:, 0] + 0.6 * (1 - GOLD_P[:, 0])),
    )
    strings = training_dynamics_statistics(
        proba, ["a", "b", "a"], gold_labels=["a", "b", "a"]
    )
    np.testing.assert_allclose(strings["confidence"], [0.5, 0.25, 0.9])
    with pytest.raises(
        ValueError, match=r"gold label 2 \(row 1\) is not among the classes"
    ):
        training_dynamics_statistics(proba, y, gold_labels=[0, 2, 0])


@pytest.mark.parametrize(
    "bad, match",
    [
        (np.ones((3, 2)), "n_epochs, n_samples, n_classes"),
        (np.full((2, 3, 2), 0.7), "sum"),
        (np.full((2, 3, 2), np.nan), "NaN|nan|finite"),
        (np.zeros((0, 3, 2)), "empty"),
    ],
)
def test_statistics_reject_bad_probabilities(bad, match):
    with pytest.raises(ValueError, match=match):
        training_dynamics_statistics(bad, Y_HAND)


def test_statistics_reject_mismatched_targets():
    with pytest.raises(ValueError, match="samples"):
        training_dynamics_statistics(_hand_proba(), [0, 1])


def test_streaming_accumulator_matches_full_with_missing_observations():
    rng = np.random.default_rng(3)
    n, k = 50, 3
    targets = rng.dirichlet(np.ones(k), size=n)
    gold = targets.argmax(1)
    full = DynamicsAccumulator(n, full=True)
    stream = DynamicsAccumulator(n, full=False)
    for _ in range(9):
        idx = rng.permutation(n)[: rng.integers(30, n + 1)]  # some rows unseen
        proba = rng.dirichlet(np.ones(k), size=idx.size)
        q = per_sample_quantities(proba, targets[idx], gold[idx])
        for acc in (full, stream):
            acc.begin_epoch()
            acc.update(idx, *q)
            acc.end_epoch()
    a, b = full.statistics(), stream.statistics()
    for key in a:
        np.testing.assert_allclose(a[key], b[key], atol=1e-12, rtol=0, err_msg=key)
    # a row seen in some epochs only: statistics over its observed epochs
    hist = full.history()
    j = int(np.argmax(np.isnan(hist["gold_proba"]).sum(0)))
    obs = hist["gold_proba"][:, j][~np.isnan(hist["gold_proba"][:, j])]
    np.testing.assert_allclose(a["confidence"][j], obs.mean())
    np.testing.assert_allclose(a["variability"][j], obs.std())
    assert a["n_epochs"][j] == obs.size


# ---------------------------------------------------------------------------
# human alignment
# ---------------------------------------------------------------------------
def test_human_alignment_summary_against_scipy_and_hand_bins():
    rng = np.random.default_rng(0)
    entropy = rng.uniform(0, 1, size=200)
    conf = 1 - entropy + rng.normal(scale=0.2, size=200)
    var = entropy * 0.3 + rng.normal(scale=0.05, size=200)
    stats = {"confidence": conf, "variability": var, "n_epochs": np.ones(200)}
    out = human_alignment_summary(stats, entropy, n_quantiles=4)
    np.testing.assert_allclose(out.spearman_confidence, spearmanr(conf, entropy)[0])
    np.testing.assert_allclose(out.spearman_variability, spearmanr(var, entropy)[0])
    assert out.spearman_confidence < -0.5 < 0.5 < out.spearman_variability
    order = np.argsort(entropy)
    for b in range(4):
        rows = order[b * 50 : (b + 1) * 50]
        np.testing.assert_allclose(
            out.quantile_means["confidence"][b], conf[rows].mean()
        )
    np.testing.assert_array_equal(out.quantile_counts, [50, 50, 50, 50])
    assert "n_epochs" not in out.quantile_means


def test_human_alignment_summary_merges_tied_edges_and_drops_nan():
    entropy = np.array([0.0] * 6 + [0.5, 0.6, 0.7, np.nan])
    conf = np.linspace(1, 0.1, 10)
    conf[0] = np.nan
    out = human_alignment_summary(
        {"confidence": conf, "variability": np.linspace(0, 0.3, 10)},
        entropy,
        n_quantiles=4,
    )
    assert out.n_samples == 8
    assert out.quantile_counts.sum() == 8
    assert out.quantile_edges[0] == 0.0 and len(out.quantile_edges) < 5
    with pytest.raises(ValueError, match="no 'variability'"):
        human_alignment_summary({"confidence": conf}, entropy)
    with pytest.raises(ValueError, match="values"):
        human_alignment_summary({"confidence": conf, "variability": conf}, entropy[:5])
    with pytest.raises(ValueError, match="n_quantiles"):
        human_alignment_summary(
            {"confidence": conf, "variability": conf}, entropy, n_quantiles=0
        )


# ---------------------------------------------------------------------------
# transformer
# ---------------------------------------------------------------------------
class _MLP(torch.nn.Module):
    def __init__(self, n_in=4, n_out=2, hidden=16):
        super().__init__()
        self.seq = torch.nn.Sequential(
            torch.nn.Linear(n_in, hidden),
            torch.nn.ReLU(),
            torch.nn.Linear(hidden, n_out),
        )

    def forward(self, X):
        return torch.softmax(self.seq(X), dim=-1)


def _net(**kw):
    params = dict(module=_MLP, max_epochs=6, lr=0.2, verbose=0, batch_size=32)
    params.update(kw)
    return NeuralNetClassifier(**params)


@pytest.fixture
def blobs():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(90, 4)).astype(np.float32)
    y = (X[:, 0] + 0.5 * rng.normal(size=90) > 0).astype(np.int64)
    return X, y


def test_transformer_with_plain_skorch_net_eval_mode(blobs):
    X, y = blobs
    torch.manual_seed(0)
    carto = CartographyTransformer(_net(), mode="eval", storage="full")
    Xt = carto.fit_transform(X, y)
    assert Xt.shape == (90, len(STATISTICS))
    np.testing.assert_array_equal(carto.get_feature_names_out(), STATISTICS)
    # every row recorded: internal validation split disabled
    assert carto.estimator_.train_split is None
    np.testing.assert_array_equal(carto.statistics_["n_epochs"], 6)
    hist = carto.training_dynamics_.history_
    np.testing.assert_allclose(Xt[:, 0], hist["gold_proba"].mean(0))
    np.testing.assert_allclose(Xt[:, 1], hist["gold_proba"].std(0))
    np.testing.assert_allclose(carto.confidence_, Xt[:, 0])
    np.testing.assert_allclose(carto.correctness_, Xt[:, 2])
    # the original estimator is untouched
    assert not hasattr(carto.estimator, "module_")
    assert not hasattr(carto, "transform")


def test_transformer_regions_follow_thresholds(blobs):
    X, y = blobs
    torch.manual_seed(0)
    carto = CartographyTransformer(
        _net(),
        mode="eval",
        regions="threshold",
        confidence_threshold=0.6,
        variability_threshold=0.05,
    ).fit(X, y)
    c, v, r = carto.confidence_, carto.variability_, carto.regions_
    assert (carto.confidence_threshold_, carto.variability_threshold_) == (0.6, 0.05)
    np.testing.assert_array_equal(r == "ambiguous", v >= 0.05)
    np.testing.assert_array_equal(r == "easy-to-learn", (v < 0.05) & (c >= 0.6))
    np.testing.assert_array_equal(r == "hard-to-learn", (v < 0.05) & (c < 0.6))


def test_transformer_pandas_output(blobs):
    pd = pytest.importorskip("pandas")
    X, y = blobs
    torch.manual_seed(0)
    carto = CartographyTransformer(_net(max_epochs=2), mode="eval").set_output(
        transform="pandas"
    )
    df = carto.fit_transform(pd.DataFrame(X, columns=list("abcd")), y)
    assert isinstance(df, pd.DataFrame)
    assert list(df.columns) == list(STATISTICS)
    np.testing.assert_array_equal(carto.feature_names_in_, list("abcd"))
    names = carto.get_feature_names_out(list("abcd"))
    np.testing.assert_array_equal(names, STATISTICS)
    with pytest.raises(ValueError, match="feature_names_in_"):
        carto.get_feature_names_out(list("wxyz"))
    with pytest.raises(ValueError, match="length"):
        carto.get_feature_names_out(["a"])
    summary = human_alignment_summary(df, np.linspace(0, 1, 90))
    assert np.isfinite(summary.spearman_confidence)


def test_transformer_errors(blobs):
    X, y = blobs
    from sklearn.linear_model import LogisticRegression

    with pytest.raises(TypeError, match="skorch NeuralNet"):
        CartographyTransformer(LogisticRegression()).fit(X, y)
    with pytest.raises(ValueError, match="requires y"):
        CartographyTransformer(_net()).fit(X, None)
    with pytest.raises(ValueError, match="mode"):
        CartographyTransformer(_net(), mode="bogus").fit(X, y)
    with pytest.raises(ValueError, match="confidence_threshold"):
        CartographyTransformer(_net(), confidence_threshold=1.5).fit(X, y)
    with pytest.raises(ValueError, match="variability_threshold"):
        CartographyTransformer(_net(), variability_threshold=-0.1).fit(X, y)
    with pytest.raises(ValueError, match="2 classes"):
        CartographyTransformer(_net(), mode="eval").fit(X, np.zeros(90, dtype=int))
    # a plain skorch net has no batch indices: the training-pass mode says so
    with pytest.raises(TypeError, match="mode='eval'"):
        CartographyTransformer(_net(), mode="train").fit(X, y)


def test_transformer_callbacks_disable_means_recorder_only(blobs):
    # callbacks="disable": no default callback runs, the recorder still does,
    # and training (hence every statistic) is the same as with the defaults
    X, y = blobs
    fitted = {}
    for callbacks in (None, "disable"):
        torch.manual_seed(0)
        carto = CartographyTransformer(_net(callbacks=callbacks), mode="eval")
        fitted[callbacks] = carto.fit(X, y)
    off = fitted["disable"]
    assert len(off.estimator_.callbacks_) == 1
    assert off.estimator_.callbacks_[0][1] is off.training_dynamics_
    assert len(off.estimator_.history[-1].get("train_loss", [])) == 0
    assert "train_loss" in fitted[None].estimator_.history[-1]
    for key in STATISTICS:
        np.testing.assert_array_equal(
            off.statistics_[key], fitted[None].statistics_[key], err_msg=key
        )


def _flipped_digits(seed=0, flip=0.1):
    from sklearn.datasets import load_digits
    from sklearn.preprocessing import StandardScaler

    X, y = load_digits(return_X_y=True)
    X = StandardScaler().fit_transform(X).astype(np.float32)
    rng = np.random.default_rng(seed)
    flipped = np.zeros(len(y), dtype=bool)
    flipped[rng.choice(len(y), size=int(flip * len(y)), replace=False)] = True
    y_noisy = y.copy()
    y_noisy[flipped] = (y[flipped] + rng.integers(1, 10, size=flipped.sum())) % 10
    return X, y_noisy, flipped


def _digits_estimator(kind, seed=0):
    # fixed thresholds: these nets learn the clean rows well within 0.5
    if kind == "soft-label classifier, training pass":
        from sksoft.classifier import SoftLabelClassifier

        clf = SoftLabelClassifier(
            hidden_layer_sizes=(64,), max_epochs=10, lr=3e-2, batch_size=64
        )
        return CartographyTransformer(
            clf, mode="train", regions="threshold", random_state=seed
        )
    torch.manual_seed(seed)
    net = _net(
        module=_MLP,
        module__n_in=64,
        module__n_out=10,
        module__hidden=64,
        max_epochs=12,
        lr=0.1,
        batch_size=64,
        optimizer=torch.optim.SGD,
        optimizer__momentum=0.9,
    )
    return CartographyTransformer(net, mode="eval", regions="threshold")


@pytest.mark.parametrize(
    "kind", ["soft-label classifier, training pass", "plain skorch net, eval pass"]
)
def test_flipped_digits_dominate_low_confidence_and_hard_region(kind):
    X, y_noisy, flipped = _flipped_digits()
    carto = _digits_estimator(kind).fit(X, y_noisy)
    conf = carto.confidence_
    decile = np.argsort(conf)[: len(conf) // 10]
    hard = carto.regions_ == "hard-to-learn"
    # 10% of rows are flipped; they must make up most of both groups
    # (measured: 0.88-0.97 of the decile, 0.86-0.98 of the region)
    assert flipped[decile].mean() > 0.75, flipped[decile].mean()
    assert hard.sum() >= 0.5 * flipped.sum()
    assert flipped[hard].mean() > 0.75, flipped[hard].mean()


def test_transformer_default_estimator_soft_targets_and_gold(small_X, soft_y):
    gold = (np.argmax(soft_y, axis=1) + 1) % 3  # a gold label unlike the mode
    kw = dict(random_state=0, storage="full")
    carto = CartographyTransformer(**kw)
    Xt = carto.fit_transform(small_X, soft_y, gold_labels=gold)
    from sksoft.classifier import SoftLabelClassifier

    assert isinstance(carto.estimator_, SoftLabelClassifier)
    assert carto.estimator_.train_split is None
    hist = carto.training_dynamics_.history_
    n_epochs = carto.estimator_.max_epochs
    assert hist["gold_proba"].shape == (n_epochs, 120)
    np.testing.assert_allclose(Xt[:, 0], hist["gold_proba"].mean(0))
    np.testing.assert_allclose(Xt[:, 3], carto.forgetfulness_)
    # refitting with the same seed reproduces the statistics, streaming too
    again = CartographyTransformer(random_state=0, storage="streaming")
    Xs = again.fit_transform(small_X, soft_y, gold_labels=gold)
    np.testing.assert_allclose(Xs, Xt, atol=1e-12)
    # measured against the mode instead, confidence differs
    Xm = CartographyTransformer(**kw).fit_transform(small_X, soft_y)
    assert not np.allclose(Xm[:, 0], Xt[:, 0])
    np.testing.assert_allclose(Xm[:, 4:], Xt[:, 4:], atol=1e-12)


@pytest.mark.parametrize("mode", ["train", "eval"])
def test_transformer_with_user_early_stopping_records_every_epoch(blobs, mode):
    from skorch.callbacks import EarlyStopping

    from sksoft.classifier import SoftLabelClassifier

    X, y = blobs
    # no epoch improves train_loss tenfold: stops after 3 of 30 epochs
    stop = EarlyStopping(monitor="train_loss", patience=2, threshold=10)
    net = SoftLabelClassifier(max_epochs=30, callbacks=[("stop", stop)])
    carto = CartographyTransformer(net, mode=mode, storage="full", random_state=0)
    carto.fit(X, y)
    assert len(carto.estimator_.history) == 3
    assert carto.training_dynamics_.n_epochs_ == 3
    np.testing.assert_array_equal(carto.statistics_["n_epochs"], 3)
    hist = carto.training_dynamics_.history_["gold_proba"]
    np.testing.assert_allclose(carto.confidence_, hist.mean(0))


class _TinyCNN(torch.nn.Module):
    uses_global_rng = False

    def __init__(self, n_classes=2):
        super().__init__()
        self.conv = torch.nn.Conv2d(1, 4, 3)
        self.head = torch.nn.Linear(4 * 4 * 4, n_classes)

    def forward(self, X):
        return self.head(torch.relu(self.conv(X)).flatten(1))


@pytest.mark.parametrize("mode", ["train", "eval"])
def test_transformer_on_images_with_a_cnn(mode):
    from sksoft.classifier import SoftLabelClassifier

    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 1, 6, 6)).astype(np.float32)
    y = (X[:, 0, :3].mean(axis=(1, 2)) > 0).astype(np.int64)
    net = SoftLabelClassifier(module=_TinyCNN, max_epochs=4, lr=0.01, batch_size=16)
    carto = CartographyTransformer(net, mode=mode, storage="full", random_state=0)
    Xt = carto.fit_transform(X, y)
    assert Xt.shape == (60, len(STATISTICS)) and np.isfinite(Xt[:, :3]).all()
    hist = carto.training_dynamics_.history_["gold_proba"]
    assert hist.shape == (4, 60)
    np.testing.assert_allclose(carto.confidence_, hist.mean(0))
    if mode == "eval":  # the last record is the fitted CNN's prediction
        final = carto.estimator_.predict_proba(X)[np.arange(60), y]
        np.testing.assert_allclose(hist[-1], final, atol=1e-6)


# ---------------------------------------------------------------------------
# display
# ---------------------------------------------------------------------------
@pytest.fixture
def pyplot():
    mpl = pytest.importorskip("matplotlib")
    mpl.use("Agg")
    import matplotlib.pyplot as plt

    yield plt
    plt.close("all")


def test_data_map_display_from_statistics(pyplot):
    rng = np.random.default_rng(0)
    n = 300
    stats = {
        "confidence": rng.uniform(size=n),
        "variability": rng.uniform(0, 0.4, size=n),
        "correctness": rng.uniform(size=n),
    }
    stats["confidence"][0] = np.nan
    disp = DataMapDisplay.from_statistics(stats, max_samples=100, random_state=1)
    assert disp.plotted_indices_.size == 100
    assert 0 not in disp.plotted_indices_
    offsets = disp.scatter_.get_offsets()
    np.testing.assert_allclose(
        offsets[:, 0], stats["variability"][disp.plotted_indices_]
    )
    np.testing.assert_allclose(
        offsets[:, 1], stats["confidence"][disp.plotted_indices_]
    )
    np.testing.assert_allclose(
        disp.scatter_.get_array(), stats["correctness"][disp.plotted_indices_]
    )
    assert disp.colorbar_.ax.get_ylabel() == "correctness"
    texts = {t.get_text() for t in disp.ax_.texts}
    assert texts == {"easy-to-learn", "ambiguous", "hard-to-learn"}

    fig, ax = pyplot.subplots()
    entropy = rng.uniform(size=n)
    disp2 = DataMapDisplay.from_statistics(
        stats,
        ax=ax,
        hue=entropy,
        hue_label="human entropy (simulated)",
        max_samples=None,
        show_regions=False,
    )
    assert disp2.ax_ is ax and disp2.figure_ is fig
    assert disp2.plotted_indices_.size == n - 1
    np.testing.assert_allclose(disp2.scatter_.get_array(), entropy[1:])
    assert disp2.ax_.texts == [] or len(disp2.ax_.texts) == 0
    with pytest.raises(ValueError, match="hue has"):
        DataMapDisplay.from_statistics(stats, hue=entropy[:5])
    with pytest.raises(ValueError, match="hue must be"):
        DataMapDisplay.from_statistics(stats, hue="bogus")


def test_data_map_display_guides_follow_the_regions(pyplot):
    # default: the rank cuts of CartographyTransformer's default regions (a
    # third of the samples ambiguous, a third hard-to-learn); "threshold": the
    # fixed guides
    rng = np.random.default_rng(3)
    n = 300
    stats = {"confidence": rng.uniform(size=n), "variability": rng.uniform(0, 0.4, n)}
    disp = DataMapDisplay.from_statistics(stats)
    var_desc = np.sort(stats["variability"])[::-1]
    assert disp.variability_threshold == pytest.approx(
        (var_desc[99] + var_desc[100]) / 2
    )
    ambiguous = stats["variability"] >= disp.variability_threshold
    rest = np.sort(stats["confidence"][~ambiguous])
    assert disp.confidence_threshold == pytest.approx((rest[99] + rest[100]) / 2)
    assert ambiguous.sum() == 100
    assert (stats["confidence"][~ambiguous] < disp.confidence_threshold).sum() == 100
    assert disp.ax_.lines[0].get_xdata()[0] == pytest.approx(disp.variability_threshold)
    tenth = DataMapDisplay.from_statistics(stats, region_fraction=0.1)
    assert (stats["variability"] >= tenth.variability_threshold).sum() == 30
    fixed = DataMapDisplay.from_statistics(
        stats, regions="threshold", variability_threshold=0.3
    )
    assert (fixed.confidence_threshold, fixed.variability_threshold) == (0.5, 0.3)
    with pytest.raises(ValueError, match="regions must be"):
        DataMapDisplay.from_statistics(stats, regions="rank")
    with pytest.raises(ValueError, match="region_fraction"):
        DataMapDisplay.from_statistics(stats, region_fraction=0.7)
    with pytest.raises(ValueError, match="differ in length"):
        DataMapDisplay.from_statistics(
            {"confidence": stats["confidence"], "variability": np.ones(3)}
        )


def test_data_map_display_from_estimator(pyplot, blobs):
    X, y = blobs
    torch.manual_seed(0)
    carto = CartographyTransformer(
        _net(max_epochs=3), mode="eval", regions="threshold", variability_threshold=0.1
    ).fit(X, y)
    disp = DataMapDisplay.from_estimator(carto)
    assert disp.variability_threshold == 0.1
    assert "NeuralNetClassifier" in disp.ax_.get_title()
    np.testing.assert_allclose(disp.scatter_.get_offsets()[:, 1], carto.confidence_)
    disp_cb = DataMapDisplay.from_estimator(carto.training_dynamics_)
    np.testing.assert_allclose(disp_cb.scatter_.get_offsets()[:, 1], carto.confidence_)
    with pytest.raises(TypeError, match="CartographyTransformer"):
        DataMapDisplay.from_estimator(object())


def test_quantile_regions_fit_the_run_on_flipped_digits():
    # issue 12 item 14: a default 20-epoch fit on digits with 10% flipped
    # labels; fixed thresholds left easy-to-learn (almost) empty and diluted
    # the flips in hard-to-learn, the default rank-based regions do not
    from sklearn.datasets import load_digits

    from sksoft.classifier import SoftLabelClassifier

    _, y_noisy, flipped = _flipped_digits()
    X = (load_digits().data / 16.0).astype(np.float32)  # pixels in [0, 1]
    base = flipped.mean()
    n = len(y_noisy)

    def fit(**kw):
        clf = SoftLabelClassifier(max_epochs=20)
        return CartographyTransformer(clf, random_state=0, **kw).fit(X, y_noisy)

    carto = fit()  # regions="quantile", region_fraction=1/3
    r, c, v = carto.regions_, carto.confidence_, carto.variability_
    m = round(n / 3)
    # the rank rule, by hand: top third variability, then the lowest third
    # confidence among the others
    amb = np.zeros(n, bool)
    amb[np.argsort(-v, kind="stable")[:m]] = True
    rest = np.flatnonzero(~amb)
    hard = np.zeros(n, bool)
    hard[rest[np.argsort(c[rest], kind="stable")[:m]]] = True
    np.testing.assert_array_equal(r == "ambiguous", amb)
    np.testing.assert_array_equal(r == "hard-to-learn", hard)
    np.testing.assert_array_equal(r == "easy-to-learn", ~amb & ~hard)
    # the cuts are thresholds the fixed rule reproduces
    assert np.all(v[amb] >= carto.variability_threshold_)
    assert np.all(v[~amb] < carto.variability_threshold_)
    assert np.all(c[hard] < carto.confidence_threshold_)
    # hard-to-learn holds (nearly) every flipped label: close to its ceiling
    # of 3x the base rate for a third of the samples
    enrichment = flipped[hard].mean() / base
    assert enrichment > 2.7, enrichment
    assert flipped[hard].sum() >= 0.9 * flipped.sum()
    # a region of about the noise rate concentrates them further
    small = fit(region_fraction=0.1)
    np.testing.assert_array_equal(small.confidence_, c)  # same fit
    hard_small = small.regions_ == "hard-to-learn"
    assert hard_small.sum() == round(0.1 * n)
    assert flipped[hard_small].mean() / base > 7
    # the fixed thresholds on the same fit: more dilute, easy nearly empty
    fixed = fit(regions="threshold")
    hard_fixed = fixed.regions_ == "hard-to-learn"
    assert flipped[hard_fixed].mean() / base < enrichment
    assert (fixed.regions_ == "easy-to-learn").sum() < 0.05 * n
