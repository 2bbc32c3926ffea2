"""An audit worker does not import torch._dynamo (issue 28.3)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def _run(code):
    env = dict(os.environ, PYTHONPATH=str(REPO), OMP_NUM_THREADS="1")
    out = subprocess.run(
        [sys.executable, "-c", code],
        check=True,
        capture_output=True,
        text=True,
        env=env,
        cwd=str(REPO),
        timeout=300,
    )
    return out.stdout.strip().splitlines()[-1]


def test_worker_fit_does_not_import_dynamo():
    if _run(
        "import sys, torch, torch.optim; print('torch._dynamo' in sys.modules)"
    ) == ("True"):
        pytest.skip("this torch imports torch._dynamo on 'import torch.optim'")
    code = (
        "import sys\n"
        "import numpy as np\n"
        "import sksoft.audit._worker\n"
        "from sksoft import SoftLabelClassifier\n"
        "rng = np.random.default_rng(0)\n"
        "X = rng.normal(size=(40, 3)).astype(np.float32)\n"
        "y = (X[:, 0] > 0).astype(int)\n"
        "clf = SoftLabelClassifier(max_epochs=2, hidden_layer_sizes=(4,),\n"
        "                          random_state=0).fit(X, y)\n"
        "clf.predict_proba(X)\n"
        "print('torch._dynamo' in sys.modules)\n"
    )
    assert _run(code) == "False"


def test_a_non_default_optimizer_still_trains():
    # weight decay takes torch's own Adam step (which may import dynamo)
    code = (
        "import numpy as np, torch\n"
        "from sksoft import SoftLabelClassifier\n"
        "X = np.random.default_rng(0).normal(size=(40, 3)).astype(np.float32)\n"
        "y = (X[:, 0] > 0).astype(int)\n"
        "clf = SoftLabelClassifier(max_epochs=2, optimizer__weight_decay=0.1,\n"
        "                          random_state=0).fit(X, y)\n"
        "print(type(clf.optimizer_).__name__)\n"
    )
    assert _run(code) == "Adam"
