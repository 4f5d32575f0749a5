"""Write the sklstm 0.2 saves of tests/test_persistence.py's compatibility test.

They were written by sklstm 0.2.0 (commit c152858) and are kept as files; to
write them again, run this with that version on the path::

    git archive c152858 | tar -x -C /tmp/v0.2
    PYTHONPATH=/tmp/v0.2 python tests/data/make_saves_v0_2.py tests/data

0.2 built the network of ``trend="highway"`` with a function it saved by
name (``sklstm._forecaster.build_highway_model``), and kept a single series'
columns in X's order; the target here is X's second column, so that both
show.
"""

import sys

import numpy as np
import pandas as pd

from sklstm import LSTMForecaster, save_estimator


def main(out):
    t = np.arange(60.0)
    frame = pd.DataFrame({"x": np.cos(t / 4), "y": np.sin(t / 5) + t / 30, "z": np.sin(t / 3)})
    X, y = frame.iloc[:-1], frame["y"].iloc[1:].to_numpy()
    Y2 = np.column_stack([frame["y"].shift(-1), frame["z"].shift(-1)])[:-1]
    tiny = dict(sequence_length=3, units=2, epochs=2, random_state=0)
    models = {
        "highway": LSTMForecaster(**tiny, target_column="y", trend="highway").fit(X, y),
        "highway_panel": LSTMForecaster(**tiny, target_column=["y", "z"],
                                        trend="highway").fit(X, Y2),
        "diff": LSTMForecaster(**tiny, target_column="y").fit(X, y),
    }
    for name, model in models.items():
        save_estimator(model, f"{out}/forecaster_0.2_{name}.zip")
    np.savez(
        f"{out}/forecaster_0.2_predictions.npz", X=X.to_numpy(), columns=np.array(list(X.columns)),
        **{name: model.predict(X) for name, model in models.items()},
        highway_interval=np.array(models["highway"].predict_interval(X, coverage=0.5)),
    )


if __name__ == "__main__":
    main(sys.argv[1])
