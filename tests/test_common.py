"""scikit-learn's estimator checks on every estimator of sklstm, in one place.

Every expected failure carries the reason no windowing transformer,
forecaster or SciKeras-based regressor can pass it. The SciKeras hooks
LSTMRegressor overrides are pinned to the SciKeras version they were written
for.
"""

import pytest
import scikeras
from scikeras.wrappers import KerasRegressor
from sklearn.utils.estimator_checks import (
    check_global_output_transform_pandas,
    check_global_set_output_transform_polars,
    check_set_output_transform,
    check_set_output_transform_pandas,
    check_set_output_transform_polars,
    parametrize_with_checks,
)

from sklstm import LSTMForecaster, LSTMRegressor, PersistenceRegressor, SequenceWindower

ORDER = (
    "a window holds the rows before it (and a batch that continues the fitted "
    "rows, their remembered end), so transforming a shuffled copy or a subset "
    "of the rows gives other windows by design"
)
WINDOW_FAILURES = {
    "check_methods_sample_order_invariance": ORDER,
    "check_methods_subset_invariance": ORDER,
}
FORECASTER_FAILURES = {
    **WINDOW_FAILURES,
    "check_sample_weight_equivalence_on_dense_data": (
        "repeating a row inserts a time step, so the repeated data has other windows "
        "than the weighted data (rows of weight 0 are pinned by "
        "test_rows_of_weight_zero_count_for_nothing)"
    ),
}
REGRESSOR_FAILURES = {
    "check_estimator_tags_renamed": (
        "SciKeras 0.13's BaseWrapper defines the legacy _more_tags; "
        "LSTMRegressor defines __sklearn_tags__ (tested in test_regressor.py)"
    ),
    "check_mixin_order": (
        "SciKeras 0.13's KerasRegressor lists RegressorMixin after BaseWrapper, "
        "so no subclass can put it first; __sklearn_tags__ sets the regressor tags"
    ),
    "check_sample_weight_equivalence_on_dense_data": (
        "float32 training: integer weights and repeated rows give the same fit to "
        "about 4e-7 relative (weighted rows and repeats are summed in another "
        "order), but the check asks for rtol=1e-7; zero weights do match removed "
        "rows (they are dropped). Pinned by test_integer_weights_match_repeated_"
        "rows_up_to_float32_rounding"
    ),
}


def _expected_failed_checks(estimator):
    return {
        SequenceWindower: WINDOW_FAILURES,
        LSTMRegressor: REGRESSOR_FAILURES,
        # each row is predicted from the window of rows before it
        LSTMForecaster: FORECASTER_FAILURES,
        PersistenceRegressor: {},  # every check passes
    }[type(estimator)]


# the ORDER checks transform one row at a time, which the windower warns about
@pytest.mark.filterwarnings("ignore:SequenceWindower takes this one row:UserWarning")
@parametrize_with_checks(
    [
        SequenceWindower(sequence_length=3),
        SequenceWindower(sequence_length=3, padding="edge", flatten=True),
        LSTMRegressor(units=4, epochs=2, random_state=0),
        PersistenceRegressor(),
        PersistenceRegressor(target_column=-1),
    ],
    expected_failed_checks=_expected_failed_checks,
)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)


@pytest.mark.slow  # ~40 fits on differently shaped data: 40 s with a cold compilation cache
# the WINDOW_FAILURES checks predict one row at a time, which the windower warns about
@pytest.mark.filterwarnings("ignore:SequenceWindower takes this one row:UserWarning")
@parametrize_with_checks(
    [LSTMForecaster(sequence_length=3, units=4, max_steps=2, random_state=0)],
    expected_failed_checks=_expected_failed_checks,
)
def test_sklearn_compatible_forecaster(estimator, check):
    check(estimator)


@pytest.mark.parametrize("check", [check_set_output_transform, check_set_output_transform_pandas,
                                   check_global_output_transform_pandas,
                                   check_set_output_transform_polars,
                                   check_global_set_output_transform_polars])
def test_sklearn_set_output_checks_pass_for_the_flat_form(check):
    check("SequenceWindower", SequenceWindower(3, flatten=True, padding="edge"))


# SciKeras 0.13's private methods LSTMRegressor overrides (each says why in its
# first line). A new SciKeras may rename, drop or stop calling them: check them
# all against its source before raising the pin in pyproject.toml.
SCIKERAS_HOOKS = {
    "_get_param_names", "_check_model_param", "_get_compile_kwargs", "_validate_sample_weight",
    "_validate_data", "_build_keras_model", "_fit_keras_model",
}


# SciKeras 0.13's private state LSTMRegressor reads (besides its hooks): the seed it
# draws in fit, the callbacks it initialises, and the method that does it.
SCIKERAS_STATE = {"_random_state": "self._random_state =",
                  "_fit_callbacks": "self._fit_callbacks =",
                  "_initialize_callbacks": "def _initialize_callbacks(self)"}


def test_the_scikeras_state_lstmregressor_reads_is_that_of_the_pinned_version():
    import inspect
    import re

    from sklstm import _regressor

    ours = inspect.getsource(_regressor)
    theirs = inspect.getsource(inspect.getmodule(KerasRegressor))
    own = set(re.findall(r"def (_\w+)", ours)) | set(re.findall(r"self\.(_\w+)\s*=", ours))
    read = set(re.findall(r"self\.(_\w+)", ours)) - own | {"_random_state"}
    assert read == set(SCIKERAS_STATE), read
    for name, where in SCIKERAS_STATE.items():
        assert where in theirs, name


def test_the_overridden_scikeras_hooks_are_those_of_the_pinned_version():
    assert scikeras.__version__.startswith("0.13."), scikeras.__version__
    overridden = {name for name in vars(LSTMRegressor)
                  if name.startswith("_") and not name.startswith("__")
                  and hasattr(KerasRegressor, name)}
    assert overridden == SCIKERAS_HOOKS
    # each says in one line why (a comment naming it a SciKeras hook)
    import inspect

    for name in SCIKERAS_HOOKS:
        source = inspect.getsource(getattr(LSTMRegressor, name))
        assert "# SciKeras hook: " in source, name
