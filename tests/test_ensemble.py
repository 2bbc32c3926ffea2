"""Tests of the batched ensemble trainer (sksoft._ensemble)."""

import numpy as np
import pytest
import torch
from joblib import Parallel, delayed
from sklearn.base import clone
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

from sksoft import SoftLabelClassifier
from sksoft._ensemble import (
    ensemble_groups,
    ensemble_spec,
    fit_mlp_ensemble,
    fit_predict_ensemble,
    fit_predict_ensemble_rows,
)
from sksoft.callbacks import TrainingDynamics

N, D, K = 160, 6, 3
COMMON = dict(hidden_layer_sizes=(12,), lr=0.01, max_epochs=4, batch_size=32)


@pytest.fixture(scope="module")
def problem():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(N, D))
    logits = X[:, :K] * 2
    P = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    # six members' targets: soft, one-hot and smoothed variants
    Ys = []
    for m in range(6):
        alpha = 1.0 + 10 * P + m
        Ys.append(np.stack([rng.dirichlet(a) for a in alpha]))
    Ys[1] = np.eye(K)[np.argmax(P, axis=1)]
    X_test = rng.normal(size=(40, D))
    return X, Ys, X_test


def _plain(X, Y, X_test, seed, *, dtype, dropout=0.0, split=None, sw=None, **kw):
    clf = SoftLabelClassifier(
        **{**COMMON, **kw},
        train_split=split,
        random_state=seed,
        dtype=dtype,
        module__dropout=dropout,
        callbacks=[("dyn", TrainingDynamics(mode="train", storage="full"))],
    )
    clf.fit(X, Y, sample_weight=sw)
    return clf


# ---------------------------------------------------------------- equivalence


@pytest.mark.parametrize(
    "dropout, split, weighted, smoothing",
    [(0.0, None, False, 0.0), (0.3, 0.25, True, 0.1), (0.5, None, True, 0.0)],
)
def test_members_equal_plain_fits_in_float64(
    problem, dropout, split, weighted, smoothing
):
    # the same random draws as SoftLabelClassifier(random_state=seed): in
    # float64 the batched members are the plain fits up to rounding
    X, Ys, X_test = problem
    rng = np.random.default_rng(1)
    sws = [rng.uniform(0.2, 3.0, size=N) for _ in Ys] if weighted else None
    seeds = [3, 0, 7, 1, 5, 2]
    members = fit_mlp_ensemble(
        X,
        Ys,
        seeds,
        X_predict=X_test,
        sample_weight=sws,
        dropout=dropout,
        train_split=split,
        label_smoothing=smoothing,
        storage="full",
        dtype="float64",
        **COMMON,
    )
    for m, seed in enumerate(seeds):
        clf = _plain(
            X,
            Ys[m],
            X_test,
            seed,
            dtype="float64",
            dropout=dropout,
            split=split,
            sw=None if sws is None else sws[m],
            label_smoothing=smoothing,
        )
        got = members[m]
        np.testing.assert_allclose(got["proba"], clf.predict_proba(X_test), atol=1e-12)
        np.testing.assert_allclose(
            got["history"]["train_loss"], clf.history_[:, "train_loss"], rtol=1e-12
        )
        if split is None:
            assert "valid_loss" not in got["history"]
            assert got["valid_index"] is None
        else:
            np.testing.assert_allclose(
                got["history"]["valid_loss"], clf.history_[:, "valid_loss"], rtol=1e-12
            )
            assert got["valid_index"].size == int(np.ceil(split * N))
        rec = dict(clf.callbacks_)["dyn"]
        want = rec.get_statistics()
        for key in ("confidence", "variability", "correctness", "forgetfulness"):
            np.testing.assert_allclose(got["dynamics"][key], want[key], atol=1e-12)
        for key, hist in rec.history_.items():
            np.testing.assert_allclose(
                got["dynamics"]["history"][key], hist, atol=1e-12
            )


def test_initialisation_equals_plain_module(problem):
    X, Ys, _ = problem
    for seed in (0, 11):
        clf = SoftLabelClassifier(
            hidden_layer_sizes=(12, 5),
            max_epochs=0,
            train_split=None,
            random_state=seed,
        ).fit(X, Ys[0])
        # zero epochs: the ensemble's predictions are those of the initial weights
        X_t = torch.as_tensor(X, dtype=torch.float32)
        with torch.no_grad():
            want = torch.softmax(clf.module_(X_t).double(), dim=-1).numpy()
        got = fit_mlp_ensemble(
            X, [Ys[0]], [seed], X_predict=X, hidden_layer_sizes=(12, 5), max_epochs=0
        )[0]
        # same initial weights; the stacked (batched) matrix product may round
        # differently from the plain one on some CPUs (AMD EPYC: 2e-8)
        np.testing.assert_allclose(got["proba"], want, rtol=1e-6, atol=1e-7)
        assert got["dynamics"] is None


def test_float32_members_close_to_plain_float32_fits(problem):
    X, Ys, X_test = problem
    members = fit_mlp_ensemble(X, Ys[:3], [0, 1, 2], X_predict=X_test, **COMMON)
    for m in range(3):
        clf = _plain(X, Ys[m], X_test, m, dtype="float32")
        # same draws, float32 rounding of a differently ordered computation
        np.testing.assert_allclose(
            members[m]["proba"], clf.predict_proba(X_test), atol=1e-4
        )


def test_eval_mode_dynamics_equal_plain_callback(problem):
    X, Ys, _ = problem
    members = fit_mlp_ensemble(
        X, Ys[:2], [4, 5], dropout=0.3, dynamics="eval", dtype="float64", **COMMON
    )
    for m, seed in enumerate([4, 5]):
        clf = SoftLabelClassifier(
            **COMMON,
            train_split=None,
            random_state=seed,
            dtype="float64",
            module__dropout=0.3,
            callbacks=[("dyn", TrainingDynamics(mode="eval", storage="streaming"))],
        ).fit(X, Ys[m])
        want = dict(clf.callbacks_)["dyn"].get_statistics()
        for key in ("confidence", "variability", "correctness", "js_divergence"):
            np.testing.assert_allclose(
                members[m]["dynamics"][key], want[key], atol=1e-12
            )


@pytest.mark.parametrize(
    "storage, dynamics", [("streaming", "train"), ("full", "eval")]
)
def test_cartography_quantities_equal_the_full_record(problem, storage, dynamics):
    X, Ys, _ = problem
    kw = dict(storage=storage, dynamics=dynamics, dropout=0.3, **COMMON)
    every = fit_mlp_ensemble(X, Ys[:3], [0, 1, 2], **kw)
    light = fit_mlp_ensemble(X, Ys[:3], [0, 1, 2], quantities="cartography", **kw)
    skipped = {"target_confidence", "target_variability", "js_divergence"}
    for a, b in zip(every, light):
        assert set(b["dynamics"]) == set(a["dynamics"]) - skipped
        for key in set(b["dynamics"]) - {"history"}:
            np.testing.assert_array_equal(b["dynamics"][key], a["dynamics"][key])
        if storage == "full":
            assert set(b["dynamics"]["history"]) == {"gold_proba", "correct"}
            for key, hist in b["dynamics"]["history"].items():
                np.testing.assert_array_equal(hist, a["dynamics"]["history"][key])
        np.testing.assert_array_equal(
            b["history"]["train_loss"], a["history"]["train_loss"]
        )


def test_gold_labels_of_the_dynamics(problem):
    X, Ys, _ = problem
    gold = np.arange(N) % K
    got = fit_mlp_ensemble(X, Ys[:2], [0, 1], gold=gold, **COMMON)
    clf = SoftLabelClassifier(
        **COMMON,
        train_split=None,
        random_state=1,
        callbacks=[("dyn", TrainingDynamics(gold_labels=gold, storage="streaming"))],
    ).fit(X, Ys[1])
    want = dict(clf.callbacks_)["dyn"].get_statistics()
    np.testing.assert_allclose(
        got[1]["dynamics"]["confidence"], want["confidence"], atol=1e-5
    )
    np.testing.assert_array_equal(
        got[1]["dynamics"]["n_epochs"], np.full(N, COMMON["max_epochs"])
    )


# ---------------------------------------------------------------- grouping


def _runs(problem, n_runs):
    X, Ys, X_test = problem
    runs = [(Ys[i % len(Ys)], 100 + i) for i in range(n_runs)]
    return X, X_test, runs


def _fit_group(X, X_test, runs, **kw):
    return fit_mlp_ensemble(
        X,
        [Y for Y, _ in runs],
        [s for _, s in runs],
        X_predict=X_test,
        **{**COMMON, "max_epochs": 6, **kw},
    )


@pytest.mark.parametrize(
    "kw", [{}, {"dropout": 0.2, "train_split": 0.2}, {"dtype": "float64"}]
)
def test_results_do_not_depend_on_the_grouping(problem, kw):
    X, X_test, runs = _runs(problem, 20)
    solo = [_fit_group(X, X_test, [run], **kw)[0] for run in runs]
    rng = np.random.default_rng(0)
    order = rng.permutation(20)
    groupings = [
        [list(range(20))],  # one group of 20
        [list(order)],  # the same runs in another order
        [list(order[:7]), list(order[7:])],  # two uneven groups
        [list(range(i, 20, 3)) for i in range(3)],  # interleaved groups
    ]
    for groups in groupings:
        for group in groups:
            out = _fit_group(X, X_test, [runs[i] for i in group], **kw)
            for i, member in zip(group, out):
                ref = solo[i]
                assert np.abs(member["proba"] - ref["proba"]).max() <= 1e-6
                np.testing.assert_allclose(
                    member["history"]["train_loss"],
                    ref["history"]["train_loss"],
                    rtol=1e-6,
                )
                for key in ("confidence", "variability", "correctness"):
                    np.testing.assert_allclose(
                        member["dynamics"][key], ref["dynamics"][key], atol=1e-6
                    )


@pytest.mark.parametrize("indexed", [False, True])
@pytest.mark.parametrize(
    "kw",
    [
        {},
        {"dropout": 0.2, "train_split": 0.2, "dynamics": "eval"},
        {"dtype": "float64", "storage": "full"},
    ],
)
def test_members_with_inputs_of_their_own_equal_solo_fits(problem, kw, indexed):
    # X of shape (S, n, d): member m trains on X[member_inputs[m]] (default
    # X[m]) and predicts X_predict[member_inputs[m]], as a fit on its own 2-D
    # inputs would (the inner splits of a post-fit step)
    X, Ys, X_test = problem
    rng = np.random.default_rng(3)
    M, n = 4, 120
    inputs = [0, 1, 2, 0] if indexed else list(range(M))
    S = max(inputs) + 1
    rows = [rng.choice(N, size=n, replace=False) for _ in range(S)]
    X_own = np.stack([X[r] * (1 + j) for j, r in enumerate(rows)])
    X_pred = np.stack([X_test + j for j in range(S)])
    targets = [Ys[m][rows[j]] for m, j in enumerate(inputs)]
    seeds = [11, 12, 11, 13]
    extra = {"member_inputs": inputs} if indexed else {}
    group = _fit_group(X_own, X_pred, list(zip(targets, seeds)), **kw, **extra)
    for m, j in enumerate(inputs):
        solo = _fit_group(X_own[j], X_pred[j], [(targets[m], seeds[m])], **kw)[0]
        assert np.abs(group[m]["proba"] - solo["proba"]).max() <= 1e-6
        assert sorted(group[m]["history"]) == sorted(solo["history"])
        for key, curve in solo["history"].items():
            np.testing.assert_allclose(group[m]["history"][key], curve, rtol=1e-6)
        for key in ("confidence", "variability", "correctness"):
            np.testing.assert_allclose(
                group[m]["dynamics"][key], solo["dynamics"][key], atol=1e-6
            )
    # the inputs matter: members 0 and 2 share a seed, not their rows
    assert np.abs(group[0]["proba"] - group[2]["proba"]).max() > 1e-3


def _inner_fit(est, X, Y, rows, predict_rows, seed):
    # the audit's plain inner fit (sksoft.audit._worker._inner_fit_predict)
    run = clone(est).set_params(softlabelclassifier__random_state=seed)
    return run.fit(X[rows], Y).predict_proba(X[predict_rows])


@pytest.mark.parametrize("scaled", [True, False])
def test_fit_predict_ensemble_rows_equals_plain_inner_fits(problem, scaled):
    # members from three splits of equal training size and unequal test
    # sizes, each split's scaler (if any) fitted on its own rows
    X, Ys, _ = problem
    est = _audit_estimator(D, K, max_epochs=4)
    if not scaled:
        est = make_pipeline(est[-1])  # no preprocessor
    spec = ensemble_spec(est)
    assert (spec["preprocessor"] is None) is not scaled
    rng = np.random.default_rng(5)
    splits = []
    for size in (30, 31, 29):
        perm = rng.permutation(N)
        splits.append((perm[:120], perm[120 : 120 + size]))
    members = [(j, seed) for j in range(3) for seed in (0, 4)]
    out = fit_predict_ensemble_rows(
        spec,
        X,
        [splits[j][0] for j, _ in members],
        [splits[j][1] for j, _ in members],
        [Ys[j][splits[j][0]] for j, _ in members],
        [seed for _, seed in members],
    )
    for (j, seed), got in zip(members, out):
        tr, te = splits[j]
        want = _inner_fit(est, X, Ys[j][tr], tr, te, seed)
        assert got["proba"].shape == (len(te), K)
        assert np.abs(got["proba"] - want).max() <= 1e-6
        assert got["fit_time"] > 0
    with pytest.raises(ValueError, match="same number of training rows"):
        fit_predict_ensemble_rows(
            spec, X, [np.arange(10), np.arange(11)], [[0], [1]],
            [Ys[0][:10], Ys[0][:11]], [0, 1],
        )  # fmt: skip
    with pytest.raises(ValueError, match="at least one member"):
        fit_predict_ensemble_rows(spec, X, [], [], [], [])
    with pytest.raises(ValueError, match="one entry per member"):
        fit_predict_ensemble_rows(spec, X, [np.arange(10)], [[0]], [Ys[0][:10]], [0, 1])


def test_results_do_not_depend_on_n_jobs_or_backend(problem):
    X, X_test, runs = _runs(problem, 8)
    groups = [runs[:3], runs[3:5], runs[5:]]
    serial = [m["proba"] for g in groups for m in _fit_group(X, X_test, g)]
    for backend in ("loky", "threading"):
        with torch.random.fork_rng(devices=[]):
            out = Parallel(n_jobs=2, backend=backend)(
                delayed(_fit_group)(X, X_test, g) for g in groups
            )
        par = [m["proba"] for g in out for m in g]
        for a, b in zip(serial, par):
            assert np.abs(a - b).max() <= 1e-6


def test_global_torch_rng_untouched(problem):
    X, Ys, _ = problem
    state = torch.random.get_rng_state()
    fit_mlp_ensemble(X, Ys[:2], [0, 1], dropout=0.3, **COMMON)
    assert torch.equal(state, torch.random.get_rng_state())


# ---------------------------------------------------------------- optimizer


@pytest.mark.parametrize(
    "opt, params",
    [
        (torch.optim.Adam, {"weight_decay": 0.01}),
        (torch.optim.AdamW, {}),
        (torch.optim.SGD, {"momentum": 0.9}),
    ],
)
def test_stacked_optimizer_step_is_each_members_step(opt, params):
    # the premise of the stacked optimizer: stepping (M, ...) tensors equals
    # stepping every member's slice with its own optimizer
    gen = torch.Generator().manual_seed(0)
    M, shape = 5, (7, 3)
    stacked = torch.randn(M, *shape, generator=gen).requires_grad_()
    members = [stacked[m].detach().clone().requires_grad_() for m in range(M)]
    opt_stacked = opt([stacked], lr=0.05, **params)
    opt_members = [opt([p], lr=0.05, **params) for p in members]
    for _ in range(6):
        grad = torch.randn(M, *shape, generator=gen)
        stacked.grad = grad.clone()
        opt_stacked.step()
        for m, (p, o) in enumerate(zip(members, opt_members)):
            p.grad = grad[m].clone()
            o.step()
    for m in range(M):
        torch.testing.assert_close(
            stacked[m].detach(), members[m].detach(), rtol=0, atol=0
        )


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize(
    "kw",
    [{}, {"betas": (0.8, 0.99), "eps": 1e-6}, {"weight_decay": 0, "foreach": False}],
)
def test_plain_adam_equals_torch_adam_bit_for_bit(dtype, kw):
    from sksoft._engine._optim import _PlainAdam
    from sksoft._ensemble import _make_optimizer

    gen = torch.Generator().manual_seed(0)
    shapes = [(5, 7, 3), (5, 1, 3), (5, 3, 1)]
    start = [torch.randn(s, generator=gen, dtype=dtype) for s in shapes]
    ours = [p.clone().requires_grad_() for p in start]
    theirs = [p.clone().requires_grad_() for p in start]
    fast = _make_optimizer(torch.optim.Adam, ours, 0.01, kw)
    assert isinstance(fast, _PlainAdam)
    ref = torch.optim.Adam(theirs, lr=0.01, **kw)
    for _ in range(30):
        grads = [torch.randn(s, generator=gen, dtype=dtype) for s in shapes]
        for params, opt in ((ours, fast), (theirs, ref)):
            opt.zero_grad(set_to_none=True)
            for p, g in zip(params, grads):
                p.grad = g.clone()
            opt.step()
        for a, b in zip(ours, theirs):
            assert torch.equal(a, b)


@pytest.mark.parametrize(
    "kw", [{"weight_decay": 0.1}, {"amsgrad": True}, {"maximize": True}]
)
def test_other_adam_options_use_torch_adam(kw):
    from sksoft._ensemble import _make_optimizer

    params = [torch.zeros(3, requires_grad=True)]
    assert type(_make_optimizer(torch.optim.Adam, params, 0.01, kw)) is torch.optim.Adam
    assert (
        type(_make_optimizer(torch.optim.AdamW, params, 0.01, {})) is torch.optim.AdamW
    )


def test_sgd_members_equal_plain_fits(problem):
    X, Ys, X_test = problem
    params = {"momentum": 0.9}
    got = fit_mlp_ensemble(
        X,
        Ys[:2],
        [0, 1],
        X_predict=X_test,
        optimizer=torch.optim.SGD,
        optimizer_params=params,
        dtype="float64",
        **COMMON,
    )
    clf = SoftLabelClassifier(
        **COMMON,
        optimizer=torch.optim.SGD,
        optimizer__momentum=0.9,
        train_split=None,
        random_state=1,
        dtype="float64",
    ).fit(X, Ys[1])
    np.testing.assert_allclose(got[1]["proba"], clf.predict_proba(X_test), atol=1e-12)


# ---------------------------------------------------------------- validation


def test_outputs_shapes_and_probabilities(problem):
    X, Ys, X_test = problem
    out = fit_mlp_ensemble(X, Ys[:2], [0, 1], X_predict=X_test, batch_size=-1)
    assert len(out) == 2
    for member in out:
        assert member["proba"].shape == (len(X_test), K)
        assert member["proba"].dtype == np.float64
        np.testing.assert_allclose(member["proba"].sum(axis=1), 1.0)
        assert len(member["history"]["train_loss"]) == 50
        assert member["dynamics"]["confidence"].shape == (N,)
        assert member["fit_time"] > 0
    assert fit_mlp_ensemble(X, Ys[:1], [0], max_epochs=1)[0]["proba"] is None


@pytest.mark.parametrize(
    "change, match",
    [
        ({"X": "nan"}, "NaN or infinity"),
        ({"targets": "negative"}, "negative"),
        ({"targets": "shape"}, "expected"),
        ({"targets": "2d"}, "sequence of"),
        ({"targets": []}, "empty"),
        ({"seeds": [0]}, "one per member"),
        ({"seeds": [0, 1.5]}, "one per member"),
        ({"optimizer": torch.optim.LBFGS}, "element-wise"),
        ({"optimizer_params": {"fused": True}}, "fused"),
        ({"dynamics": "both"}, "dynamics"),
        ({"storage": "disk"}, "storage"),
        ({"quantities": "js"}, "quantities"),
        ({"dtype": "float16"}, "dtype"),
        ({"activation": "sigmoid"}, "activation"),
        ({"dropout": 1.0}, "dropout"),
        ({"train_split": 1.5}, "train_split"),
        ({"batch_size": 0}, "batch_size"),
        ({"hidden_layer_sizes": (0,)}, "hidden_layer_sizes"),
        ({"X_predict": np.zeros((2, D + 1))}, "features"),
        ({"X": np.zeros((3, N, D))}, "inputs for 3 members"),
        ({"X": np.zeros((2, 1, N, D))}, "must be 2-D"),
        ({"X_predict": np.zeros((3, 5, D))}, "rows for 3 members"),
        ({"member_inputs": [0, 0]}, "needs X of shape"),
        ({"X": np.zeros((2, N, D)), "member_inputs": [0, 2]}, "a matrix of X in"),
        ({"X": np.zeros((2, N, D)), "member_inputs": [0]}, "a matrix of X in"),
        (
            {
                "X": np.zeros((1, N, D)),
                "member_inputs": [0, 0],
                "X_predict": np.zeros((2, 5, D)),
            },
            "expected 1",
        ),
        ({"sample_weight": [np.ones(N), -np.ones(N)]}, "non-negative"),
        ({"gold": np.full(N, K)}, "column positions"),
    ],
)
def test_bad_input_raises_value_error(problem, change, match):
    X, Ys, _ = problem
    kwargs = {"X": X, "targets": Ys[:2], "seeds": [0, 1], "max_epochs": 1}
    for key, value in change.items():
        if isinstance(value, str) and value == "nan":
            value = X.copy()
            value[0, 0] = np.nan
        elif isinstance(value, str) and value == "negative":
            bad = Ys[0].copy()
            bad[0] = [1.5, -0.5, 0.0]
            value = [bad, Ys[1]]
        elif isinstance(value, str) and value == "shape":
            value = [Ys[0], Ys[1][:-1]]
        elif isinstance(value, str) and value == "2d":
            value = Ys[0]
        kwargs[key] = value
    with pytest.raises(ValueError, match=match):
        fit_mlp_ensemble(
            kwargs.pop("X"), kwargs.pop("targets"), kwargs.pop("seeds"), **kwargs
        )


# ---------------------------------------------------------------- audit entry


def _audit_estimator(n_features, n_classes, **params):
    from sksoft.audit import default_estimator

    est = default_estimator(np.zeros((2, n_features), np.float32), n_classes)
    return est.set_params(**{f"softlabelclassifier__{k}": v for k, v in params.items()})


def test_spec_of_the_audit_default_estimator():
    spec = ensemble_spec(_audit_estimator(D, K, max_epochs=7))
    assert [type(s).__name__ for _, s in spec["preprocessor"].steps] == [
        "StandardScaler"
    ]
    params = spec["params"]
    assert params["hidden_layer_sizes"] == (100,)
    assert params["max_epochs"] == 7 and params["batch_size"] == 64
    assert params["lr"] == 1e-3 and params["optimizer"] is torch.optim.Adam
    assert params["train_split"] is None and params["dtype"] == "float32"
    tuned = SoftLabelClassifier(
        module__dropout=0.2, optimizer__weight_decay=0.1, train_split=0.3
    )
    params = ensemble_spec(tuned)["params"]
    assert spec_subset(params) == (0.2, {"weight_decay": 0.1}, 0.3)
    assert ensemble_spec(tuned)["preprocessor"] is None


def spec_subset(params):
    return params["dropout"], params["optimizer_params"], params["train_split"]


@pytest.mark.parametrize(
    "make",
    [
        lambda: SoftLabelClassifier(module=torch.nn.Linear, module__in_features=D),
        lambda: SoftLabelClassifier(callbacks=[TrainingDynamics()]),
        lambda: SoftLabelClassifier(optimizer=torch.optim.LBFGS),
        lambda: SoftLabelClassifier(optimizer__fused=True),
        lambda: SoftLabelClassifier(iterator_train__drop_last=True),
        lambda: SoftLabelClassifier(criterion__label_smoothing=0.1),
        lambda: SoftLabelClassifier(train_split=lambda ds, y: (ds, None)),
        lambda: SoftLabelClassifier(warm_start=True),
        lambda: SoftLabelClassifier(classes=np.array([2, 5, 7])),
        lambda: SoftLabelClassifier(predict_nonlinearity=None),
        lambda: make_pipeline(PCA(2), SoftLabelClassifier()),
        lambda: LogisticRegression(),
    ],
)
def test_spec_refuses_what_it_cannot_batch(make):
    assert ensemble_spec(make()) is None


def test_fit_predict_ensemble_equals_the_audit_run(problem):
    # the audit's run: clone, random_state=seed, streaming dynamics recorder
    X, Ys, X_test = problem
    est = _audit_estimator(D, K, max_epochs=5, dtype="float64")
    spec = ensemble_spec(est)
    gold = np.argmax(Ys[0], axis=1)
    seeds = [2, 9]
    out = fit_predict_ensemble(spec, X, X_test, Ys[:2], seeds, gold=gold)
    for m, seed in enumerate(seeds):
        run = clone(est).set_params(
            softlabelclassifier__random_state=seed,
            softlabelclassifier__callbacks=[
                ("d", TrainingDynamics(storage="streaming", gold_labels=gold))
            ],
        )
        run.fit(X, Ys[m])
        np.testing.assert_allclose(
            out[m]["proba"], run.predict_proba(X_test), atol=1e-12
        )
        net = run[-1]
        np.testing.assert_allclose(
            out[m]["history"]["train_loss"], net.history_[:, "train_loss"], rtol=1e-12
        )
        want = dict(net.callbacks_)["d"].get_statistics()
        assert sorted(out[m]["dynamics"]) == [
            "confidence",
            "correctness",
            "variability",
        ]
        for key, value in out[m]["dynamics"].items():
            np.testing.assert_allclose(value, want[key], atol=1e-12)
        assert out[m]["fit_time"] > 0
    assert (
        fit_predict_ensemble(spec, X, X_test, Ys[:1], [0], dynamics=False)[0][
            "dynamics"
        ]
        is None
    )


def test_groups_are_balanced_and_keep_the_order():
    for n in (1, 7, 8, 9, 30, 60, 120):
        keys = [("arm", i) for i in range(n)]
        groups = ensemble_groups(keys)
        assert [k for g in groups for k in g] == keys
        sizes = [len(g) for g in groups]
        assert max(sizes) <= 16 and max(sizes) - min(sizes) <= 1
        fewest = -(-n // 16)
        assert len(groups) == (fewest + fewest % 2 if 1 < fewest < n else fewest)
    assert [len(g) for g in ensemble_groups(range(10), max_members=3)] == [3, 3, 2, 2]
    # an odd number of groups becomes even (two workers, equal shares)
    assert [len(g) for g in ensemble_groups(range(9), max_members=4)] == [3, 2, 2, 2]
    assert [len(g) for g in ensemble_groups(range(70))] == [12] * 4 + [11] * 2
    assert [len(g) for g in ensemble_groups(range(16))] == [16]
    # never an empty group
    assert [len(g) for g in ensemble_groups(range(3), max_members=1)] == [1, 1, 1]
    for n in range(1, 40):
        for m in (1, 2, 3, 5, 16):
            assert all(ensemble_groups(range(n), max_members=m))
    assert ensemble_groups([]) == []
    with pytest.raises(ValueError, match="max_members"):
        ensemble_groups(range(3), max_members=0)
