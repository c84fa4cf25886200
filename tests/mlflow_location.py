"""The experiment location class of the module under test (its home differs: mlflow
3.17.2 has it in mlflow.entities.trace_location, aiomlflow exports it from entities)."""


def experiment_location(mlflow, experiment_id: str):
    """An MlflowExperimentLocation for ``experiment_id`` of ``mlflow``'s own classes."""
    import importlib

    module = importlib.import_module(f"{mlflow.__name__}.entities.trace_location")
    return module.MlflowExperimentLocation(experiment_id=experiment_id)
