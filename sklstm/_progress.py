"""A tqdm progress bar over the fits of scikit-learn searches.

scikit-learn runs the fits of ``GridSearchCV`` and ``cross_validate`` through
``joblib.Parallel`` and offers no callback. Every ``Parallel`` (sequential or
with worker processes) calls its ``print_progress`` method in the calling
process after each finished task; while :func:`fit_progress` is active that
method also advances a tqdm bar.
"""

from contextlib import contextmanager

import joblib
from tqdm.auto import tqdm


@contextmanager
def fit_progress(total, *, disable=False, desc="fits", file=None):
    """Count the tasks finished by every ``joblib.Parallel`` run in the block.

    Parameters
    ----------
    total : int
        Expected number of tasks (fits) in the block.

    disable : bool, default=False
        No bar at all (``--quiet``).

    desc : str, default="fits"
        Text before the bar.

    file : file-like or None, default=None
        Where the bar is drawn; None is standard error.

    Yields
    ------
    bar : tqdm.tqdm
        The bar; call ``bar.update(n)`` for work done outside joblib (a
        refit, say).

    Examples
    --------
    >>> import io
    >>> from joblib import Parallel, delayed
    >>> from sklstm._progress import fit_progress
    >>> with fit_progress(4, file=io.StringIO()) as bar:
    ...     _ = Parallel(n_jobs=1)(delayed(abs)(-i) for i in range(4))
    >>> bar.n
    4
    """
    bar = tqdm(total=total, desc=desc, unit="fit", disable=disable,
               file=file, dynamic_ncols=True)
    original = joblib.Parallel.print_progress

    def print_progress(parallel):
        done = parallel.n_completed_tasks
        seen = getattr(parallel, "_sklstm_seen", 0)
        if done > seen:
            bar.update(done - seen)
            parallel._sklstm_seen = done
        return original(parallel)

    joblib.Parallel.print_progress = print_progress
    try:
        yield bar
    finally:
        joblib.Parallel.print_progress = original
        bar.close()
