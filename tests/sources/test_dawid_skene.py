"""Dawid-Skene soft labels (sksoft.sources._dawid_skene)."""

import warnings

import numpy as np
import pytest

from sksoft.sources import annotations_to_counts, dawid_skene
from sksoft.utils._sklearn_compat import InvalidParameterError


def _simulated_table(n_items=80, k=3, n_annot=5, seed=0):
    rng = np.random.default_rng(seed)
    truth = rng.choice(
        k, size=n_items, p=[0.5, 0.3, 0.2][:k] / np.sum([0.5, 0.3, 0.2][:k])
    )
    rows = []
    for a in range(n_annot):
        acc = 0.5 + 0.06 * a
        conf = np.full((k, k), (1 - acc) / (k - 1))
        np.fill_diagonal(conf, acc)
        for i in range(n_items):
            if rng.random() < 0.75:
                rows.append(
                    (f"it{i:03d}", f"w{a}", int(rng.choice(k, p=conf[truth[i]])))
                )
    item, annot, label = map(np.array, zip(*rows))
    return item, annot, label, truth


def _naive_em(item, annot, label, n_iter):
    """Dawid-Skene EM written out with loops (an independent reference)."""
    items, annots, classes = sorted(set(item)), sorted(set(annot)), sorted(set(label))
    k = len(classes)
    T = {i: np.zeros(k) for i in items}
    for i, lab in zip(item, label):
        T[i][classes.index(lab)] += 1
    T = {i: v / v.sum() for i, v in T.items()}

    def m_step(T):
        prior = np.mean([T[i] for i in items], axis=0)
        conf = {a: np.zeros((k, k)) for a in annots}
        for i, a, lab in zip(item, annot, label):
            conf[a][:, classes.index(lab)] += T[i]
        for a in annots:
            conf[a] = np.maximum(conf[a], 1e-10)
            conf[a] /= conf[a].sum(axis=1, keepdims=True)
        return prior, conf

    prior, conf = m_step(T)
    for _ in range(n_iter):
        logp = {i: np.log(prior).copy() for i in items}
        for i, a, lab in zip(item, annot, label):
            logp[i] += np.log(conf[a][:, classes.index(lab)])
        T = {}
        for i in items:
            p = np.exp(logp[i] - logp[i].max())
            T[i] = p / p.sum()
        prior, conf = m_step(T)
    return np.array([T[i] for i in items]), prior, conf


def test_two_annotators_by_hand():
    # A: 0 0 1 1, B: 0 1 1 1 on items 0..3
    item = [0, 1, 2, 3, 0, 1, 2, 3]
    annot = ["A"] * 4 + ["B"] * 4
    label = [0, 0, 1, 1, 0, 1, 1, 1]
    res = dawid_skene(item=item, annotator=annot, label=label, max_iter=1)
    # initialisation: vote shares [1,0], [.5,.5], [0,1], [0,1]; priors [3/8, 5/8]
    # A's confusion (rows true class): c=0 -> answers (1.5, 0)/1.5, c=1 ->
    # (0.5, 2)/2.5; B's: c=0 -> (1, 0.5)/1.5, c=1 -> (0, 2.5)/2.5
    pA = np.array([[1.0, 1e-10 / 1.5], [0.2, 0.8]])
    pA[0] /= pA[0].sum()
    pB = np.array([[2 / 3, 1 / 3], [1e-10 / 2.5, 1.0]])
    pB[1] /= pB[1].sum()
    prior = np.array([3 / 8, 5 / 8])
    a_ans, b_ans = [0, 0, 1, 1], [0, 1, 1, 1]
    hand = np.array([prior * pA[:, a] * pB[:, b] for a, b in zip(a_ans, b_ans)])
    hand /= hand.sum(1, keepdims=True)
    np.testing.assert_allclose(res.proba, hand, rtol=1e-8)
    assert res.n_iter == 1 and not res.converged
    # item 1 (A says 0, B says 1): A answers 0 also for class 1 items, B
    # answers 1 almost only for class 1, so the posterior favours class 1
    assert res.proba[1, 1] > 0.5
    np.testing.assert_allclose(res.confusion.sum(axis=2), 1.0)
    assert res.annotator_ids.tolist() == ["A", "B"]


@pytest.mark.parametrize("n_iter", [1, 3, 25])
def test_equals_naive_em(n_iter):
    item, annot, label, _ = _simulated_table(n_items=30, n_annot=4)
    res = dawid_skene(item=item, annotator=annot, label=label, max_iter=n_iter, tol=0)
    proba, prior, conf = _naive_em(item, annot, label, n_iter)
    np.testing.assert_allclose(res.proba, proba, atol=1e-10)
    np.testing.assert_allclose(res.priors, prior, atol=1e-12)
    np.testing.assert_allclose(res.confusion, np.stack(list(conf.values())), atol=1e-10)


def test_recovers_truth_better_than_votes_and_converges():
    item, annot, label, truth = _simulated_table(n_items=300, n_annot=7, seed=1)
    res = dawid_skene(item=item, annotator=annot, label=label, tol=1e-10, max_iter=500)
    assert res.converged and res.n_iter < 500
    votes = annotations_to_counts(item=item, annotator=annot, label=label).counts
    acc_ds = np.mean(res.proba.argmax(1) == truth)
    acc_mv = np.mean(votes.argmax(1) == truth)
    assert acc_ds >= acc_mv
    # the fitted accuracies are close to the simulated ones (0.5 + 0.06 a)
    diag = np.einsum("akk->a", res.confusion) / 3
    np.testing.assert_allclose(diag, 0.5 + 0.06 * np.arange(7), atol=0.1)
    # EM never lowers the likelihood
    lls = [
        dawid_skene(
            item=item, annotator=annot, label=label, max_iter=m, tol=0
        ).log_likelihood
        for m in (1, 2, 5, 20)
    ]
    assert np.all(np.diff(lls) >= -1e-12)


def _crowdkit_proba(item, annot, label, n_iter, tol):
    pd = pytest.importorskip("pandas")
    aggregation = pytest.importorskip(
        "crowdkit.aggregation", reason="crowd-kit is not installed"
    )
    df = pd.DataFrame({"task": item, "worker": annot, "label": label})
    with warnings.catch_warnings():  # crowd-kit's pandas deprecations
        warnings.simplefilter("ignore")
        ds = aggregation.DawidSkene(n_iter=n_iter, tol=tol).fit(df)
    return ds.probas_


@pytest.mark.parametrize("n_iter", [1, 4])
def test_equals_crowdkit_per_iteration(n_iter):
    item, annot, label, _ = _simulated_table()
    ref = _crowdkit_proba(item, annot, label, n_iter, tol=-np.inf)
    res = dawid_skene(item=item, annotator=annot, label=label, max_iter=n_iter, tol=0)
    ref = ref.loc[res.item_ids, res.classes].to_numpy()
    np.testing.assert_allclose(res.proba, ref, atol=1e-7)


def test_equals_crowdkit_converged_and_two_annotators():
    item, annot, label, _ = _simulated_table(n_items=40, n_annot=4, seed=0)
    # run both to the fixed point (crowd-kit's stopping rule is on its ELBO,
    # ours on the likelihood, so stop neither early)
    ref = _crowdkit_proba(item, annot, label, 120, tol=-np.inf)
    res = dawid_skene(item=item, annotator=annot, label=label, max_iter=120, tol=0)
    assert res.converged
    np.testing.assert_allclose(
        res.proba, ref.loc[res.item_ids, res.classes].to_numpy(), atol=1e-6
    )
    item = [0, 1, 2, 3, 0, 1, 2, 3]
    annot = ["A"] * 4 + ["B"] * 4
    label = [0, 0, 1, 1, 0, 1, 1, 1]
    ref = _crowdkit_proba(item, annot, label, 1, tol=-np.inf)
    res = dawid_skene(item=item, annotator=annot, label=label, max_iter=1)
    np.testing.assert_allclose(res.proba, ref.loc[res.item_ids, res.classes], atol=1e-8)


def test_table_formats_and_bad_input():
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame(
        {
            "i": ["x", "x", "y", "y"],
            "a": [1, 2, 1, 2],
            "l": ["cat", "dog", "dog", "dog"],
        }
    )
    res = dawid_skene(
        df, item="i", annotator="a", label="l", classes=["cat", "dog", "fox"]
    )
    assert res.proba.shape == (2, 3) and res.classes.tolist() == ["cat", "dog", "fox"]
    res2 = dawid_skene(df, item="i", annotator="a", label="l", items=["y", "x"])
    np.testing.assert_allclose(
        res2.proba[::-1], dawid_skene(df, item="i", annotator="a", label="l").proba
    )
    with pytest.raises(ValueError, match="no answer"):
        dawid_skene(df, item="i", annotator="a", label="l", items=["x", "y", "z"])
    with pytest.raises(ValueError, match="no item column"):
        dawid_skene(df, item="nope", annotator="a", label="l")
    with pytest.raises(ValueError, match="empty"):
        dawid_skene(item=[], annotator=[], label=[])
    with pytest.raises(ValueError, match="differ in length"):
        dawid_skene(item=[1, 2], annotator=[1], label=[0, 1])
    with pytest.raises(ValueError, match="missing value"):
        dawid_skene(item=[1, 2], annotator=[1, None], label=[0, 1])
    with pytest.raises(ValueError):
        dawid_skene(item=[1, 2], annotator=[1, 2], label=[0, 5], classes=[0, 1])
    with pytest.raises(InvalidParameterError):
        dawid_skene(item=[1], annotator=[1], label=[0], max_iter=0)
    with pytest.raises(InvalidParameterError):
        dawid_skene(item=[1], annotator=[1], label=[0], tol=-1.0)
