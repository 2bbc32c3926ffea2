"""Quickstart: fit SoftLabelClassifier on soft labels and print its scores.

sklearn's handwritten digits get a **simulated** annotator panel: each image
is labelled by 10 simulated annotators who pick the gold digit with a
per-image probability (some images are hard) and otherwise a digit that the
gold digit is often confused with. The vote shares are the soft labels.

The same network is trained twice, on the soft labels and on the hard
majority vote, and scored on held-out images against the gold labels and
against the (simulated) human label distribution. Run it with::

    python examples/quickstart.py
"""

import numpy as np
import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sksoft import SoftLabelClassifier, counts_to_proba, hard_labels
from sksoft.metrics import (
    expected_calibration_error,
    hard_sample_calibration_error,
    soft_log_loss,
)
from sksoft.sources import simulate_multinomial_panel


def simulate_votes(y, n_annotators=10, n_classes=10, seed=0):
    """Vote counts of a simulated panel (not real annotations).

    Each image's vote probabilities mix its gold digit with the digits it is
    often confused with; :func:`sksoft.sources.simulate_multinomial_panel`
    draws the votes.
    """
    rng = np.random.default_rng(seed)
    # every digit is confused with two others, e.g. 3 with 5 and 8
    confusion = np.full((n_classes, n_classes), 0.02)
    for k in range(n_classes):
        others = rng.choice(np.delete(np.arange(n_classes), k), 2, replace=False)
        confusion[k, others] = 0.45
        confusion[k, k] = 0.0
    confusion /= confusion.sum(axis=1, keepdims=True)
    difficulty = rng.beta(0.6, 2.0, size=len(y))[:, None]  # most easy, some hard
    proba = (1 - difficulty) * np.eye(n_classes)[y] + difficulty * confusion[y]
    return simulate_multinomial_panel(proba, n_annotators, random_state=seed)


def main():
    torch.set_num_threads(1)  # small network: one thread is fastest
    digits = load_digits()
    X, gold = digits.data, digits.target
    counts = simulate_votes(gold)
    soft = counts_to_proba(counts)
    X_tr, X_te, soft_tr, soft_te, gold_tr, gold_te = train_test_split(
        X, soft, gold, test_size=0.3, random_state=0, stratify=gold
    )
    majority_tr = hard_labels(soft_tr)  # ties go to the first class
    print(
        f"digits: {len(X_tr)} training / {len(X_te)} test images, 10 simulated "
        f"votes each; majority vote = gold on "
        f"{np.mean(hard_labels(soft) == gold):.1%} of the images"
    )

    params = dict(max_epochs=40, lr=2e-3, batch_size=64, random_state=0)
    arms = {"soft labels": soft_tr, "majority vote": majority_tr}
    print(
        f"\n{'trained on':<14} {'acc(gold)':>9} {'acc(human)':>10} "
        f"{'soft NLL':>9} {'ECE':>7} {'ECE(hard 20%)':>13}"
    )
    for name, y_train in arms.items():
        model = make_pipeline(StandardScaler(), SoftLabelClassifier(**params))
        model.fit(X_tr, y_train)
        proba = model.predict_proba(X_te)
        acc_gold = np.mean(model.predict(X_te) == gold_te)
        acc_human = model.score(X_te, soft_te)  # accuracy vs target argmax
        nll = soft_log_loss(soft_te, proba)
        ece = expected_calibration_error(soft_te, proba)
        hard_ece = hard_sample_calibration_error(soft_te, proba, soft_target=soft_te)
        print(
            f"{name:<14} {acc_gold:9.3f} {acc_human:10.3f} {nll:9.3f} "
            f"{ece:7.3f} {hard_ece:13.3f}"
        )
    print(
        "\nacc(human): accuracy against the majority of the simulated votes; "
        "soft NLL and ECE are measured against the simulated vote shares."
    )


if __name__ == "__main__":
    main()
