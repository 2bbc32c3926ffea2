"""How the audit's default text model was chosen: validation on training rows only.

The audit's text model (:func:`sksoft.audit.default_text_estimator`) is a
TF-IDF vocabulary and a linear soft-label classifier. Its learning rate and
number of epochs were chosen here, on VADER, without looking at the audit's test
rows: the audit's own 70/30 split (``random_state=0``, stratified on gold) is
drawn, and only its 70% training part is split again (75% fit / 25%
validation). Each candidate is trained on the human soft labels (the
``human_soft`` arm) one epoch at a time (``partial_fit``) and scored on the
validation rows after every epoch: accuracy against gold and the soft
cross-entropy against the human labels. The rule: the learning rate with the
lowest validation cross-entropy reached within 5 to 15 epochs (at least 5 for
the training-dynamics statistics, at most 15 for the time target), and for it
the first epoch whose cross-entropy is within 0.001 of its minimum. Accuracy
is printed too (all three learning rates peak within 0.001 of each other on
this split).

    python benchmarks/select_text_defaults.py --data-home /work/shared/data
"""

import argparse
import time

import numpy as np
import torch
from sklearn.model_selection import train_test_split

from sksoft import SoftLabelClassifier
from sksoft.audit._estimators import text_vectorizer
from sksoft.datasets import fetch_vader_sentiment


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data-home", default=None)
    parser.add_argument("--max-epochs", type=int, default=30)
    parser.add_argument("--lrs", default="0.003,0.01,0.03")
    parser.add_argument("--batch-size", type=int, default=256)
    args = parser.parse_args()
    torch.set_num_threads(1)
    b = fetch_vader_sentiment(args.data_home)
    y, P = b.target, b.soft_target
    train, _ = train_test_split(
        np.arange(len(y)), test_size=0.3, stratify=y, random_state=0
    )
    fit, val = train_test_split(
        train, test_size=0.25, stratify=y[train], random_state=1
    )
    vec = text_vectorizer()
    A, V = vec.fit_transform(b.data[fit]), vec.transform(b.data[val])
    print(f"vocabulary {A.shape[1]}, fit rows {A.shape[0]}, validation rows {len(val)}")
    results = []
    for lr in [float(t) for t in args.lrs.split(",")]:
        clf = SoftLabelClassifier(
            hidden_layer_sizes=(),
            optimizer=torch.optim.Adam,
            lr=lr,
            batch_size=args.batch_size,
            max_epochs=1,
            train_split=None,
            verbose=0,
            random_state=0,
        )
        start = time.perf_counter()
        accs, ces = [], []
        for epoch in range(1, args.max_epochs + 1):
            clf.partial_fit(A, P[fit])
            proba = clf.predict_proba(V)
            acc = float((proba.argmax(1) == y[val]).mean())
            ce = float(-(P[val] * np.log(np.clip(proba, 1e-12, None))).sum(1).mean())
            accs.append(acc)
            ces.append(ce)
            print(f"lr={lr:g} epoch={epoch:2d} val_acc={acc:.4f} val_ce_human={ce:.4f}")
        window = ces[4:15]
        best_ce = min(window)
        epochs = next(i for i, c in enumerate(ces) if c <= min(ces) + 0.001) + 1
        results.append((best_ce, lr, epochs))
        print(
            f"lr={lr:g}: best val_acc {max(accs):.4f}; lowest val_ce_human in 5..15 "
            f"epochs {best_ce:.4f}; epochs within 0.001 of its minimum: {epochs} "
            f"({time.perf_counter() - start:.0f} s for {args.max_epochs} epochs)"
        )
    best_ce, lr, epochs = min(results)
    print(f"chosen: lr={lr:g}, max_epochs={epochs}")


if __name__ == "__main__":
    main()
