"""Data sets with soft labels: loaders of real data and testbed generators.

- :func:`fetch_mnist`: MNIST digits (gold labels only), downloaded and cached.
- :func:`fetch_cifar10h`: CIFAR-10H *human* soft labels with the CIFAR-10
  test images, downloaded and cached (CC BY-NC-SA 4.0, never bundled).
- :func:`fetch_chaosnli`: ChaosNLI, SNLI / MNLI / alphaNLI items with 100
  new *human* labels each and their original labels, downloaded and cached.
- :func:`fetch_vader_sentiment`: the VADER sentiment corpora, 23,703 short
  texts with 15 to 99 raw *human* ratings each, downloaded and cached.
- :func:`fetch_lewidi`: the Le-Wi-Di shared-task sets (MD-Agreement,
  HS-Brexit, ConvAbuse, ArMIS, Paraphrase, VariErrNLI): texts, official
  splits, individual *human* labels with annotator ids; downloaded and cached.
- :func:`make_ambiguous_digits`: clean and blended digits with *simulated*
  noisy-observer soft labels; no download.

Downloads go to :func:`get_data_home` (``SKSOFT_DATA`` or ``~/sksoft_data``).
"""

from ._ambiguous_digits import make_ambiguous_digits
from ._base import get_data_home
from ._chaosnli import fetch_chaosnli
from ._cifar10h import fetch_cifar10h
from ._lewidi import fetch_lewidi
from ._mnist import fetch_mnist
from ._vader import fetch_vader_sentiment

__all__ = [
    "fetch_chaosnli",
    "fetch_cifar10h",
    "fetch_lewidi",
    "fetch_mnist",
    "fetch_vader_sentiment",
    "get_data_home",
    "make_ambiguous_digits",
]
