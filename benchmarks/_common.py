"""Shared helpers of the benchmarks: fresh subprocesses, repeats, medians.

Every contender runs in its own fresh Python process, so no contender
profits from another's imports, jitted functions or warmed-up allocator,
and peak RSS is the process's own. A benchmark script calls itself with
``--worker NAME [--arg JSON]``; the worker prints one JSON line (prefixed
``RESULT``) that the parent collects.
"""

import atexit
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "jax")  # as sklstm does, before Keras loads
ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


def machine():
    """One line describing the machine and the library versions."""
    import jax
    import keras
    import sklearn

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"keras {keras.__version__}, jax {jax.__version__}, "
        f"scikit-learn {sklearn.__version__}; load average "
        f"{', '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )


def run_worker(script, name, arg=None, env=None, timeout=1800):
    """Run ``script --worker name`` in a fresh process; return its result dict.

    The result also gets ``process_s``: the wall time of the whole process,
    interpreter start and imports included.
    """
    cmd = [PYTHON, str(script), "--worker", name]
    if arg is not None:
        cmd += ["--arg", json.dumps(arg)]
    full_env = dict(os.environ, PYTHONPATH=str(SKLSTM_ROOT or ROOT), PYTHONHASHSEED="0")
    full_env.setdefault("KERAS_BACKEND", "jax")
    full_env.update(env or {})
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=full_env, timeout=timeout)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"worker {name} failed:\n{proc.stdout}\n{proc.stderr}")
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            result = json.loads(line[len("RESULT "):])
            result["process_s"] = elapsed
            return result
    raise RuntimeError(f"worker {name} printed no RESULT line:\n{proc.stdout}\n{proc.stderr}")


SKLSTM_ROOT = None  # set by --pythonpath: import sklstm from another checkout


def checkout(revision, into):
    """The ``sklstm`` package of git ``revision``, extracted under ``into`` (for PYTHONPATH)."""
    import io
    import tarfile

    archive = subprocess.run(["git", "archive", revision, "sklstm"], cwd=ROOT, check=True,
                             capture_output=True).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return Path(into)


def add_pythonpath_arg(parser):
    """``--pythonpath DIR``: run the workers against the sklstm in DIR."""
    parser.add_argument(
        "--pythonpath", default=None,
        help="import sklstm from this checkout (e.g. one with a proposed patch)",
    )


def apply_pythonpath_arg(args):
    global SKLSTM_ROOT
    if args.pythonpath:
        SKLSTM_ROOT = Path(args.pythonpath).resolve()
        print(f"workers import sklstm from {SKLSTM_ROOT}")


def worker_main(workers):
    """Dispatch ``--worker NAME --arg JSON`` to ``workers[NAME](arg)``; print the result."""
    name = sys.argv[sys.argv.index("--worker") + 1]
    arg = json.loads(sys.argv[sys.argv.index("--arg") + 1]) if "--arg" in sys.argv else None
    result = workers[name](arg)
    print("RESULT " + json.dumps(result), flush=True)


def is_worker():
    return "--worker" in sys.argv


def summary(values):
    """``median [min-max]`` of a list of seconds."""
    med = statistics.median(values)
    return med, min(values), max(values)


def fmt(values, unit="s", scale=1.0, digits=2):
    med, lo, hi = summary([v * scale for v in values])
    if len(values) == 1:
        return f"{med:.{digits}f} {unit}"
    return f"{med:.{digits}f} {unit} [{lo:.{digits}f}-{hi:.{digits}f}]"


_TEMP_DIRS = []


def fresh_cache_dir():
    """An empty directory for a cold JAX compilation cache (removed at exit)."""
    path = tempfile.mkdtemp(prefix="sklstm-bench-cache-")
    _TEMP_DIRS.append(path)
    return path


@atexit.register
def _remove_temp_dirs():
    for path in _TEMP_DIRS:
        shutil.rmtree(path, ignore_errors=True)


def cpu_seconds():
    """User + system CPU time of this process so far."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def children_cpu_seconds():
    """User + system CPU time of this process's live child processes
    (loky workers), via psutil; 0.0 without psutil."""
    try:
        import psutil
    except ImportError:
        return 0.0
    total = 0.0
    for child in psutil.Process().children(recursive=True):
        try:
            times = child.cpu_times()
        except psutil.Error:
            continue
        total += times.user + times.system
    return total


def rss_mib():
    """Resident set size of this process now, in MiB (Linux ``/proc/self/statm``)."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def peak_rss_mib():
    """Peak resident set size of this process so far, in MiB (Linux)."""
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
