"""Picking the prediction column out of a model's output."""

from __future__ import annotations

from ...exceptions import MlflowException

_NO_COLUMN = ("Output column name is not specified for the multi-output model. Please set the "
              "correct output column name using the `predictions` parameter.")


def split_outputs(outputs, column: str | None):
    """(predictions, the other output columns or None, the prediction column's name) of a
    model output: a list of dicts, a DataFrame or a dict selects ``column`` (or its only
    column); anything else is the predictions as they are."""
    import pandas as pd

    if isinstance(outputs, list) and outputs and all(isinstance(p, dict) for p in outputs):
        if column in outputs[0]:
            return (pd.Series([p.get(column) for p in outputs], name=column),
                    pd.DataFrame([{k: v for k, v in p.items() if k != column}
                                  for p in outputs]), column)
        if len(outputs[0]) == 1:
            key, value = next(iter(outputs[0].items()))
            return pd.Series(value, name=key), None, key
        if column is None:
            raise MlflowException.invalid_parameter_value(_NO_COLUMN)
        raise MlflowException.invalid_parameter_value(
            f"Output column name '{column}' is not found in the model predictions list: "
            f"{outputs}. Please set the correct output column name using the `predictions` "
            "parameter.")
    if isinstance(outputs, pd.DataFrame):
        if column in outputs.columns:
            return outputs[column], outputs.drop(columns=column), column
        if len(outputs.columns) == 1:
            only = outputs.columns[0]
            return outputs[only], None, only
        if column is None:
            raise MlflowException.invalid_parameter_value(_NO_COLUMN)
        raise MlflowException.invalid_parameter_value(
            f"Output column name '{column}' is not found in the model predictions dataframe "
            f"{outputs.columns}. Please set the correct output column name using the "
            "`predictions` parameter.")
    if isinstance(outputs, dict):
        if column in outputs:
            return (pd.Series(outputs[column], name=column),
                    pd.DataFrame({k: v for k, v in outputs.items() if k != column}), column)
        if len(outputs) == 1:
            key, value = next(iter(outputs.items()))
            return pd.Series(value, name=key), None, key
        if column is None:
            raise MlflowException.invalid_parameter_value(_NO_COLUMN)
        raise MlflowException.invalid_parameter_value(
            f"Output column name '{column}' is not found in the model predictions dict "
            f"{outputs}. Please set the correct output column name using the `predictions` "
            "parameter.")
    return outputs, None, column
