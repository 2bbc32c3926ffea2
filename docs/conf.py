"""Sphinx configuration for sksoft (builds offline: no intersphinx fetches)."""

import os
import sys
import warnings

sys.path.insert(0, os.path.abspath(".."))

import sksoft  # noqa: E402

project = "sksoft"
author = "sksoft developers"
copyright = "2026, sksoft developers"
release = sksoft.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]

autosummary_generate = True
autodoc_default_options = {"members": True, "inherited-members": False}
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False

templates_path = ["_templates"]
exclude_patterns = ["_build", "auto_examples/*.ipynb", "auto_examples/*.py"]

html_theme = "pydata_sphinx_theme"
html_static_path = ["_static"]
html_title = f"sksoft {release}"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
}

os.environ.setdefault("MPLBACKEND", "Agg")
warnings.filterwarnings(
    "ignore", category=UserWarning, message="Matplotlib is currently using agg"
)

sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    # examples/quickstart.py is the README's script, not a gallery example
    # (its docstring has no reST title, which sphinx-gallery requires);
    # examples/run_audit_on_dask.py needs a cluster (docs/scale_out.rst).
    "ignore_pattern": r"__init__\.py|quickstart\.py|run_audit_on_dask\.py",
    "download_all_examples": False,
    "remove_config_comments": True,
    "abort_on_example_error": True,
    "plot_gallery": "True",
    "within_subsection_order": "FileNameSortKey",
    # "Examples using X" on each API page; example code links to the API pages
    # (sksoft only: no intersphinx, the build stays offline).
    "doc_module": ("sksoft",),
    "backreferences_dir": "generated/backreferences",
}


# ---------------------------------------------------------------------------
# The audit's metric table, generated from ``sksoft.audit.METRICS`` so that the
# user guide never drifts from the code (included by user_guide/audit.rst).


def _write_audit_metric_table(app):
    from pathlib import Path

    from sksoft.audit import METRICS

    lines = [
        ".. list-table::",
        "   :header-rows: 1",
        "   :widths: 40 12 18 30",
        "",
        "   * - metric",
        "     - better",
        "     - reference",
        "     - what",
    ]

    def esc(text):  # plain text in reST: escape the inline markup characters
        for char in "\\|*`_":
            text = text.replace(char, "\\" + char)
        return text

    for name, info in METRICS.items():
        lines += [
            f"   * - ``{name}``",
            f"     - {esc(info['better'])}",
            f"     - {esc(info['reference'])}",
            f"     - {esc(info['text'])}",
        ]
    out = Path(app.srcdir) / "generated" / "audit_metrics.inc"
    out.parent.mkdir(parents=True, exist_ok=True)
    text = "\n".join(lines) + "\n"
    if not out.exists() or out.read_text() != text:
        out.write_text(text)


# ---------------------------------------------------------------------------
# Every object is documented once, under one public name, but the docstrings
# refer to it by any of its public names (``sksoft.targets.hard_labels`` and
# ``sksoft.hard_labels`` are the same function). Resolve a reference that finds
# no target to the documented name of the same object.


def _import_object(name):
    import importlib

    parts = name.split(".")
    for i in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            continue
        try:
            for attr in parts[i:]:
                obj = getattr(obj, attr)
        except AttributeError:
            return None
        return obj
    return None


def _resolve_sksoft_alias(app, env, node, contnode):
    if node.get("refdomain") != "py":
        return None
    target = node.get("reftarget", "")
    if not target.startswith("sksoft."):
        return None
    obj = _import_object(target)
    if obj is None:
        return None
    py = env.get_domain("py")
    for name in py.objects:
        if (
            name != target
            and name.startswith("sksoft.")
            and name.endswith("." + target.rsplit(".", 1)[-1])
        ):
            if _import_object(name) is obj:
                return py.resolve_xref(
                    env, node["refdoc"], app.builder, "obj", name, node, contnode
                )
    return None


# ---------------------------------------------------------------------------
# Every public name must be documented: a name in the ``__all__`` of a public
# module that is documented under none of its names fails the build (-W).

PUBLIC_MODULES = (
    "sksoft",
    "sksoft.targets",
    "sksoft.classifier",
    "sksoft.expansion",
    "sksoft.losses",
    "sksoft.batching",
    "sksoft.model_selection",
    "sksoft.metrics",
    "sksoft.sources",
    "sksoft.datasets",
    "sksoft.callbacks",
    "sksoft.cartography",
    "sksoft.audit",
    "sksoft.cli",
)


def _check_public_names_documented(app, env):
    import importlib

    from sphinx.util import logging

    logger = logging.getLogger("sksoft.docs")
    documented = {
        id(obj)
        for name in env.get_domain("py").objects
        if name.startswith("sksoft.")
        for obj in [_import_object(name)]
        if obj is not None
    }
    for modname in PUBLIC_MODULES:
        module = importlib.import_module(modname)
        for name in getattr(module, "__all__", ()):
            if name.startswith("__"):
                continue
            if id(getattr(module, name)) not in documented:
                logger.warning(
                    "public name %s.%s is not documented: add it to docs/api.rst",
                    modname,
                    name,
                )


def setup(app):
    app.connect("builder-inited", _write_audit_metric_table)
    app.connect("missing-reference", _resolve_sksoft_alias)
    app.connect("env-check-consistency", _check_public_names_documented)
