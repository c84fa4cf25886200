"""MlflowClient's logged-model methods (mixed into MlflowClient).

Writes are queued calls (``engine.call``: in order with the data logged before them),
reads run at once (``engine.read``).  Validation and wording are MLflow 3.17.2's.
"""

from __future__ import annotations

from ... import store_errors
from ...entities import LoggedModel, LoggedModelStatus
from ...exceptions import INVALID_PARAMETER_VALUE, MlflowException
from . import known

# What MLflow's client adds to a failed lookup before set_logged_model_tags and
# log_model_params.
_TAGS_HINT = ("If you are attempting to set tags on a Registered Model Version, use "
              "`set_model_version_tag` instead.")
_PARAMS_HINT = ("If you are attempting to log parameters to a Registered Model Version, "
                "this is not supported.")


def validate_model_id(model_id) -> None:
    """MLflow's check that a model id was given at all."""
    if not model_id:
        raise MlflowException(f"`model_id` must be a non-empty string, but got {model_id!r}",
                              INVALID_PARAMETER_VALUE)


def _pairs(items: dict | None) -> list[tuple[str, str]]:
    return [(str(key), str(value)) for key, value in (items or {}).items()]


def as_status(status) -> LoggedModelStatus:
    """A status name (``"READY"``) or LoggedModelStatus; anything else fails as in MLflow
    (its client turns a string into the enum, which raises ValueError for an unknown
    name)."""
    if isinstance(status, LoggedModelStatus):
        return status
    if isinstance(status, str):
        return LoggedModelStatus(status)  # ValueError: "'BAD' is not a valid LoggedModelStatus"
    raise MlflowException.invalid_parameter_value(
        f"Invalid logged model status {status!r}: expected one of "
        f"{[s.value for s in LoggedModelStatus]} or a LoggedModelStatus.")


class LoggedModelClientMethods:
    """The logged-model half of MlflowClient (``self._engine`` is its engine)."""

    def create_logged_model(self, experiment_id: str, name: str | None = None,
                            source_run_id: str | None = None, tags: dict | None = None,
                            params: dict | None = None,
                            model_type: str | None = None) -> LoggedModel:
        """Create a new logged model (PENDING) in an experiment; return it."""
        return self._create_logged_model(experiment_id, name, source_run_id, tags, params,
                                         model_type)

    def _create_logged_model(self, experiment_id: str, name: str | None = None,
                             source_run_id: str | None = None, tags: dict | None = None,
                             params: dict | None = None, model_type: str | None = None,
                             flavor: str | None = None, serialization_format: str | None = None,
                             uses_uv: bool = False) -> LoggedModel:
        # (flavor, serialization_format and uses_uv are MLflow's telemetry-only arguments;
        # the store checks the name, as MLflow's: a server takes "" for no name)
        if experiment_id is None:
            raise MlflowException.invalid_parameter_value(
                "experiment_id must be specified to create a logged model.")
        if name is None:
            from ..run_names import random_run_name

            name = random_run_name()
        engine = self._engine
        model = engine.call("create_logged_model", str(experiment_id), name, source_run_id,
                            _pairs(tags), _pairs(params), model_type)
        known.remember(engine.tracking_uri, model)
        return model

    def get_logged_model(self, model_id: str) -> LoggedModel:
        """The logged model with this id (RESOURCE_DOES_NOT_EXIST if there is none)."""
        validate_model_id(model_id)
        engine = self._engine
        model = engine.read("get_logged_model", str(model_id))
        known.remember(engine.tracking_uri, model)
        return model

    def _logged_model_or(self, model_id, hint: str) -> None:
        # MLflow's client looks the model up first and words a failure as access trouble
        try:
            self.get_logged_model(model_id)
        except MlflowException:
            raise store_errors.logged_model_access_error(model_id, hint) from None

    def log_model_params(self, model_id: str, params: dict) -> None:
        """Log params (values stringified) to a logged model."""
        validate_model_id(model_id)
        self._logged_model_or(model_id, _PARAMS_HINT)
        self._engine.call("log_logged_model_params", str(model_id), _pairs(params))

    def finalize_logged_model(self, model_id: str, status) -> LoggedModel:
        """Set a model's final status (``"READY"``, ``"FAILED"`` or a LoggedModelStatus)."""
        validate_model_id(model_id)
        return self._engine.call("finalize_logged_model", str(model_id), as_status(status))

    def delete_logged_model(self, model_id: str) -> None:
        """Mark a logged model deleted."""
        validate_model_id(model_id)
        engine = self._engine
        engine.call("delete_logged_model", str(model_id))
        known.forget(engine.tracking_uri, str(model_id))

    def set_logged_model_tags(self, model_id: str, tags: dict) -> None:
        """Set tags (keys and values stringified) on a logged model."""
        validate_model_id(model_id)
        self._logged_model_or(model_id, _TAGS_HINT)
        self._engine.call("set_logged_model_tags", str(model_id), _pairs(tags))

    def delete_logged_model_tag(self, model_id: str, key: str) -> None:
        """Delete a tag of a logged model."""
        validate_model_id(model_id)
        self._engine.call("delete_logged_model_tag", str(model_id), key)

    def search_logged_models(self, experiment_ids: list[str], filter_string: str | None = None,
                             datasets: list[dict] | None = None, max_results: int | None = None,
                             order_by: list[dict] | None = None,
                             page_token: str | None = None):
        """One page of the logged models of the experiments that match: a PagedList whose
        ``token`` fetches the next page (see search_logged_models for the grammar)."""
        from ..search.query import PagedList
        from .search import logged_model_search  # (the grammar loads on first search)

        query = logged_model_search(experiment_ids, filter_string, datasets, max_results,
                                    order_by, page_token)
        models, token = self._engine.read("search_logged_models", query)
        return PagedList(models, token)

    # ---------------------------------------------------------------- model artifacts
    def _model_root(self, model_id: str) -> str:
        validate_model_id(model_id)
        return self.get_logged_model(model_id).artifact_location

    def log_model_artifact(self, model_id: str, local_path: str,
                           artifact_path: str | None = None) -> None:
        """Upload a local file (or directory) to the model's artifact directory."""
        from . import artifacts

        artifacts.log_file(self._engine, self._model_root(model_id), local_path, artifact_path)

    def log_model_artifacts(self, model_id: str, local_dir: str,
                            artifact_path: str | None = None) -> None:
        """Upload every file of a local directory to the model's artifact directory."""
        from . import artifacts

        artifacts.log_tree(self._engine, self._model_root(model_id), local_dir, artifact_path)

    def list_logged_model_artifacts(self, model_id: str, path: str | None = None) -> list:
        """FileInfo of the model's artifacts directly under ``path``."""
        from ..artifacts import reads

        engine = self._engine
        return reads.list_under(engine, self._model_root(model_id), path)

    # ---------------------------------------------------------------- run links
    def log_inputs(self, run_id: str, datasets=None, models=None) -> None:
        """Record DatasetInputs and LoggedModelInputs as inputs of a run (checked here as
        MLflow's store checks them; queued in order with the run's other writes, waited
        for unless MLFLOW_ENABLE_ASYNC_LOGGING is on)."""
        from .. import validation
        from ..data import inputs

        validation.validate_run_id(run_id)
        datasets = inputs.validate_dataset_inputs(datasets)
        models = inputs.validate_model_inputs(models)
        self._submit_call("log_inputs", run_id, datasets, models)

    def log_outputs(self, run_id: str, models: list) -> None:
        """Record LoggedModelOutputs (a model and the step it was logged at) as outputs
        of a run."""
        from .. import validation
        from ..data import inputs

        validation.validate_run_id(run_id)
        self._submit_call("log_outputs", run_id, inputs.validate_model_outputs(models))

    def _submit_call(self, method: str, *args) -> None:
        # a queued transport call, in order with the data logged before it; synchronous
        # as the run-data path is (MLFLOW_ENABLE_ASYNC_LOGGING), failures then reach
        # flush_async_logging
        from ...batches import CALL
        from ...config import synchronous_mode

        engine = self._engine
        engine.finish(engine.submit(CALL, None, method, args), synchronous_mode(None))
