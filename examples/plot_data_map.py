"""
=====================================================
Data map of a soft-label model, coloured by entropy
=====================================================

Dataset cartography (Swayamdipta et al., 2020) places every training sample
on a *data map*: the model's mean probability of the sample's gold label
across the epochs (**confidence**, y axis) against its standard deviation
(**variability**, x axis). Easy-to-learn samples sit top left, hard-to-learn
ones bottom left and ambiguous ones to the right.

Here a :class:`sksoft.SoftLabelClassifier` is trained on soft labels while a
:class:`sksoft.CartographyTransformer` records its training dynamics from the
training forward pass. The points are coloured by the entropy of each
sample's label distribution, to see whether the samples the annotators
disagree about are the ones the model finds ambiguous.

The data are :func:`sksoft.datasets.make_ambiguous_digits`: scikit-learn's
handwritten digits, some of them blends of two digits. **The annotator votes
are simulated** by a panel of noisy observers, not collected from people, so
every "human" quantity below is simulated.
"""

# %%
# Data: digits with simulated annotator votes
# --------------------------------------------
# ``counts`` holds six simulated votes per image; ``soft_target`` their
# proportions; ``target`` is the gold label (the dominant digit of a blend).
import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np

from sksoft import CartographyTransformer, DataMapDisplay, SoftLabelClassifier
from sksoft.cartography import human_alignment_summary
from sksoft.datasets import make_ambiguous_digits
from sksoft.targets import target_entropy

digits = make_ambiguous_digits(n_samples=1200, random_state=0)
X = (digits.data / 16.0).astype(np.float32)
entropy = target_entropy(digits.counts, counts=True)  # of SIMULATED votes
print(f"{X.shape[0]} images, {np.mean(entropy > 0):.0%} with split (simulated) votes")

# %%
# Record the training dynamics
# ----------------------------
# ``fit_transform`` trains a clone of the classifier on the soft labels with
# its internal validation split disabled, records every sample's prediction
# at every epoch (``mode="train"``: the training forward pass, before each
# batch's update) and returns the per-sample statistics. The dynamics are
# measured against the gold labels.
clf = SoftLabelClassifier(
    hidden_layer_sizes=(64,), max_epochs=30, lr=3e-2, batch_size=64, random_state=0
)
carto = CartographyTransformer(clf, mode="train", storage="streaming")
stats = carto.fit_transform(X, digits.soft_target, gold_labels=digits.target)
# medians: forgetfulness is ``inf`` for samples never predicted right
medians = np.median(stats, axis=0).round(3)
print(dict(zip(carto.get_feature_names_out(), medians.tolist())))
regions, counts = np.unique(carto.regions_, return_counts=True)
print(dict(zip(regions.tolist(), counts.tolist())))

# %%
# Does the model mirror the (simulated) annotators' uncertainty?
# ---------------------------------------------------------------
# A model that mirrors label uncertainty is less confident, and more
# variable, on the samples whose votes are split: a negative Spearman
# correlation of confidence with the label entropy.
summary = human_alignment_summary(carto.statistics_, entropy, n_quantiles=4)
print(f"Spearman(confidence, entropy)  = {summary.spearman_confidence:+.2f}")
print(f"Spearman(variability, entropy) = {summary.spearman_variability:+.2f}")
print("mean confidence per entropy bin:", summary.quantile_means["confidence"].round(2))

# %%
# The data map
# ------------
# Variability on x, confidence on y, colour = entropy of the simulated votes.
# The dashed guides are the transformer's region thresholds.
fig, ax = plt.subplots(figsize=(7.5, 5.5))
display = DataMapDisplay.from_estimator(
    carto,
    ax=ax,
    hue=entropy,
    hue_label="label entropy (simulated votes, nats)",
    cmap="viridis",
)
ax.set_title("Data map of a soft-label MLP on ambiguous digits (simulated votes)")
fig.tight_layout()
fig.savefig("plot_data_map.png", dpi=110)
