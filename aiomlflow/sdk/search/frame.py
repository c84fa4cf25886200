"""search_runs results as a pandas DataFrame, laid out and typed as MLflow's.

Columns: run_id, experiment_id, status, artifact_uri, start_time, end_time, then
``metrics.*`` (NaN where a run lacks the metric), ``params.*`` and ``tags.*`` (None
where missing).  Keys appear in the order runs first have them.  pandas infers each
column's dtype from the same Python values MLflow hands it, so dtypes agree with
MLflow's under every pandas version; only the time columns are built vectorised, then
cast to the dtype pandas infers for MLflow's per-row Timestamps.
"""

from __future__ import annotations

import math

_PANDAS_MISSING = (
    "mlflow.search_runs(output_format='pandas') needs pandas, which is not installed. "
    "Install it with `pip install 'aiomlflow[pandas]'`, or call "
    "search_runs(..., output_format='list') to get a list of Run objects.")

_INFO_COLUMNS = ("run_id", "experiment_id", "status", "artifact_uri", "start_time", "end_time")


def import_pandas():
    """pandas, or an ImportError that says how to install it."""
    try:
        import pandas
    except ImportError as exc:
        raise ImportError(_PANDAS_MISSING) from exc
    return pandas


def _time_column(pd, np, values: list):
    """Epoch-ms values (None allowed) → the column MLflow builds from
    ``pd.to_datetime(v, unit="ms", utc=True)`` per row."""
    present = [v for v in values if v is not None]
    if not present:
        # pandas infers this column from MLflow's list of nulls, whatever it makes of them
        return [pd.to_datetime(None, unit="ms", utc=True)] * len(values)
    sample = [pd.to_datetime(present[0], unit="ms", utc=True)]
    if len(present) < len(values):
        sample.append(pd.to_datetime(None, unit="ms", utc=True))
    dtype = pd.Series(sample).dtype
    if dtype == object:
        return [None if v is None else pd.to_datetime(v, unit="ms", utc=True) for v in values]
    if len(present) == len(values):
        converted = pd.to_datetime(np.asarray(values, dtype="int64"), unit="ms", utc=True)
    else:
        series = pd.Series(values, dtype="float64")
        converted = pd.to_datetime(series, unit="ms", utc=True)
    return pd.Series(converted).astype(dtype).array


def _key_order(dicts) -> list:
    """Keys of all dicts in order of first appearance."""
    seen: dict = {}
    update = seen.update
    for d in dicts:
        update(d)
    return list(seen)


def runs_to_dataframe(runs):
    """The DataFrame mlflow.search_runs returns for ``runs``."""
    pd = import_pandas()
    import numpy as np

    if not runs:
        return pd.DataFrame({name: [] for name in _INFO_COLUMNS})
    infos = [run.info for run in runs]
    datas = [run.data for run in runs]
    metric_dicts = [d.metrics for d in datas]
    param_dicts = [d.params for d in datas]
    tag_dicts = [d.tags for d in datas]
    data = {
        "run_id": [i.run_id for i in infos],
        "experiment_id": [i.experiment_id for i in infos],
        "status": [i.status for i in infos],
        "artifact_uri": [i.artifact_uri for i in infos],
        "start_time": _time_column(pd, np, [i.start_time for i in infos]),
        "end_time": _time_column(pd, np, [i.end_time for i in infos]),
    }
    nan = math.nan
    for key in _key_order(metric_dicts):
        data["metrics." + key] = np.array([d.get(key, nan) for d in metric_dicts],
                                          dtype="float64")
    for key in _key_order(param_dicts):
        data["params." + key] = [d.get(key) for d in param_dicts]
    for key in _key_order(tag_dicts):
        data["tags." + key] = [d.get(key) for d in tag_dicts]
    return pd.DataFrame(data)
