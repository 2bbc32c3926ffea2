"""Fit speed of SoftLabelClassifier against a hand-written loop and skorch.

Setting (issue 2, item 7): sklearn's digits scaled to [0, 1], an MLP
64-128-10 with ReLU, SGD with lr 0.1, batch size 64, 20 epochs, no validation
split, no printing, one torch thread. The reference is a plain PyTorch loop that
shuffles with ``randperm`` and slices tensors. skorch's ``NeuralNetClassifier``
is fitted on the hard labels with the same module and settings (its default
``DataLoader``, shuffled as ``iterator_train__shuffle=True``).

Every contender is fitted once to warm up, then the three are timed in turn,
``--repeats`` rounds (after a ``gc.collect()``); the medians of the wall time and
of the CPU time (steadier on a busy machine) and their ratios are printed::

    python benchmarks/bench_fit.py [--repeats 7]

Goals: SoftLabelClassifier <= 1.3x the loop, and >= 1.8x faster than skorch.
"""

import argparse
import gc
import statistics
import time

import numpy as np
import torch
from sklearn.datasets import load_digits
from skorch import NeuralNetClassifier
from torch import nn

from sksoft import SoftLabelClassifier

EPOCHS, BATCH, LR, HIDDEN = 20, 64, 0.1, 128


class MLP(nn.Module):
    """64-128-10 ReLU MLP returning logits (the same module for all three)."""

    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(64, HIDDEN), nn.ReLU(), nn.Linear(HIDDEN, 10)
        )

    def forward(self, X):
        return self.net(X)


def torch_loop(X, y):
    """The reference: randperm + tensor slicing, soft cross-entropy."""
    Xt = torch.from_numpy(X)
    yt = torch.from_numpy(y)
    model = MLP()
    opt = torch.optim.SGD(model.parameters(), lr=LR)
    n = len(Xt)
    for _ in range(EPOCHS):
        perm = torch.randperm(n)
        for start in range(0, n, BATCH):
            idx = perm[start : start + BATCH]
            opt.zero_grad()
            loss = nn.functional.cross_entropy(model(Xt[idx]), yt[idx])
            loss.backward()
            opt.step()
    return model


def sksoft_fit(X, y):
    return SoftLabelClassifier(
        MLP,
        optimizer=torch.optim.SGD,
        lr=LR,
        batch_size=BATCH,
        max_epochs=EPOCHS,
        train_split=None,
        verbose=0,
    ).fit(X, y)


def skorch_fit(X, y_hard):
    return NeuralNetClassifier(
        MLP,
        criterion=nn.CrossEntropyLoss,
        optimizer=torch.optim.SGD,
        lr=LR,
        batch_size=BATCH,
        max_epochs=EPOCHS,
        train_split=None,
        iterator_train__shuffle=True,
        verbose=0,
    ).fit(X, y_hard)


def median_times(contenders, repeats):
    """Median wall and CPU times of each ``(fn, args)``, interleaved, after a warm-up.

    The CPU time (``time.process_time``) of a one-thread fit is much less
    sensitive than the wall time to other processes competing for the cores.
    """
    for fn, args in contenders:
        fn(*args)  # warm-up
    wall = [[] for _ in contenders]
    cpu = [[] for _ in contenders]
    for _ in range(repeats):
        for k, (fn, args) in enumerate(contenders):
            gc.collect()  # no collection of the previous contender's garbage
            start, start_cpu = time.perf_counter(), time.process_time()
            fn(*args)
            wall[k].append(time.perf_counter() - start)
            cpu[k].append(time.process_time() - start_cpu)
    return [statistics.median(t) for t in wall], [statistics.median(t) for t in cpu]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args(argv)

    torch.set_num_threads(1)
    torch.manual_seed(0)
    digits = load_digits()
    X = (digits.data / 16.0).astype(np.float32)
    y_hard = digits.target.astype(np.int64)
    y_soft = np.eye(10, dtype=np.float32)[y_hard]

    wall, cpu = median_times(
        [
            (torch_loop, (X, y_soft)),
            (sksoft_fit, (X, y_soft)),
            (skorch_fit, (X, y_hard)),
        ],
        repeats=args.repeats,
    )
    print(
        f"digits {X.shape}, {EPOCHS} epochs, batch {BATCH}, 1 thread, "
        f"median of {args.repeats} interleaved runs"
    )
    print(f"{'':24} {'wall ms':>9} {'cpu ms':>9}")
    names = ["torch loop", "SoftLabelClassifier.fit", "skorch NeuralNetClassifier"]
    for name, w, c in zip(names, wall, cpu):
        print(f"{name:<26} {w * 1e3:7.1f} {c * 1e3:9.1f}")
    for label, (loop, ours, sk) in (("wall", wall), ("cpu", cpu)):
        print(
            f"[{label:>4}] SoftLabelClassifier / loop = {ours / loop:5.2f} "
            f"(goal <= 1.30); skorch / SoftLabelClassifier = {sk / ours:5.2f} "
            f"(goal >= 1.80); skorch / loop = {sk / loop:5.2f}"
        )


if __name__ == "__main__":
    main()
