"""
======================================================================
Evaluating given predictions: Baan et al. (2022) on ChaosNLI-SNLI
======================================================================

Many models are trained elsewhere (a fine-tuned transformer on a GPU) and only
their predicted probabilities reach the evaluation. This example evaluates such
predictions with :func:`sksoft.evaluate_predictions`: the RoBERTa-base
predictions (3 seeds) that Baan, Aziz, Plank and Fernandez published with
"Stop Measuring Calibration When Humans Disagree" (EMNLP 2022), measured
against the 100 human votes per item of ChaosNLI-SNLI (Nie, Zhou and Bansal,
EMNLP 2020).

With the published tie conventions (``ties="baan2022"``), 10 ECE bins and
their temperature of 2, the numbers are those of the paper's Table 1. The
evaluation adds what the table leaves out: the hard samples (where humans
disagree most) next to all samples, bootstrap intervals over items, paired
differences between the raw and the temperature-scaled model, and reliability
diagrams.

The predictions are real model outputs, read from the shared test-data folder
(``SKSOFT_TEST_DATA``, by default ``../shared/data`` beside the repository);
they are not downloadable by a loader. When the folder is missing the example
runs on a **simulated** stand-in of the same shape instead, and says so.
"""

# %%
# Human votes and model predictions, joined on uid
# ------------------------------------------------
# ChaosNLI lists the votes as ``[entailment, neutral, contradiction]``; the
# predictions list their classes as ``[entailment, contradiction, neutral]``,
# so their columns are reordered. The ChaosNLI-SNLI items are found among the
# SNLI dev and test predictions together.
import gzip
import json
import os
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from sksoft import evaluate_predictions
from sksoft.metrics import ReliabilityDisplay

CLASSES = ["entailment", "neutral", "contradiction"]


def find_data():
    if "SKSOFT_TEST_DATA" in os.environ:
        return Path(os.environ["SKSOFT_TEST_DATA"]) / "chaosnli"
    here = globals().get("__file__")
    base = Path(here).resolve().parents[1] if here else Path.cwd()
    return base.parent / "shared" / "data" / "chaosnli"


def read_chaosnli_snli(path):
    with open(path / "chaosNLI_snli.jsonl", encoding="utf-8") as fh:
        items = [json.loads(line) for line in fh if line.strip()]
    seeds = []
    for seed in range(3):
        probs = {}
        for split in ("dev", "test"):
            name = (
                path
                / "predictions-baan2022"
                / f"SNLI_{split}_roberta-base_{seed}.json.gz"
            )
            with gzip.open(name, "rt", encoding="utf-8") as fh:
                for line in fh:
                    if line.strip():
                        rec = json.loads(line)
                        probs[rec["uid"]] = rec["probs"]
        seeds.append(np.array([probs[it["uid"]] for it in items])[:, [0, 2, 1]])
    return np.array([it["label_count"] for it in items]), seeds


def simulated_stand_in(n=1514, random_state=0):
    """100 simulated votes per item and three over-confident simulated models."""
    rng = np.random.default_rng(random_state)
    z = rng.normal(0.0, 1.4, size=(n, 3))
    truth = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    counts = np.stack([rng.multinomial(100, t) for t in truth])
    seeds = []
    for _ in range(3):
        logits = 3.0 * (z + rng.normal(0.0, 0.8, size=z.shape))
        e = np.exp(logits - logits.max(axis=1, keepdims=True))
        seeds.append(e / e.sum(axis=1, keepdims=True))
    return counts, seeds


data = find_data()
REAL = (data / "chaosNLI_snli.jsonl").exists() and (
    data / "predictions-baan2022" / "SNLI_dev_roberta-base_0.json.gz"
).exists()
if REAL:
    counts, seeds = read_chaosnli_snli(data)
    source = "RoBERTa-base predictions of Baan et al. (2022), ChaosNLI-SNLI votes"
else:
    counts, seeds = simulated_stand_in()
    source = "SIMULATED stand-in (the shared data folder was not found)"
print(f"{source}: {counts.shape[0]} items, {counts.sum(axis=1)[0]} votes each")

# %%
# Evaluate: the published conventions, a temperature of 2
# -------------------------------------------------------
# ``temperature=2`` adds the temperature-scaled variant ``"RoBERTa (T=2)"``
# of the model (``softmax(logits / 2)``). ``n_bootstrap`` resamples of the
# items give the intervals; they are paired, the same items for both variants.
result = evaluate_predictions(
    {"RoBERTa": seeds},
    counts=counts,
    classes=CLASSES,
    n_bins=10,
    ties="baan2022",
    temperature=2,
    n_bootstrap=300,
    random_state=0,
)
print(f"hard samples: {result.hard_share:.1%} of the items (20% asked)")

# %%
# Table 1, per seed
# -----------------
# The columns of Baan et al.'s Table 1 under sksoft's names: ``Acc`` is the
# top-1 agreement with the human majority, ``ECE`` is against the human
# majority label (``ece_vs_human_mode``), the others against the human
# distribution. The published values are the output of the repository's
# ``analysis.ipynb`` (``jsbaan/calibration-on-disagreement-data``).
TABLE1 = {
    "top1_agreement_vs_human": "Acc",
    "ece_vs_human_mode": "ECE",
    "ranking_calibration_vs_human": "RankCS",
    "entropy_calibration_error_vs_human": "EntCE",
    "distribution_calibration_error_vs_human": "DistCE",
}
PUBLISHED = {
    ("RoBERTa", "seed0"): (0.740, 0.147, 0.625, 0.310, 0.259),
    ("RoBERTa", "seed1"): (0.736, 0.119, 0.596, 0.273, 0.249),
    ("RoBERTa", "seed2"): (0.752, 0.141, 0.627, 0.314, 0.261),
    ("RoBERTa (T=2)", "seed0"): (0.740, 0.036, 0.625, 0.208, 0.217),
    ("RoBERTa (T=2)", "seed1"): (0.736, 0.030, 0.596, 0.236, 0.222),
    ("RoBERTa (T=2)", "seed2"): (0.752, 0.020, 0.627, 0.198, 0.214),
}
frame = result.to_frame()
table = frame[(frame.subset == "all") & frame.metric.isin(list(TABLE1))].pivot_table(
    index=["model", "seed"], columns="metric", values="value", sort=False
)[list(TABLE1)]
table.columns = list(TABLE1.values())
print(table.round(3).to_string())
if REAL:
    per_seed = table.drop(index="pooled", level="seed").round(3)
    match = all(tuple(row) == PUBLISHED[key] for key, row in per_seed.iterrows())
    print("equals the published Table 1 to 3 decimals:", match)

# %%
# The tie convention matters
# --------------------------
# The published RankCS orders classes the humans tie by column index; sksoft's
# default lets the model rank tied classes either way. Temperature scaling
# never changes a ranking, so both variants have the same RankCS.
default = evaluate_predictions({"RoBERTa": seeds}, counts=counts, n_bootstrap=0)
for ties, res in (("baan2022", result), ("sksoft", default)):
    rank = res.score("RoBERTa", "ranking_calibration_vs_human")
    top1 = res.score("RoBERTa", "top1_agreement_vs_human")
    print(f"ties={ties!r}: RankCS = {rank:.3f}, top-1 agreement = {top1:.3f}")

# %%
# Hard samples and paired differences
# -----------------------------------
# How much of each error does the temperature repair, on all samples and on
# the hard ones? Baan et al. found that it repairs the ECE far more than the
# distance to the human distribution. The intervals of the differences are
# paired: both variants are measured on the same resampled items.
diffs = result.to_frame("differences")
keep = ["ece_vs_human_mode", "distribution_calibration_error_vs_human", "kl_vs_human"]
show = diffs[diffs.metric.isin(keep)][
    ["subset", "metric", "difference", "ci_low", "ci_high"]
]
print("RoBERTa (T=2) - RoBERTa, pooled over seeds, 95% bootstrap interval:")
print(show.round(3).to_string(index=False))
for metric in ("ece_vs_human_mode", "distribution_calibration_error_vs_human"):
    for sub in ("all", "hard"):
        raw = result.score("RoBERTa", metric, subset=sub)
        scaled = result.score("RoBERTa (T=2)", metric, subset=sub)
        share = 1 - scaled / raw
        print(f"{metric}, {sub}: {raw:.3f} -> {scaled:.3f} ({share:.0%} repaired)")

# %%
# Reliability diagrams, all vs hard samples
# -----------------------------------------
# Against the human soft labels: a bin's accuracy is the share of annotators
# who chose the predicted class. Seed 0, raw (top) and with T=2 (bottom).
fig, axes = plt.subplots(2, 2, figsize=(10, 8), sharex=True, sharey=True)
human = counts / counts.sum(axis=1, keepdims=True)
for row, name in zip(axes, ["RoBERTa", "RoBERTa (T=2)"]):
    ReliabilityDisplay.from_predictions(
        human,
        result.probabilities[name][0],
        mask=result.hard_mask,
        n_bins=10,
        name=name,
        ax=row,
    )
fig.suptitle(f"{source}\nreference: human soft labels", fontsize=10)
fig.tight_layout()
plt.show()
