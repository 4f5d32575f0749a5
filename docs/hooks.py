"""MkDocs hooks of sklstm's docs (``hooks:`` in mkdocs.yml).

Everything generated is served from memory (``File.generated``):

- ``figures/*.svg``: the guide's figures, drawn by ``docs/figures.py``;
- ``api/``: one page per public name of ``sklstm.__all__`` whose module
  exists, plus ``sklstm.datasets`` and ``sklstm.plotting``, and an index;
- ``gallery/``: one page per ``examples/plot_*.py`` with its stored run
  (see ``docs/gallery.py``: a script that changed runs again, and its run is
  stored in ``docs/gallery-runs/``, the one thing a build writes there);
- math: ``$...$`` and ``$$...$$`` (parsed by pymdownx.arithmatex) rendered to
  MathML at build time, which browsers display natively: no MathJax, no CDN.
"""

import ast
import html
import os
import re
import sys
import types
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import griffe
from mkdocs.plugins import get_plugin_logger
from mkdocs.structure.files import File

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
# MkDocs restores sys.path after loading this file; on_config sets it again.
PATHS = [str(DOCS), str(ROOT)]  # the helper modules; sklstm from this checkout
sys.path[:0] = PATHS

import figures  # noqa: E402
import gallery  # noqa: E402
import griffe_sklstm  # noqa: E402

log = get_plugin_logger("sklstm")

# The API reference: public names by group, in this order. A name of
# sklstm.__all__ missing here lands in "Other"; one whose module does not
# exist yet is left out (and logged).
API_GROUPS = [
    ("Estimators", "Transformers and regressors that compose into a Pipeline.",
     ["SequenceWindower", "LSTMRegressor", "LSTMForecaster", "PersistenceRegressor"]),
    ("Forecasting and framing", "From a series to (X, y), and beyond the data.",
     ["make_supervised", "long_to_wide", "wide_to_long", "forecast", "PanelSplit"]),
    ("Saving and loading", "Fitted estimators to disk and back.",
     ["save_estimator", "load_estimator", "skops_trusted_types"]),
    ("Utilities", "", ["show_versions"]),
]
API_MODULES = [
    ("sklstm.datasets", "Datasets", "Embedded data, loaded without network access."),
    ("sklstm.plotting", "Plotting", "Matplotlib plots; each returns its Axes."),
]


STATE = types.SimpleNamespace(
    api=[],  # (title, src_uri, identifier) of each API page
    api_index="",  # Markdown of api/index.md
    missing=[],  # public names whose module does not exist yet
    resolve=lambda target: None,  # name in example prose -> API identifier
    examples=[],  # gallery.Example of each examples/plot_*.py
)


# --- API reference ---------------------------------------------------------

def _load_package():
    return griffe.load(
        "sklstm",
        search_paths=[str(ROOT)],
        extensions=griffe.Extensions(griffe_sklstm.SklstmDocstrings()),
        docstring_parser="numpy",
        resolve_aliases=False,
    )


def _summary(obj):
    doc = obj.docstring.value if obj.docstring else ""
    return doc.strip().split("\n\n")[0].replace("\n", " ")


def _public_names():
    tree = ast.parse((ROOT / "sklstm" / "__init__.py").read_text())
    for node in tree.body:
        if (isinstance(node, ast.Assign)
                and any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets)):
            return [n for n in ast.literal_eval(node.value) if not n.startswith("__")]
    return []


def _build_api():
    pkg = _load_package()
    names = _public_names()
    grouped = {n for _, _, group in API_GROUPS for n in group}
    groups = [*API_GROUPS]
    others = [n for n in names if n not in grouped]
    if others:
        groups.append(("Other", "", others))
    pages, missing = [], []
    index = ["# API reference", "",
             ("Every public name of `sklstm`. Estimators follow scikit-learn's API "
              "(`fit`, `predict`, `get_params`, ...); see the "
              "[user guide](../user-guide/windowing.md) for how they fit together."), ""]
    for title, blurb, group in groups:
        rows = []
        for name in group:
            if name not in names:
                continue
            obj = pkg.members.get(name)
            try:
                obj = obj.final_target if obj is not None and obj.is_alias else obj
            except (griffe.AliasResolutionError, griffe.CyclicAliasError):
                # an alias to a module that does not exist yet
                obj = None
            if obj is None:
                missing.append(name)
                continue
            identifier = f"sklstm.{name}"
            pages.append((name, f"api/{identifier}.md", identifier))
            rows.append(f"| [`{name}`][{identifier}] | {_summary(obj)} |")
        if rows:
            index += [f"## {title}", "", blurb, "", "| Name | Description |", "|---|---|", *rows, ""]
    for module_path, title, blurb in API_MODULES:
        module = pkg.members.get(module_path.split(".")[1])
        if module is None:
            missing.append(module_path)
            continue
        pages.append((module_path, f"api/{module_path}.md", module_path))
        rows = []
        for name, member in module.members.items():
            if name.startswith("_") or (member.is_alias and name not in (module.exports or ())):
                continue
            member = member.final_target if member.is_alias else member
            if member.is_function or member.is_class:
                rows.append(f"| [`{name}`][{module_path}.{name}] | {_summary(member)} |")
        index += [f"## {title}: `{module_path}`", "", blurb, "",
                  "| Name | Description |", "|---|---|", *rows, ""]
    public = griffe_sklstm.public_paths(pkg)
    return pages, "\n".join(index), missing, (
        lambda target: griffe_sklstm.resolve(pkg, public, pkg, target))


def _api_page(identifier):
    return f"::: {identifier}\n"


# --- navigation ------------------------------------------------------------

def _expand_nav(nav, expansions):
    """Replace ``{"Title": "x/index.md"}`` entries by a section with children."""
    out = []
    for entry in nav:
        if isinstance(entry, dict):
            (title, value), = entry.items()
            if isinstance(value, list):
                out.append({title: _expand_nav(value, expansions)})
            elif value in expansions:
                out.append({title: [value, *expansions[value]]})
            else:
                out.append(entry)
        else:
            out.append(entry)
    return out


# --- hooks -----------------------------------------------------------------

def on_config(config, **kwargs):
    sys.path[:0] = [p for p in PATHS if p not in sys.path]
    STATE.api, STATE.api_index, STATE.missing, STATE.resolve = _build_api()
    if STATE.missing:
        log.info("API reference leaves out names whose module does not exist yet: %s",
                 ", ".join(STATE.missing))
    paths = sorted((ROOT / "examples").glob("plot_*.py"))
    STATE.examples = [gallery.parse_example(p, resolve=STATE.resolve) for p in paths]
    expansions = {
        "api/index.md": [{title: uri} for title, uri, _ in STATE.api],
        "gallery/index.md": [{ex.title: f"gallery/{ex.stem}.md"} for ex in STATE.examples],
    }
    config["nav"] = _expand_nav(config["nav"] or [], expansions)
    return config


def on_files(files, config, **kwargs):
    def add(uri, content):
        files.append(File.generated(config, uri, content=content))

    add("api/index.md", STATE.api_index)
    for _, uri, identifier in STATE.api:
        add(uri, _api_page(identifier))

    # The examples run in subprocesses while this process draws the figures.
    paths = [ex.path for ex in STATE.examples]
    with ThreadPoolExecutor(max_workers=1) as pool:
        if os.environ.get("SKLSTM_DOCS_GALLERY", "run") == "skip":
            results = pool.submit(lambda: {p: gallery.load_run(p) for p in paths})
        else:
            results = pool.submit(gallery.run_examples, paths)
        for name in figures.FIGURES:
            add(f"figures/{name}.svg", _figure(name))
        _add_gallery(add, results.result())
    return files


def _figure(name):
    """SVG of a guide figure, cached by the sources it is drawn from."""
    cached = ROOT / "build" / "docs-figures" / gallery.source_hash(figures.__file__) / f"{name}.svg"
    if not cached.exists():
        cached.parent.mkdir(parents=True, exist_ok=True)
        cached.write_bytes(figures.render(name))
    return cached.read_bytes()


def _add_gallery(add, results):
    cards = []
    for ex in STATE.examples:
        result = results[ex.path]
        if gallery.failed(result):
            log.warning("Example %s failed in the docs build:\n%s",
                        ex.path.name, result["stderr"][-1500:])
        elif result is not None:
            log.info("Example %s: %s", ex.path.name, "stored run" if result.get("cached")
                     else f"ran in {result['seconds']:.1f} s, stored in docs/gallery-runs/")
        figures = [figure["file"] for cell in (result or {}).get("cells", [])
                   for figure in cell["figures"]]
        for figure in figures:
            add(f"gallery/{ex.stem}/{figure}", (Path(result["dir"]) / figure).read_bytes())
        add(f"gallery/{ex.path.name}", ex.path.read_text())
        add(f"gallery/{ex.stem}.md", gallery.example_page(
            ex, result, figure_uri=lambda f, s=ex.stem: f"{s}/{f}", script_name=ex.path.name))
        thumb = f"![]({ex.stem}/{figures[0]})" if figures else ""
        first = re.split(r"(?<=[.!?])\s", ex.intro.replace("\n", " "), maxsplit=1)[0]
        cards.append(f"-   [**{ex.title}**]({ex.stem}.md)\n\n    {thumb}\n\n    {first}\n")
    index = [
        "# Gallery", "",
        ("Worked examples, each a script in `examples/` that you can download and run "
         "as it is. Each page shows what its script printed and drew when run whole, "
         "how long that took, and with which versions."), "",
        ("`python examples/plot_grid_search.py` prints the same and opens the figures "
         "in windows at the end; on a machine without a display, run it in Jupyter "
         "(`%run examples/plot_grid_search.py`) to see them in the notebook."), "",
    ]
    if cards:
        index += ['<div class="grid cards" markdown>', "", *cards, "</div>", ""]
    else:
        index += ["No example scripts were found in `examples/`.", ""]
    add("gallery/index.md", "\n".join(index))


MATH = re.compile(
    r'<(?P<tag>span|div) class="arithmatex">\s*'
    r"(?:\\\((?P<inline>.*?)\\\)|\\\[(?P<block>.*?)\\\])\s*</(?P=tag)>",
    re.DOTALL,
)


def on_page_content(html_text, page, config, files, **kwargs):
    """Render the math of the page to MathML."""
    if "arithmatex" not in html_text:
        return html_text
    from latex2mathml.converter import convert

    def mathml(match):
        block = match["block"] is not None
        tex = html.unescape(match["block"] if block else match["inline"]).strip()
        try:
            return convert(tex, display="block" if block else "inline")
        except Exception as exc:  # bad TeX: say where, fail a strict build
            log.warning("%s: cannot render math %r: %s", page.file.src_uri, tex, exc)
            return match.group(0)

    return MATH.sub(mathml, html_text)
