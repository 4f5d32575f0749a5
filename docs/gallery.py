"""The examples gallery: ``examples/plot_*.py`` scripts as pages with their output.

The sphinx-gallery way. Each example is a plain script that a user runs as
it is (``python examples/plot_x.py``): a module docstring (title and
introduction), then cells separated by ``# %%`` lines, each cell opening with
comment lines of text. ``docs/hooks.py`` turns every script into a page:
text as Markdown, code as code blocks, each cell followed by what it printed
and by the matplotlib figures it left open, which the runner saves and
closes after the cell (``plt.show()`` does nothing there), as
sphinx-gallery's scraper does.

Runs are stored with the docs, in ``docs/gallery-runs/<stem>/`` (committed):
``run.json`` (the script's SHA-256, when and how long it ran, the versions,
each cell's output and figures) and the figures as PNG. A build reuses a
stored run while the script's hash matches it, and runs the script again,
whole and as a user would, when it changed, ``SKLSTM_DOCS_JOBS`` (default 1)
at a time; ``SKLSTM_DOCS_GALLERY=skip`` runs nothing. By hand::

    python docs/gallery.py examples/plot_x.py            # run it if it changed
    python docs/gallery.py --force examples/plot_*.py    # run them all again

``--force`` is for a change in sklstm that changes what an example prints;
``tests/test_examples.py`` checks that every stored run is that of its
script as it is, and runs every example on a small training budget.

Run as ``python docs/gallery.py --run-cells examples/plot_x.py OUT_DIR`` it
is the per-example runner: it executes the cells in order in one namespace
and writes, per cell, the printed output and the figures to ``OUT_DIR``.
"""

import contextlib
import hashlib
import io
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
import types
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUNS = ROOT / "docs" / "gallery-runs"  # one stored run per example, committed
TIMEOUT = 1800  # seconds per example
FIGURE_DPI = 100
VERSIONS = ("sklstm", "scikit-learn", "keras", "jax")

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
    """Hash of ``paths`` and of sklstm's sources (the guide's figures' cache key)."""
    digest = hashlib.sha256()
    for path in paths:
        digest.update(Path(path).read_bytes())
    for source in sorted((ROOT / "sklstm").rglob("*")):
        if source.suffix in (".py", ".csv") and "__pycache__" not in source.parts:
            digest.update(source.relative_to(ROOT).as_posix().encode())
            digest.update(source.read_bytes())
    return digest.hexdigest()[:16]


def script_hash(path):
    """SHA-256 of the script (line ends as LF, as git stores them): a stored
    run is reused while it matches."""
    return hashlib.sha256(Path(path).read_bytes().replace(b"\r\n", b"\n")).hexdigest()


def load_run(path, runs=RUNS):
    """The stored run of the script ``path`` as it is now, or None."""
    meta = Path(runs) / Path(path).stem / "run.json"
    if not meta.exists():
        return None
    run = json.loads(meta.read_text())
    if run.get("script_sha256") != script_hash(path):
        return None
    return dict(run, dir=str(meta.parent))


def run_script(path, out, *, env=None, timeout=TIMEOUT):
    """Run the script ``path`` cell by cell in a fresh process, writing to ``out``.

    Returns ``{"returncode", "seconds", "stderr", "cells"}``. The process
    runs in a scratch directory, so that anything the script writes lands
    there; ``env`` (default: this process's) gets ``MPLBACKEND=Agg``.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ if env is None else env, MPLBACKEND="Agg")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [env.get("PYTHONPATH"), str(ROOT)]))
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as scratch:
        # scripts written for the older contract save figures there too
        env["SKLSTM_FIGURES_DIR"] = str(Path(scratch) / "figures")
        try:
            proc = subprocess.run(
                [sys.executable, str(Path(__file__).resolve()), "--run-cells",
                 str(Path(path).resolve()), str(out.resolve())],
                cwd=scratch, env=env, capture_output=True, text=True, timeout=timeout,
                check=False,
            )
            returncode, stderr = proc.returncode, proc.stderr
        except subprocess.TimeoutExpired as exc:
            partial = exc.stderr.decode() if isinstance(exc.stderr, bytes) else exc.stderr or ""
            returncode, stderr = -1, f"{partial}\ntimed out after {timeout} s"
    cells_file = out / "cells.json"
    return {
        "returncode": returncode,
        "seconds": round(time.perf_counter() - start, 1),
        "stderr": stderr[-4000:],
        "cells": json.loads(cells_file.read_text()) if cells_file.exists() else [],
    }


def _versions():
    found = {}
    for name in VERSIONS:
        with contextlib.suppress(metadata.PackageNotFoundError):
            found[name] = metadata.version(name)
    return found


def run_example(path, *, force=False, runs=RUNS):
    """The stored run of ``path``; runs the script first if it changed (or ``force``).

    A successful run replaces the stored one; a failure is returned (with
    its ``stderr``) and never stored, so the next build tries again.
    """
    path, runs = Path(path), Path(runs)
    if not force and (stored := load_run(path, runs)) is not None:
        return dict(stored, cached=True)
    runs.mkdir(parents=True, exist_ok=True)
    new, old = runs / f".{path.stem}.new", runs / f".{path.stem}.old"
    for stale in (new, old):
        shutil.rmtree(stale, ignore_errors=True)
    result = run_script(path, new)
    if result["returncode"] != 0:
        shutil.rmtree(new, ignore_errors=True)
        return result
    run = {
        "script": path.name,
        "script_sha256": script_hash(path),
        "date": time.strftime("%Y-%m-%d"),
        "seconds": result["seconds"],
        "cores": os.cpu_count(),
        "load_average": round(os.getloadavg()[0], 1),
        "python": platform.python_version(),
        "versions": _versions(),
        "cells": result["cells"],
    }
    (new / "cells.json").unlink()
    (new / "run.json").write_text(json.dumps(run, indent=1, ensure_ascii=False) + "\n")
    final = runs / path.stem
    if final.exists():
        final.rename(old)
    new.rename(final)
    shutil.rmtree(old, ignore_errors=True)
    return dict(run, dir=str(final))


def failed(result):
    """Whether ``result`` is a failed run (a stored run has no return code)."""
    return result is not None and result.get("returncode", 0) != 0


def run_examples(paths, *, jobs=None, force=False, runs=RUNS):
    """:func:`run_example` for each path, ``jobs`` at a time; ``{path: result}``."""
    jobs = jobs or int(os.environ.get("SKLSTM_DOCS_JOBS", "1"))
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        results = pool.map(lambda p: run_example(p, force=force, runs=runs), paths)
        return dict(zip(paths, results))


def _figure_alt(fig, number):
    """Alt text of a figure: its suptitle, else its axes' titles."""
    suptitle = getattr(fig, "_suptitle", None)
    titles = [suptitle.get_text()] if suptitle is not None and suptitle.get_text() else [
        ax.get_title() for ax in fig.axes if ax.get_title()]
    text = "; ".join(titles) or f"figure {number}"
    return " ".join(text.split())


def _run_cells(path, out):
    """Runner: execute the cells of ``path`` in order, recording each one's output."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.show = lambda *args, **kwargs: None  # the runner saves the figures instead
    example = parse_example(path)
    # Run as `python path` would: the example is the __main__ module, so that
    # worker processes (multiprocessing, Dask) re-import the example itself.
    module = types.ModuleType("__main__")
    module.__file__ = str(Path(path).resolve())
    saved = sys.modules["__main__"], sys.argv
    sys.modules["__main__"], sys.argv = module, [str(path)]
    try:
        records, status = _exec_cells(example, module.__dict__, Path(out), plt)
    finally:
        sys.modules["__main__"], sys.argv = saved
    (Path(out) / "cells.json").write_text(json.dumps(records, indent=1, ensure_ascii=False))
    return status


def _exec_cells(example, namespace, out, plt):
    records, status, number = [], 0, 0
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
        figures = []
        for num in plt.get_fignums():
            number += 1
            fig = plt.figure(num)
            name = f"{path.stem}_{number:02d}.png"
            fig.savefig(out / name, dpi=FIGURE_DPI, bbox_inches="tight")
            figures.append({"file": name, "alt": _figure_alt(fig, number)})
        plt.close("all")
        records.append({"stdout": buf.getvalue(), "figures": figures,
                        "seconds": round(time.perf_counter() - start, 2)})
        if status:
            break
    return records, status


# --- pages -----------------------------------------------------------------

def _fence(text, lang):
    ticks = "```"
    while ticks in text:
        ticks += "`"
    return f"{ticks}{lang}\n{text.rstrip()}\n{ticks}"


def _run_note(example, run):
    """What the page shows: this script's own run, when, how long, with what."""
    seconds = run["seconds"]
    took = f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.0f} min"
    versions = run.get("versions", {})
    with_what = ", ".join(f"{name} {versions[name]}" for name in VERSIONS if name in versions)
    return ['!!! info "The output of the script as it is"',
            (f"    What this page shows is what `python {example.path.name}` printed and "
             f"drew on {run['date']}: it took {took} on {run['cores']} CPU cores "
             f"(load average {run['load_average']}), with Python {run['python']}"
             + (f", {with_what}" if with_what else "") + ". The docs keep that run "
             "and run the script again when it changes."), ""]


def example_page(example, result, figure_uri, script_name):
    """Markdown of one gallery page.

    ``result`` is a run (:func:`run_example`), a failed run, or None (not
    run); ``figure_uri(file)`` gives the page-relative link of a figure file.
    """
    lines = [f"# {example.title}", ""]
    if example.intro:
        lines += [example.intro, ""]
    lines += [(f"[:material-download: Download `{example.path.name}`]({script_name})"
               "{ .md-button }"), ""]
    if result is None:
        lines += ['!!! note "Not run in this build"',
                  ("    Built with `SKLSTM_DOCS_GALLERY=skip` and no stored run of the "
                   "script as it is: output and figures are not shown."), ""]
    elif failed(result):
        lines += ['!!! failure "This example failed in the docs build"', "",
                  _indent(_fence(result["stderr"].strip(), "text")), ""]
    else:
        lines += _run_note(example, result)
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
                alt = figure["alt"].replace("[", "(").replace("]", ")")
                lines += [f"![{alt}]({figure_uri(figure['file'])})", ""]
    return "\n".join(lines)


def _indent(text, prefix="    "):
    return "\n".join(prefix + line if line else line for line in text.splitlines())


def main(argv):
    if argv[:1] == ["--run-cells"]:
        return _run_cells(Path(argv[1]), Path(argv[2]))
    force = "--force" in argv
    paths = [Path(p) for p in argv if p != "--force"]
    if not paths:
        print(__doc__.split("\n\n")[0], "\nusage: python docs/gallery.py [--force] "
              "examples/plot_x.py ...", file=sys.stderr)
        return 2
    status = 0
    for path in paths:  # one at a time, so each time taken is its own
        result = run_example(path, force=force)
        if failed(result):
            print(f"{path.name} failed:\n{result['stderr']}", file=sys.stderr)
            status = 1
        else:
            how = "unchanged, kept" if result.get("cached") else f"ran in {result['seconds']:.0f} s"
            print(f"{path.name}: {how} -> {Path(result['dir']).relative_to(ROOT)}", flush=True)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
