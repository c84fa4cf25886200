"""``mlflow.utils.validation``: MLflow's limits, and its validators under their names."""

from aiomlflow.sdk.validation import (  # noqa: F401
    MAX_ENTITIES_PER_BATCH,
    MAX_ENTITY_KEY_LENGTH,
    MAX_EXPERIMENT_NAME_LENGTH,
    MAX_METRICS_PER_BATCH,
    MAX_PARAM_VAL_LENGTH,
    MAX_PARAMS_TAGS_PER_BATCH,
    MAX_TAG_VAL_LENGTH,
    validate_run_id as _validate_run_id,
)
