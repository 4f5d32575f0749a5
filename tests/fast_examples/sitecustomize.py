"""A small training budget for the examples, from outside their code.

``tests/test_examples.py`` runs every ``examples/plot_*.py`` as it is, with
this directory first on ``PYTHONPATH``, so Python imports this file at the
start of that process and of every process it starts (Dask's workers too).
It caps training and nothing else: each ``LSTMRegressor`` fit runs at most
``EPOCHS`` epochs, and each ``LSTMForecaster`` fit at most ``MAX_STEPS``
steps (or ``EPOCHS`` passes where an example still sets the deprecated
``epochs``). The data, grids and folds stay the example's own, so
the test checks that the example runs against the current code, not what it
scores; the gallery shows what it scores (``docs/gallery.py``). The code a
user reads carries no test branch.
"""

import importlib.abc
import sys

EPOCHS = 2
MAX_STEPS = 20


def _cap_regressor(module):
    cls = module.LSTMRegressor
    fit = cls.fit

    def fit_briefly(self, X, y, sample_weight=None, **kwargs):
        # SciKeras's fit takes epochs=, which wins over the parameter for
        # this call only: get_params() and clone() see the example's value
        kwargs["epochs"] = min(kwargs.get("epochs", self.epochs), EPOCHS)
        return fit(self, X, y, sample_weight=sample_weight, **kwargs)

    cls.fit = fit_briefly


def _cap_forecaster(module):
    cls = module.LSTMForecaster
    fit = cls.fit

    def fit_briefly(self, X, y, **kwargs):  # kwargs: sample_weight, as fit takes it
        saved = self.max_steps, self.epochs
        if self.epochs != "deprecated":
            self.epochs = min(self.epochs, EPOCHS)
        else:
            self.max_steps = MAX_STEPS if saved[0] == "auto" else min(saved[0], MAX_STEPS)
        try:
            return fit(self, X, y, **kwargs)
        finally:
            self.max_steps, self.epochs = saved

    cls.fit = fit_briefly


PATCHES = {"sklstm._regressor": _cap_regressor, "sklstm._forecaster": _cap_forecaster}


class _PatchOnImport(importlib.abc.MetaPathFinder):
    """Patches a module of PATCHES right after it is first executed."""

    def find_spec(self, name, path, target=None):
        if name not in PATCHES:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(name, path, target)
            if spec is not None:
                break
        else:
            return None
        exec_module = spec.loader.exec_module

        def exec_and_patch(module):
            exec_module(module)
            PATCHES[name](module)

        spec.loader.exec_module = exec_and_patch
        return spec


if "_pytest" not in sys.modules:  # at interpreter start-up, never inside a test run
    sys.meta_path.insert(0, _PatchOnImport())
