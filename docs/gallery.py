"""The examples gallery: ``examples/plot_*.py`` scripts as pages with figures.

Each example is a sphinx-gallery style script: a module docstring (title and
introduction), then cells separated by ``# %%`` lines, each cell opening with
comment lines of text. ``docs/hooks.py`` turns every script into a page:
text as Markdown, code as code blocks, each cell followed by what it printed
and by the figures it wrote to ``SKLSTM_FIGURES_DIR``, the contract every
example honours.

Examples run in fast mode (``SKLSTM_EXAMPLE_FAST=1``), one subprocess each,
``SKLSTM_DOCS_JOBS`` (default 2) at a time. Results are cached under
``build/docs-gallery/`` by a hash of the example and of sklstm's sources, so
a rebuild reruns only what changed. ``SKLSTM_DOCS_GALLERY=skip`` renders the
pages from the cache without running anything (for quick edits of prose).

Each page says so at its top, with the output of a full run of the script
when one is recorded: ``python docs/gallery.py --full examples/plot_*.py``
runs each example with its full settings, one at a time, and records its
wall time and printed output in ``docs/gallery-full-runs.json``.

Run as ``python docs/gallery.py examples/plot_x.py OUT_DIR`` it is the
per-example runner: it executes the cells in order in one namespace and
records, per cell, the printed output and the new figure files.
"""

import contextlib
import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import time
import traceback
import types
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "build" / "docs-gallery"
# Output of full runs, recorded by `python docs/gallery.py --full examples/plot_*.py`
FULL_RUNS = ROOT / "docs" / "gallery-full-runs.json"
FIGURE_SUFFIXES = (".png", ".svg", ".jpg", ".jpeg", ".gif")
TIMEOUT = 900  # seconds per example

CELL_SEPARATOR = re.compile(r"^(# %%.*|#{20,}\s*)$")
RST_TITLE_CHARS = "=-~^\"'`#*+<>"
# sphinx-gallery's convention: "=" for the title, "-" for sections, then "~"/"^".
RST_TITLE_LEVELS = {"=": 1, "-": 2, "~": 3, "^": 3, '"': 4}
ROLE = re.compile(r":(?:py:)?(?P<role>\w+):`(?P<body>[^`]+)`")
RST_LINK = re.compile(r"`(?P<text>[^`<]+?)\s*<(?P<url>[^>]+)>`__?")


@dataclass
class Cell:
    text: str  # Markdown
    code: str
    lineno: int = 1  # line of the script where the code starts


@dataclass
class Example:
    path: Path
    title: str
    intro: str  # Markdown
    cells: list = field(default_factory=list)

    @property
    def stem(self):
        return self.path.stem


# --- parsing ---------------------------------------------------------------

def rst_to_markdown(text, resolve=lambda target: None):
    """Convert the reST found in example prose to Markdown.

    Handles underlined titles (``=`` title, ``-`` section, ...), roles (links to documented sklstm objects via
    ``resolve``, inline code otherwise), ```text <url>`_`` links and the
    ``::`` literal-block marker. Markdown written directly passes through.
    """
    lines = text.splitlines()
    out, i = [], 0
    while i < len(lines):
        line = lines[i]
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        under = nxt.strip()
        if (line.strip() and under and len(set(under)) == 1
                and under[0] in RST_TITLE_CHARS and len(under) >= max(3, len(line.strip()))
                and not line.lstrip().startswith(("#", "-", "*", ">"))):
            level = RST_TITLE_LEVELS.get(under[0], 3)
            out.append("#" * level + " " + line.strip())
            i += 2
            continue
        out.append(line)
        i += 1
    text = "\n".join(out)

    def role(match):
        body = match["body"].strip()
        explicit = re.fullmatch(r"(?P<title>.+?)\s*<(?P<target>[^>]+)>", body)
        if explicit:
            title, target = explicit["title"], explicit["target"]
        else:
            target = body
            title = body[1:].rsplit(".", 1)[-1] if body.startswith("~") else body
        identifier = resolve(target.lstrip("~."))
        return f"[`{title}`][{identifier}]" if identifier else f"`{title}`"

    text = ROLE.sub(role, text)
    text = RST_LINK.sub(lambda m: f"[{m['text']}]({m['url']})", text)
    text = re.sub(r"(?<=\S)::[ \t]*$", ":", text, flags=re.MULTILINE)
    return text


def _split_docstring(source):
    """Return (docstring, rest of the source)."""
    match = re.match(r'\s*(?:[rRuU]?)("""|\'\'\')(?P<doc>.*?)\1[ \t]*\n?', source, re.DOTALL)
    if not match:
        return "", source
    return match["doc"], source[match.end():]


def _comment_text(lines):
    return "\n".join(re.sub(r"^# ?", "", line) for line in lines)


def parse_example(path, resolve=lambda target: None):
    """Split an example script into title, introduction and cells."""
    path = Path(path)
    source = path.read_text()
    doc, body = _split_docstring(source)
    doc_md = rst_to_markdown(doc.strip("\n"), resolve).strip()
    title_match = re.match(r"#+ (?P<title>.+)\n?", doc_md)
    if title_match:
        title, intro = title_match["title"].strip(), doc_md[title_match.end():].strip()
    else:
        first, _, rest = doc_md.partition("\n")
        title, intro = (first.strip() or path.stem), rest.strip()
    example = Example(path=path, title=title, intro=intro)

    first_line = source[:len(source) - len(body)].count("\n") + 1
    blocks, current = [], []  # lists of (line number, line)
    for number, line in enumerate(body.splitlines(), start=first_line):
        if CELL_SEPARATOR.match(line):
            blocks.append(current)
            current = []
            heading = line[4:].strip() if line.startswith("# %%") else ""
            if heading and not heading.startswith("["):
                current.append((number, f"# ## {heading}"))
        else:
            current.append((number, line))
    blocks.append(current)
    for block in blocks:
        while block and not block[0][1].strip():
            block.pop(0)
        text_lines = []
        while block and block[0][1].startswith("#"):  # the cell's prose
            text_lines.append(block.pop(0)[1])
        while block and not block[0][1].strip():
            block.pop(0)
        code = "\n".join(line for _, line in block).rstrip("\n")
        text = rst_to_markdown(_comment_text(text_lines), resolve).strip()
        if text or code:
            lineno = block[0][0] if block else 1
            example.cells.append(Cell(text=text, code=code, lineno=lineno))
    return example


# --- running ---------------------------------------------------------------

def source_hash(*paths):
    """Hash of ``paths`` and of sklstm's sources: the cache key of a result."""
    digest = hashlib.sha256()
    for path in paths:
        digest.update(Path(path).read_bytes())
    for source in sorted((ROOT / "sklstm").rglob("*")):
        if source.suffix in (".py", ".csv") and "__pycache__" not in source.parts:
            digest.update(source.relative_to(ROOT).as_posix().encode())
            digest.update(source.read_bytes())
    return digest.hexdigest()[:16]


def result_dir(path):
    return CACHE / f"{Path(path).stem}-{source_hash(path, __file__)}"


def load_result(path):
    """The cached run of ``path`` for its current sources, or None."""
    meta = result_dir(path) / "result.json"
    return json.loads(meta.read_text()) if meta.exists() else None


def _run_in_subprocess(path, tmp, *, fast=True, timeout=TIMEOUT):
    """Run ``path`` cell by cell in a fresh process writing to ``tmp``; its result."""
    tmp.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, MPLBACKEND="Agg", SKLSTM_FIGURES_DIR=str(tmp / "figures"))
    env.pop("SKLSTM_EXAMPLE_FAST", None)
    if fast:
        env["SKLSTM_EXAMPLE_FAST"] = "1"
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    start = time.perf_counter()
    try:
        proc = subprocess.run(
            [sys.executable, str(Path(__file__).resolve()), str(path), str(tmp)],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout, check=False,
        )
        returncode, stderr = proc.returncode, proc.stderr
    except subprocess.TimeoutExpired as exc:
        partial = exc.stderr.decode() if isinstance(exc.stderr, bytes) else exc.stderr or ""
        returncode, stderr = -1, f"{partial}\ntimed out after {timeout} s"
    cells_file = tmp / "cells.json"
    return {
        "returncode": returncode,
        "seconds": round(time.perf_counter() - start, 1),
        "stderr": stderr[-4000:],
        "cells": json.loads(cells_file.read_text()) if cells_file.exists() else [],
        "dir": str(tmp),
    }


def run_example(path):
    """Run one example in a subprocess (fast mode) unless cached; return its result."""
    out = result_dir(path)  # keyed by the sources as they are now
    if (out / "result.json").exists():
        return dict(json.loads((out / "result.json").read_text()), cached=True)
    tmp = out.with_name(out.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    result = _run_in_subprocess(path, tmp)
    if result["returncode"] != 0:
        return result  # failures are not cached: the next build retries
    result["dir"] = str(out)
    (tmp / "result.json").write_text(json.dumps(result, indent=1))
    shutil.rmtree(out, ignore_errors=True)
    tmp.rename(out)
    return result


def run_examples(paths, jobs=None):
    """Run the examples (``jobs`` at a time); return ``{path: result}``."""
    jobs = jobs or int(os.environ.get("SKLSTM_DOCS_JOBS", "2"))
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        return dict(zip(paths, pool.map(run_example, paths)))


def run_full(paths, record=FULL_RUNS):
    """Run each example as its user would (no fast mode), one at a time; keep
    its wall time and printed output in ``record`` for the gallery pages."""
    import platform
    import tempfile

    runs = json.loads(record.read_text()) if record.exists() else {}
    with tempfile.TemporaryDirectory() as tmp:
        for path in paths:
            result = _run_in_subprocess(path, Path(tmp) / Path(path).stem, fast=False,
                                        timeout=4 * 3600)
            if result["returncode"] != 0:
                print(f"{Path(path).name} failed:\n{result['stderr']}", file=sys.stderr)
                continue
            runs[Path(path).name] = {
                "date": time.strftime("%Y-%m-%d"),
                "seconds": result["seconds"],
                "cores": os.cpu_count(),
                "load_average": round(os.getloadavg()[0], 1),
                "python": platform.python_version(),
                "stdout": "".join(cell["stdout"] for cell in result["cells"]).rstrip(),
            }
            print(f"{Path(path).name}: {result['seconds']:.0f} s", flush=True)
            record.write_text(json.dumps(runs, indent=1, ensure_ascii=False) + "\n")


def load_full_run(path, record=FULL_RUNS):
    """The recorded full run of the example ``path``, or None."""
    runs = json.loads(record.read_text()) if record.exists() else {}
    return runs.get(Path(path).name)


def _figures(directory):
    if not directory.exists():
        return set()
    return {p.relative_to(directory).as_posix() for p in directory.rglob("*")
            if p.suffix.lower() in FIGURE_SUFFIXES}


def _run_cells(path, out):
    """Runner: execute the cells of ``path`` in order, recording each one's output."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    example = parse_example(path)
    figures_dir = Path(os.environ["SKLSTM_FIGURES_DIR"])
    # Run as `python path` would: the example is the __main__ module, so that
    # worker processes (multiprocessing, Dask) re-import the example itself.
    module = types.ModuleType("__main__")
    module.__file__ = str(Path(path).resolve())
    saved = sys.modules["__main__"], sys.argv
    sys.modules["__main__"], sys.argv = module, [str(path)]
    try:
        records, status = _exec_cells(example, module.__dict__, figures_dir, plt)
    finally:
        sys.modules["__main__"], sys.argv = saved
    (Path(out) / "cells.json").write_text(json.dumps(records, indent=1))
    return status


def _exec_cells(example, namespace, figures_dir, plt):
    records, seen, status = [], _figures(figures_dir), 0
    path = example.path
    for cell in example.cells:
        buf = io.StringIO()
        start = time.perf_counter()
        try:
            with contextlib.redirect_stdout(buf):
                # padded so that tracebacks show the script's own line numbers
                code = "\n" * (cell.lineno - 1) + (cell.code or "pass")
                exec(compile(code, str(path), "exec"), namespace)
        except Exception:  # report the example's own traceback, then stop
            traceback.print_exc()
            status = 1
        now = _figures(figures_dir)
        records.append({"stdout": buf.getvalue(), "figures": sorted(now - seen),
                        "seconds": round(time.perf_counter() - start, 2)})
        seen = now
        plt.close("all")
        if status:
            break
    return records, status


# --- pages -----------------------------------------------------------------

def _fence(text, lang):
    ticks = "```"
    while ticks in text:
        ticks += "`"
    return f"{ticks}{lang}\n{text.rstrip()}\n{ticks}"


def _short_run_note(example, full_run):
    """The admonition that says the page shows a short run, and the full run's output."""
    lines = ['!!! info "Short training run"',
             ("    The output and figures on this page come from a **short run** made "
              "when this site was built (`SKLSTM_EXAMPLE_FAST=1`: a shorter series, fewer "
              "epochs, smaller grids), so their scores are those of small models trained "
              "briefly. The script run as it is uses the full settings.")]
    if full_run:
        seconds = full_run["seconds"]
        took = f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.0f} min"
        lines += ["", (f"    A full run (`python {example.path.name}`, {took} on "
                       f"{full_run['cores']} cores at load average "
                       f"{full_run['load_average']}, {full_run['date']}) printed:"), "",
                  _indent(_fence(full_run["stdout"], "text"))]
    return lines + [""]


def example_page(example, result, figure_uri, script_name, full_run=None):
    """Markdown of one gallery page.

    ``figure_uri(relative_path)`` gives the page-relative link of a figure
    file; ``result`` is a run result or None (not run); ``full_run`` a
    recorded full run (:func:`load_full_run`) or None.
    """
    lines = [f"# {example.title}", ""]
    if example.intro:
        lines += [example.intro, ""]
    lines += [(f"[:material-download: Download `{example.path.name}`]({script_name})"
               "{ .md-button }"), ""]
    if result is None:
        lines += ['!!! note "Not run in this build"',
                  ("    Built with `SKLSTM_DOCS_GALLERY=skip`: figures and output "
                   "are not shown."), ""]
    elif result["returncode"] != 0:
        lines += ['!!! failure "This example failed in the docs build"', "",
                  _indent(_fence(result["stderr"].strip(), "text")), ""]
    else:
        lines += _short_run_note(example, full_run)
    records = (result or {}).get("cells", [])
    for k, cell in enumerate(example.cells):
        if cell.text:
            lines += [cell.text, ""]
        if cell.code:
            lines += [_fence(cell.code, "python"), ""]
        if k < len(records):
            record = records[k]
            if record["stdout"].strip():
                lines += ['??? abstract "Output"' if len(record["stdout"]) > 3000
                          else '!!! abstract "Output"', "",
                          _indent(_fence(record["stdout"].rstrip(), "text")), ""]
            for figure in record["figures"]:
                alt = Path(figure).stem.replace("_", " ")
                lines += [f"![{alt}]({figure_uri(figure)})", ""]
    return "\n".join(lines)


def _indent(text, prefix="    "):
    return "\n".join(prefix + line if line else line for line in text.splitlines())


if __name__ == "__main__":
    if sys.argv[1] == "--full":
        run_full([Path(p) for p in sys.argv[2:]])
    else:
        sys.exit(_run_cells(Path(sys.argv[1]), Path(sys.argv[2])))
