"""Data for the audit command: built-in data sets and user files (private).

:func:`load_audit_data` returns ``X``, the gold labels, the human labels and the
provenance the report states. The readers check what reading a file and
subsampling its rows need (its keys or columns, numbers, equal row counts) and
the numbers they read (finite features, valid human labels), so that an error
names the file's key or column and row in the command's terms; classes and
gold labels against the classes are checked by :func:`sksoft.audit.run_audit`
(which checks the values again, in the library's terms, for API users).

A new built-in data set is a loader in :mod:`sksoft.datasets` and one entry
of its registry (:mod:`sksoft.datasets._registry`): :data:`DATASETS` (the
command's ``--dataset`` choices), the data set's defaults and its provenance
are read from there.

File formats (``--dataset PATH``): a ``.npz`` (``numpy.savez``) with the keys
``data`` (features ``(n, n_features)`` or images ``(n, H, W)`` /
``(n, C, H, W)`` / ``(n, H, W, C)``), ``target`` (gold labels, optional when
only the arms that need no gold label run), ``counts`` (human votes ``(n, K)``)
**or** ``soft_target`` (human label distributions), and optionally ``classes``
(the ``K`` class labels in column order); or a ``.csv`` with a header row, a
``target`` column, ``count_<class>`` **or** ``soft_<class>`` columns, and every
other column a numeric feature. Simulated human labels are flagged by an
``.npz`` key ``simulated`` (True, or a text saying how) or a line
``# simulated: how`` before the ``.csv`` header (other ``#`` lines there are
comments), or by the command's ``--simulated-labels``. Instead of numeric
features a ``.csv`` may hold texts: one ``text`` column, or text columns
``text_1``, ``text_2``, ... (numbered from 1 without gaps, e.g. premise and
hypothesis); then no other column is allowed besides ``target`` and the label
columns.
"""

import csv
import importlib.util
import re
from pathlib import Path

import numpy as np

from ..datasets._registry import (
    MNIST_PANEL_NOTE,  # noqa: F401 - the report's note, kept importable here
    _standard_items,
    dataset_names,
    dataset_provenance,
    get_dataset_spec,
)
from ..targets import check_soft_targets

#: the built-in data sets of ``--dataset`` (the names of the data-set registry)
DATASETS = dataset_names()

#: the text data sets among :data:`DATASETS` (real human labels, texts as X)
TEXT_DATASETS = dataset_names("text")

#: the estimator families of ``--model``, built by
#: :func:`sksoft.audit.default_estimator` (here, so the command needs no torch)
MODELS = ("mlp", "logistic", "cnn")

#: the text models of ``--model``, built by
#: :func:`sksoft.audit.default_text_estimator` (torch-free here, for the
#: command): TF-IDF + a linear net (convex), TF-IDF + an MLP, and frozen
#: all-MiniLM-L6-v2 sentence embeddings + an MLP
TEXT_MODELS = ("tfidf-linear", "tfidf-mlp", "minilm-mlp")

#: the text models that need the optional extra ``sksoft[text]``
#: (sentence-transformers)
TEXT_EXTRA_MODELS = ("minilm-mlp",)


def model_choices(text):
    """The ``--model`` choices for texts (``text=True``) or features/images."""
    return TEXT_MODELS if text else MODELS


def check_model_kind(model, text):
    """Refuse a model family of the other kind of data, naming the valid ones.

    Examples
    --------
    >>> from sksoft.audit._data import check_model_kind
    >>> check_model_kind("minilm-mlp", text=True)
    >>> check_model_kind("mlp", text=True)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: model 'mlp' is not a text model; for texts choose tfidf-linear, ...
    """
    valid = model_choices(text)
    if model in valid:
        return
    kind = "texts" if text else "numeric features and images"
    what = "a text model" if text else "a model for numeric features or images"
    if model not in MODELS + TEXT_MODELS:
        what = "a known model"
    raise ValueError(
        f"model {model!r} is not {what}; for {kind} choose "
        f"{', '.join(valid[:-1])} or {valid[-1]}"
    )


def check_text_extra(model):
    """One-line ``ImportError`` when ``model`` needs ``sksoft[text]`` and it is absent.

    Called before any data is loaded or model trained.
    """
    if model not in TEXT_EXTRA_MODELS:
        return

    if importlib.util.find_spec("sentence_transformers") is None:
        raise ImportError(
            f"model {model!r} needs sentence-transformers, which is not installed: "
            "pip install 'sksoft[text]' (or choose tfidf-mlp / tfidf-linear)"
        )


class UsageError(ValueError):
    """A bad argument or bad data: the command reports it in one line, exit 2."""


def _load_builtin(name, data_home, max_samples, random_state, download=True):
    """A registered data set: its loader, its items and its provenance."""
    spec = get_dataset_spec(name)
    bunch = spec.loader(data_home, download, random_state)
    items = (spec.items or _standard_items)(spec, bunch, random_state, max_samples)
    prov = dataset_provenance(spec, bunch)
    prov.update(items["provenance"])
    text = spec.kind == "text"
    human = np.asarray(items["human"])
    data = {
        "X": np.asarray(items["X"], dtype=object if text else None),
        "gold": np.asarray(items["gold"]),
        "human": human,
        "counts": True,
        "classes": np.asarray(bunch.target_names)
        if text
        else np.arange(human.shape[1]),
        "groups": items["groups"],
        "provenance": prov,
    }
    if spec.split == "official":  # the data set's own train/test split
        data["split"] = np.asarray(bunch.split)
    if items.get("rating_counts") is not None:  # the raw rating scale (VADER)
        data["rating_counts"] = np.asarray(items["rating_counts"])
        data["rating_classes"] = np.asarray(items["rating_classes"])
    if text:
        data["gold"] = data["classes"][data["gold"]]
    table = None if items["subsampled"] else _annotation_table(bunch, data["classes"])
    if table is not None:  # the per-annotator table (the Le-Wi-Di sets)
        data["annotations"] = table
    if items["subsampled"]:
        return data
    return _subsample(data, max_samples, random_state)


def _annotation_table(bunch, classes):
    """The loader's per-annotator table with labels as ``classes``, or None.

    ``item`` is the row position, ``label`` the class of the human-label
    column the answer counts towards (ConvAbuse: a severity below 0 is
    abusive). None without a table or for several labels per answer
    (VariErrNLI's multi-label answers).
    """
    table = bunch.get("annotations") if hasattr(bunch, "get") else None
    if table is None or bunch.get("label_kind") == "multilabel":
        return None
    label = np.asarray(table["label"])
    if bunch.get("severity_levels") is not None:  # ConvAbuse severities
        pos = (label < 0).astype(np.int64)
    else:
        published = np.asarray(bunch["classes"])
        pos = np.searchsorted(published, label)
        if published.size != len(classes) or not np.array_equal(
            published[np.minimum(pos, published.size - 1)], label
        ):
            return None
    return {
        "item": np.asarray(table["item"], dtype=np.int64),
        "annotator": np.asarray(table["annotator"]),
        "label": np.asarray(classes)[pos],
    }


def _subsample(data, max_samples, random_state):
    n = data["X"].shape[0]
    if max_samples is None or max_samples >= n:
        return data
    rng = np.random.default_rng(random_state)
    idx = np.sort(rng.choice(n, size=max_samples, replace=False))
    out = dict(data)
    out["X"] = data["X"][idx]
    out["human"] = data["human"][idx]
    out["gold"] = None if data["gold"] is None else data["gold"][idx]
    for key in ("groups", "split", "rating_counts"):
        if data.get(key) is not None:
            out[key] = data[key][idx]
    if data.get("annotations") is not None:
        out["annotations"] = _table_rows(data["annotations"], idx, n)
    out["provenance"] = dict(data["provenance"], subsample=f"{max_samples} of {n}")
    return out


def _table_rows(table, idx, n):
    """The answers on rows ``idx``, items renumbered to their new positions."""
    position = np.full(n, -1, dtype=np.int64)
    position[idx] = np.arange(idx.size)
    keep = position[table["item"]] >= 0
    return {
        "item": position[table["item"][keep]],
        "annotator": table["annotator"][keep],
        "label": table["label"][keep],
    }


def _as_classes(names):
    """Class names from column suffixes: ints when they all parse as ints."""
    try:
        return np.array([int(c) for c in names])
    except ValueError:
        return np.array(names)


def _npz_array(npz, path, key):
    """One array of an open ``.npz``; object arrays are refused (no pickle)."""
    try:
        return npz[key]
    except ValueError as exc:
        if "allow_pickle" in str(exc):
            raise UsageError(
                f"{path}: key {key!r} holds Python objects (dtype object), which "
                "are not loaded (unpickling can run code); save it as a numeric "
                "or string array, e.g. np.asarray(values, dtype=float)"
            ) from None
        raise UsageError(f"{path}: cannot read key {key!r}: {exc}") from None
    except Exception as exc:  # noqa: BLE001 - a corrupt member is bad data
        raise UsageError(f"{path}: cannot read key {key!r}: {exc}") from None


def _read_npz(path):
    try:
        npz = np.load(path, allow_pickle=False)
    except Exception as exc:  # noqa: BLE001 - any reader failure is bad data
        raise UsageError(f"cannot read {path}: {' '.join(str(exc).split())}") from None
    if not isinstance(npz, np.lib.npyio.NpzFile):
        raise UsageError(
            f"{path} is a single array, not a .npz archive of named arrays "
            "(save it with numpy.savez(path, data=..., target=..., counts=...))"
        )
    with npz:
        keys = set(npz.files)
        if "data" not in keys:
            raise UsageError(
                f"{path} has no 'data' key (features); keys found: {sorted(keys)}"
            )
        X = _npz_array(npz, path, "data")
        gold = _npz_array(npz, path, "target") if "target" in keys else None
        if "counts" in keys and "soft_target" in keys:
            raise UsageError(f"{path} has both 'counts' and 'soft_target'; keep one")
        if "counts" in keys:
            human, counts = _npz_array(npz, path, "counts"), True
        elif "soft_target" in keys:
            human, counts = _npz_array(npz, path, "soft_target"), False
        else:
            raise UsageError(
                f"{path} has no human labels: add a 'counts' or 'soft_target' key"
            )
        classes = _npz_array(npz, path, "classes") if "classes" in keys else None
        simulated = None
        if "simulated" in keys:
            simulated = _simulated_flag(_npz_array(npz, path, "simulated"), path)
    return {
        "X": X,
        "gold": gold,
        "human": human,
        "counts": counts,
        "classes": classes,
        "feature_names": None,
        "simulated": simulated,
    }


def _simulated_flag(value, path):
    """The ``simulated`` key: True/False, or a text saying how (simulated)."""
    value = np.asarray(value)
    if value.ndim == 0 and value.dtype.kind == "b":
        return bool(value)
    if value.ndim == 0 and value.dtype.kind in "US" and str(value.item()).strip():
        return str(value.item()).strip()
    raise UsageError(
        f"{path}: key 'simulated' must be True, False or a text saying how the "
        f"labels were simulated; got {value.tolist()!r}"
    )


#: a ``.csv`` comment line before the header that flags simulated labels
_SIMULATED_COMMENT = re.compile(r"#\s*simulated\b\s*:?\s*(.*)", re.IGNORECASE)


def _read_csv(path):
    lines = _csv_lines(path)
    n_comments, simulated = _csv_comments(lines)
    rows = list(csv.reader(lines[n_comments:]))
    if len(rows) < 2:
        raise UsageError(f"{path} has no data rows")
    first = n_comments + 2  # the file's line number of the first data row
    header = [h.strip() for h in rows[0]]
    body = rows[1:]
    _check_row_lengths(path, header, body, first)
    label_cols, prefix = _label_columns(path, header)
    classes = _as_classes([header[i][len(prefix) :] for i in label_cols])
    gold_col = header.index("target") if "target" in header else None
    feat_cols = [i for i in range(len(header)) if i not in label_cols and i != gold_col]
    if not feat_cols:
        raise UsageError(f"{path} has no feature columns")
    text_cols = _text_columns(path, header, feat_cols)
    if text_cols is not None:
        X = np.array([[r[i] for i in text_cols] for r in body], dtype=object)
        X = X[:, 0] if header[text_cols[0]] == "text" else X
    else:
        X = _csv_numbers(path, header, body, feat_cols, "feature", first)
    human = _csv_numbers(path, header, body, label_cols, "label", first)
    gold = None
    if gold_col is not None:
        gold = _as_classes([r[gold_col].strip() for r in body])
        if gold.dtype.kind != classes.dtype.kind:
            gold, classes = gold.astype(str), classes.astype(str)
    return {
        "X": X,
        "gold": gold,
        "human": human,
        "counts": prefix == "count_",
        "classes": classes,
        "feature_names": [header[i] for i in feat_cols],
        "first_row": first,
        "simulated": simulated,
    }


def _csv_lines(path):
    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:
            return fh.readlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read {path}: {exc}") from None


def _csv_comments(lines):
    """The number of comment lines (``# ...``) before the header, and the
    simulated flag of a ``# simulated: how`` line among them (None without)."""
    n_comments, simulated = 0, None
    while n_comments < len(lines) and lines[n_comments].lstrip().startswith("#"):
        match = _SIMULATED_COMMENT.match(lines[n_comments].strip())
        if match:
            simulated = match.group(1).strip() or True
        n_comments += 1
    return n_comments, simulated


def _check_row_lengths(path, header, body, first):
    bad = [i for i, r in enumerate(body) if len(r) != len(header)]
    if bad:
        raise UsageError(
            f"{path}: row {bad[0] + first} has {len(body[bad[0]])} fields, "
            f"the header has {len(header)}"
        )


def _label_columns(path, header):
    """The human-label columns (``count_*`` or ``soft_*``) and their prefix."""
    count_cols = [i for i, h in enumerate(header) if h.startswith("count_")]
    soft_cols = [i for i, h in enumerate(header) if h.startswith("soft_")]
    if count_cols and soft_cols:
        raise UsageError(f"{path} has both count_* and soft_* columns; keep one kind")
    if not (count_cols or soft_cols):
        raise UsageError(
            f"{path} has no human-label columns: add count_<class> or "
            "soft_<class> columns"
        )
    return (count_cols, "count_") if count_cols else (soft_cols, "soft_")


def _csv_numbers(path, header, body, cols, what, first):
    """The columns ``cols`` as floats; else an error naming column and row."""
    try:
        return np.array([[float(r[i]) for i in cols] for r in body])
    except ValueError:
        pass
    for ri, r in enumerate(body):
        for i in cols:
            try:
                float(r[i])
            except ValueError:
                raise UsageError(
                    f"{path}: {what} column {header[i]!r} row {ri + first} is "
                    f"not a number: {r[i]!r}"
                ) from None
    raise AssertionError("unreachable: a value failed to parse")  # pragma: no cover


_TEXT_COLUMN = re.compile(r"text_([0-9]+)$")


def _text_columns(path, header, feat_cols):
    """Positions of the text columns (``text`` or ``text_1..text_m``), or None.

    With text columns no other feature column is allowed, ``text`` and
    ``text_<i>`` do not mix, and ``text_<i>`` are numbered 1..m without gaps
    (a missing pair column is named).
    """
    plain = [i for i in feat_cols if header[i] == "text"]
    numbered = {}
    for i in feat_cols:
        match = _TEXT_COLUMN.match(header[i])
        if match:
            numbered[int(match.group(1))] = i
    if not plain and not numbered:
        return None
    if plain and numbered:
        raise UsageError(
            f"{path} has both a 'text' column and text_<i> columns; use 'text' for "
            "one text per item or text_1, text_2, ... for several"
        )
    if len(plain) > 1:
        raise UsageError(f"{path} has the column 'text' twice")
    cols = plain or [numbered[j] for j in sorted(numbered)]
    if numbered:
        missing = [j for j in range(1, max(numbered) + 1) if j not in numbered]
        if missing:
            raise UsageError(
                f"{path}: text column 'text_{missing[0]}' is missing (text columns "
                "are numbered text_1, text_2, ... without gaps)"
            )
    others = [header[i] for i in feat_cols if i not in cols]
    if others:
        raise UsageError(
            f"{path} mixes text columns with other columns ({others[0]!r}); a .csv "
            "holds either numeric features or text columns, besides target and "
            "the label columns"
        )
    return cols


def _check_numbers(path, X, human, counts, feature_names, first_row=2):
    """Features finite, human labels valid: errors name the file's key or column
    and row (``run_audit`` checks the same again, in the library's terms).

    Rows are the file's: for a ``.csv`` the line number (``first_row`` is the
    line of the first data row), as in the reader's other messages; for a
    ``.npz`` the array index.
    """
    csv_file = feature_names is not None
    if csv_file:
        prefix = "count_" if counts else "soft_"
        labels = f"the {prefix}<class> columns"
        soft_hint = "If they are vote counts, name the columns count_<class>."
    else:
        labels = "'counts'" if counts else "'soft_target'"
        soft_hint = "If they are vote counts, save them under the key 'counts'."

    def row(i):
        return f"row {i + first_row}" if csv_file else f"index {i}"

    text = X.dtype.kind in "OU"  # texts: checked by run_audit
    if not text and X.dtype.kind not in "biuf":
        what = "the feature columns" if csv_file else "'data'"
        raise UsageError(f"{path}: {what} must be numeric, got dtype {X.dtype}")
    if X.dtype.kind == "f":
        bad = ~np.isfinite(X.reshape(len(X), -1))
        if bad.any():
            i, j = np.argwhere(bad)[0]
            where = (
                f"feature column {feature_names[j]!r} {row(i)}"
                if csv_file
                else f"'data' {row(i)}"
            )
            value = X.reshape(len(X), -1)[i, j]
            raise UsageError(
                f"{path}: {where} is {value}; the features must be finite numbers "
                "(no NaN or infinity)"
            )
    try:
        check_soft_targets(human, counts=counts, input_name=labels)
    except ValueError as exc:
        message = " ".join(str(exc).split())
        message = message.replace(
            f"If {labels} holds vote counts, pass counts=True.", soft_hint
        )
        if message.startswith("counts "):  # counts_to_proba's name for them
            message = labels + message[len("counts") :]
        message = message.replace(
            "Drop the row or use prior > 0.", "Every item needs at least one vote."
        )
        message = re.sub(r"\brow (\d+)", lambda m: row(int(m.group(1))), message)
        if csv_file:  # "the ... columns contains" -> "contain"
            for verb, plural in (("contains", "contain"), ("has", "have")):
                message = message.replace(f"columns {verb} ", f"columns {plural} ")
            message = message.replace("columns rows ", "columns: rows ")
        raise UsageError(f"{path}: {message}") from None


def _labels_text(counts, simulated):
    """The provenance's ``labels``: human, or simulated (and how, if said)."""
    kind = "vote counts" if counts else "soft labels"
    if not simulated:
        return f"human (user-supplied {kind})"
    how = f"; {simulated}" if isinstance(simulated, str) else ""
    return f"simulated (user-supplied {kind}, flagged as simulated{how})"


def _load_file(path, max_samples, random_state, simulated=None):
    """A user's ``.npz`` / ``.csv``: read, checked, subsampled.

    Checked here: what the subsample needs (one row per item in every array)
    and the numbers read (finite features, valid human labels), so that an
    error names the file's key or column and row; classes and gold labels are
    checked by ``run_audit``. ``simulated`` (the command's
    ``--simulated-labels``) overrides the file's own flag.
    """
    path = Path(path)
    if not path.exists():
        raise UsageError(
            f"--dataset {str(path)!r} is neither one of {', '.join(dataset_names())} "
            "nor an existing file"
        )
    suffix = path.suffix.lower()
    if suffix == ".npz":
        read = _read_npz(path)
    elif suffix == ".csv":
        read = _read_csv(path)
    else:
        raise UsageError(f"--dataset file must end in .npz or .csv, got {path.name!r}")
    X = np.asarray(read["X"])
    human = np.asarray(read["human"])
    gold, counts, classes = read["gold"], read["counts"], read["classes"]
    if X.dtype.kind in "OU" and X.ndim == 1 and X.shape[0]:
        pass  # one text per item (checked by run_audit)
    elif X.ndim < 2 or X.shape[0] == 0:
        raise UsageError(f"{path}: features must have shape (n, ...) with n >= 1")
    if human.ndim != 2:
        raise UsageError(f"{path}: human labels must be 2-D (n, K), got {human.shape}")
    n, k = human.shape
    if X.shape[0] != n:
        raise UsageError(f"{path}: {X.shape[0]} feature rows but {n} human-label rows")
    _check_numbers(
        path, X, human, counts, read["feature_names"], read.get("first_row", 2)
    )
    classes = np.arange(k) if classes is None else np.asarray(classes)
    if gold is not None:
        gold = np.asarray(gold).ravel()
        if gold.shape[0] != n:
            raise UsageError(f"{path}: {gold.shape[0]} gold labels but {n} rows")
    data = {
        "X": X,
        "gold": gold,
        "human": human,
        "counts": counts,
        "classes": classes,
        "groups": None,
        "provenance": {
            "dataset": path.name,
            "title": f"user data {path.name}",
            "licence": "as stated by the data owner (not recorded in the file)",
            "labels": _labels_text(counts, simulated or read["simulated"]),
        },
    }
    return _subsample(data, max_samples, random_state)


def load_audit_data(
    dataset,
    *,
    data_home=None,
    max_samples=None,
    random_state=0,
    download=True,
    simulated=None,
):
    """Load a built-in data set or a user file for the audit.

    Parameters
    ----------
    dataset : str
        A name of the data-set registry (:data:`DATASETS`:
        ``"ambiguous-digits"``, ``"mnist"``, ``"cifar10h"``, ``"vader"``,
        ``"chaosnli-snli"``, ``"chaosnli-mnli"``, ``"chaosnli-alphanli"``) or
        the path of a ``.npz`` / ``.csv`` file in the format of the module
        docstring.
    data_home : str, default=None
        Download / cache folder of the real data sets.
    max_samples : int, default=None
        Random subsample size (all rows by default).
    random_state : int, default=0
        Seed of the subsample, of the generated data and of simulated panels.
    download : bool, default=True
        Allow downloads of missing real data.
    simulated : bool, default=None
        For a user file: ``True`` marks its human labels as simulated (the
        command's ``--simulated-labels``); ``None`` reads the file's own flag
        (the ``.npz`` key ``simulated``, a ``# simulated: how`` line before the
        ``.csv`` header). Not allowed for the built-in data sets.

    Returns
    -------
    data : dict
        ``X``, ``gold`` (or None), ``human`` (counts or soft labels),
        ``counts`` (bool), ``classes``, ``groups`` (the split groups of
        ``run_audit``, or None: for ``ambiguous-digits`` the source-digit
        groups, so that train and test share no source digit) and
        ``provenance`` (``dataset``, ``title``, ``licence``, ``labels``: human
        or simulated; for a built-in data set also ``source`` and
        ``citation``, read from its loader, and for the text data sets
        ``gold`` and ``mode_shift``, what gold is and what a mode shift
        compares). A data set with a per-annotator table (the Le-Wi-Di sets
        but VariErrNLI) adds ``annotations``: a dict of the columns ``item``
        (row position), ``annotator`` and ``label`` (an element of
        ``classes``), for the ``human_dawid_skene`` arm; without it that arm
        refuses with one line. A data set whose classes are collapsed from
        a rating scale (VADER) adds ``rating_counts`` (ratings per scale
        point, ``(n, n_points)``) and ``rating_classes`` (the class of each
        point), for the audit's raw-scale metrics. ``X`` of a text data set
        is an object array of texts (``(n,)``, or ``(n, n_fields)`` for
        ChaosNLI).

    Raises
    ------
    UsageError
        A ``ValueError`` naming what is wrong with the data or the file.

    Examples
    --------
    >>> from sksoft.audit import load_audit_data
    >>> data = load_audit_data("ambiguous-digits", max_samples=200)
    >>> data["X"].shape, data["human"].shape, data["provenance"]["labels"]
    ((200, 64), (200, 10), 'simulated (noisy-observer panel, 6 votes per item)')
    """
    if dataset in dataset_names():
        if simulated:
            raise UsageError(
                f"{dataset} states its labels' kind itself; the simulated flag is "
                "for user files"
            )
        try:
            return _load_builtin(
                dataset, data_home, max_samples, random_state, download
            )
        except (OSError, ConnectionError, RuntimeError, ValueError) as exc:
            # in the library's words; the command rewrites them into its options
            msg = " ".join(str(exc).split()) or type(exc).__name__
            raise UsageError(f"cannot load {dataset}: {msg}") from None
    return _load_file(dataset, max_samples, random_state, simulated)
