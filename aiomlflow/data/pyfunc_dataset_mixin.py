"""``mlflow.data.pyfunc_dataset_mixin``: PyFuncConvertibleDatasetMixin, PyFuncInputsOutputs."""

from aiomlflow.sdk.data.pyfunc_mixin import PyFuncConvertibleDatasetMixin, PyFuncInputsOutputs

__all__ = ["PyFuncConvertibleDatasetMixin", "PyFuncInputsOutputs"]
