"""Overhead and memory of recording training dynamics (dataset cartography).

Run: ``python benchmarks/bench_cartography.py [--n 10000 100000] [--epochs 3]
[--repeats 3]``

A :class:`sksoft.SoftLabelClassifier` (its default MLP with 100 hidden units,
batch 128, Adam, no internal validation split, torch limited to one thread) is
fitted on ``n`` samples of ``--features`` Gaussian features (784 by default,
MNIST-sized, the library's testbed; ``--features 32`` gives a net so cheap that
it is the worst case for the relative overhead) with simulated soft targets
(Dirichlet rows around a linear teacher's label), once without a callback and
once with each recording set-up:

- ``train/streaming``: :class:`sksoft.callbacks.TrainingDynamics` in
  training-pass mode, O(n) running sums (the default of
  :class:`sksoft.CartographyTransformer`);
- ``train/full``: training-pass mode, full ``(epochs, n)`` history;
- ``eval/streaming``: one extra eval-mode forward pass per epoch.

Fits are interleaved (the order rotates between repeats) and each set-up keeps
its best of ``--repeats`` times; the overhead is ``t_setup / t_baseline - 1``
(targets: train <= 10 %, eval <= 40 %). Memory is the bytes held by the
recorder's arrays after the fit (targets, gold labels, per-epoch output buffer
and running sums / history), printed in total and per sample: O(n) means the
per-sample figure does not change with ``n`` (nor, for streaming, with the
number of epochs).
"""

import argparse
import time

import numpy as np
import torch

from sksoft.callbacks import TrainingDynamics
from sksoft.classifier import SoftLabelClassifier

SETUPS = {
    "baseline": None,
    "train/streaming": dict(mode="train", storage="streaming"),
    "train/full": dict(mode="train", storage="full"),
    "eval/streaming": dict(mode="eval", storage="streaming"),
}


def make_data(n, n_features=32, n_classes=10, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, n_features)).astype(np.float32)
    W = rng.normal(size=(n_features, n_classes))
    label = np.argmax(X @ W + rng.gumbel(size=(n, n_classes)), axis=1)
    alpha = np.full((n, n_classes), 0.3)
    alpha[np.arange(n), label] += 5.0
    soft = np.stack([rng.dirichlet(a) for a in alpha])  # simulated soft labels
    return X, soft


def fit_once(X, Y, epochs, setup):
    callbacks = []
    recorder = None
    if setup is not None:
        recorder = TrainingDynamics(**setup)
        callbacks = [("dynamics", recorder)]
    clf = SoftLabelClassifier(
        max_epochs=epochs,
        batch_size=128,
        lr=1e-3,
        hidden_layer_sizes=(100,),
        train_split=None,
        random_state=0,
        callbacks=callbacks,
    )
    start = time.perf_counter()
    clf.fit(X, Y)
    return time.perf_counter() - start, recorder


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--features", type=int, default=784)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    torch.set_num_threads(1)

    print(
        f"torch threads: {torch.get_num_threads()}, epochs: {args.epochs}, "
        f"best of {args.repeats}"
    )
    for n in args.n:
        X, Y = make_data(n, n_features=args.features)
        fit_once(X[:512], Y[:512], 1, None)  # warm-up
        best = dict.fromkeys(SETUPS, np.inf)
        nbytes = {}
        order = list(SETUPS)
        for r in range(args.repeats):
            for name in order[r % len(order) :] + order[: r % len(order)]:
                setup = SETUPS[name]
                seconds, recorder = fit_once(X, Y, args.epochs, setup)
                best[name] = min(best[name], seconds)
                if recorder is not None:
                    nbytes[name] = recorder._state_nbytes()
        print(f"\nn = {n:,}")
        print(
            f"  {'set-up':<16} {'fit [s]':>8} {'overhead':>9} {'target':>7} "
            f"{'state bytes':>12} {'bytes/sample':>13}"
        )
        base = best["baseline"]
        for name in SETUPS:
            overhead = best[name] / base - 1
            if name == "baseline":
                target, mem = "", ""
            else:
                limit = 0.10 if name.startswith("train") else 0.40
                verdict = "ok" if overhead <= limit else "OVER"
                target = f"{limit:.0%} {verdict}"
                mem = f"{nbytes[name]:>12,} {nbytes[name] / n:>13.1f}"
            print(
                f"  {name:<16} {best[name]:>8.3f} {overhead:>+9.1%} {target:>7} {mem}"
            )


if __name__ == "__main__":
    main()
