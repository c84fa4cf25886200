"""Dataset inputs of a run: building them from ``mlflow.data`` datasets (the context as
the ``mlflow.data.context`` input tag) and MLflow 3.17.2's checks on them, applied at
the call site for every transport."""

from __future__ import annotations

from ...entities import Dataset as DatasetEntity
from ...entities import DatasetInput, InputTag, LoggedModelInput, LoggedModelOutput
from ...exceptions import INVALID_PARAMETER_VALUE, MlflowException
from .errors import MlflowTypeError, wrong_kind

DATASET_CONTEXT = "mlflow.data.context"

MAX_DATASET_NAME_SIZE = 500
MAX_DATASET_DIGEST_SIZE = 36
MAX_DATASET_SOURCE_SIZE = 65535
MAX_DATASET_SCHEMA_SIZE = 1048575
MAX_DATASET_PROFILE_SIZE = 16777215
MAX_INPUT_TAG_KEY_SIZE = 255
MAX_INPUT_TAG_VALUE_SIZE = 500


class _NotIterable(MlflowException, TypeError):
    """No list where MLflow fails iterating it: INTERNAL_ERROR from its SQL store, a
    TypeError from its REST client; ours is both."""

    def __init__(self, message: str):
        super().__init__(message)


def create_dataset_input(dataset, context: str | None = None,
                         tags: dict | None = None) -> DatasetInput | None:
    """The DatasetInput of an ``mlflow.data`` dataset with its tags, the context last;
    None for no dataset (then neither context nor tags may be given)."""
    if (context or tags) and dataset is None:
        raise MlflowException.invalid_parameter_value(
            "`dataset` must be specified if `context` or `tags` is specified.")
    if not dataset:
        return None
    to_entity = getattr(dataset, "_to_mlflow_entity", None)
    if to_entity is None:
        raise wrong_kind("dataset", dataset, "an mlflow.data dataset (from_numpy, from_pandas, "
                         "MetaDataset...)", "_to_mlflow_entity")
    input_tags = [InputTag(key, value) for key, value in (tags or {}).items()]
    if context:
        input_tags.append(InputTag(DATASET_CONTEXT, context))
    return DatasetInput(dataset=to_entity(), tags=input_tags)


def _too_long(field: str, limit: int) -> MlflowException:
    return MlflowException(f"'{field}' exceeds the maximum length of {limit} characters",
                           INVALID_PARAMETER_VALUE)


def _length(value, field: str) -> int:
    try:
        return len(value)
    except TypeError:
        raise MlflowTypeError(
            f"Invalid {field} {value!r}: expected a string (object of type "
            f"'{type(value).__name__}' has no len())") from None


def _plainly_valid(dataset, tags) -> bool:
    # the usual input, checked in one expression: str fields within MLflow's limits
    name, digest, source = dataset._name, dataset._digest, dataset._source
    schema, profile = dataset._schema, dataset._profile
    return (type(name) is str and len(name) <= MAX_DATASET_NAME_SIZE
            and type(digest) is str and len(digest) <= MAX_DATASET_DIGEST_SIZE
            and type(dataset._source_type) is str
            and type(source) is str and len(source) <= MAX_DATASET_SOURCE_SIZE
            and (schema is None or (type(schema) is str
                                    and len(schema) <= MAX_DATASET_SCHEMA_SIZE))
            and (profile is None or (type(profile) is str
                                     and len(profile) <= MAX_DATASET_PROFILE_SIZE))
            and all(type(t._key) is str and len(t._key) <= MAX_INPUT_TAG_KEY_SIZE
                    and type(t._value) is str and len(t._value) <= MAX_INPUT_TAG_VALUE_SIZE
                    for t in tags))


def validate_dataset(dataset) -> None:
    """MLflow's checks on a Dataset entity: every field present, none too long."""
    if dataset is None:
        raise MlflowException("Dataset cannot be None", INVALID_PARAMETER_VALUE)
    if not isinstance(dataset, DatasetEntity):
        raise wrong_kind("dataset of a DatasetInput", dataset, "an aiomlflow.entities.Dataset",
                         "name")
    for field in ("name", "digest", "source_type", "source"):
        if getattr(dataset, field) is None:
            raise MlflowException(f"Dataset {field} cannot be None", INVALID_PARAMETER_VALUE)
    for field, limit in (("name", MAX_DATASET_NAME_SIZE), ("digest", MAX_DATASET_DIGEST_SIZE),
                         ("source", MAX_DATASET_SOURCE_SIZE)):
        if _length(getattr(dataset, field), f"dataset {field}") > limit:
            raise _too_long(field, limit)
    for field, limit in (("schema", MAX_DATASET_SCHEMA_SIZE),
                         ("profile", MAX_DATASET_PROFILE_SIZE)):
        value = getattr(dataset, field)
        if value is not None and _length(value, f"dataset {field}") > limit:
            raise _too_long(field, limit)


def validate_input_tag(tag) -> None:
    """MLflow's checks on an input tag: key and value present and not too long."""
    # (None is a TypeError too: MLflow's REST client fails so, its SQL store as here)
    if tag is None:
        raise MlflowException("InputTag cannot be None", INVALID_PARAMETER_VALUE)
    if tag.key is None:
        raise MlflowTypeError("InputTag key cannot be None")
    if tag.value is None:
        raise MlflowTypeError("InputTag value cannot be None")
    if _length(tag.key, "InputTag key") > MAX_INPUT_TAG_KEY_SIZE:
        raise _too_long("key", MAX_INPUT_TAG_KEY_SIZE)
    if _length(tag.value, f"InputTag value for key {tag.key!r}") > MAX_INPUT_TAG_VALUE_SIZE:
        raise _too_long("value", MAX_INPUT_TAG_VALUE_SIZE)


def validate_dataset_inputs(dataset_inputs) -> list[DatasetInput]:
    """The DatasetInputs, checked as MLflow's store checks them (a list is required)."""
    if dataset_inputs is None:
        return []
    if not isinstance(dataset_inputs, list):
        raise MlflowTypeError(f"Argument 'datasets' should be a list, got "
                              f"'{type(dataset_inputs)}'")
    for dataset_input in dataset_inputs:
        if not isinstance(dataset_input, DatasetInput):
            raise wrong_kind("dataset input", dataset_input, "an aiomlflow.entities.DatasetInput",
                             "dataset")
        dataset = dataset_input.dataset
        if type(dataset) is DatasetEntity and _plainly_valid(dataset, dataset_input.tags):
            continue
        validate_dataset(dataset)
        for tag in dataset_input.tags:
            validate_input_tag(tag)
    return list(dataset_inputs)


def validate_model_inputs(models) -> list[LoggedModelInput]:
    """LoggedModelInputs (each naming a model id)."""
    models = list(models or ())
    for model in models:
        if not isinstance(model, LoggedModelInput):
            raise wrong_kind("model input", model, "an aiomlflow.entities.LoggedModelInput",
                             "model_id")
    return models


def validate_model_outputs(models) -> list[LoggedModelOutput]:
    """LoggedModelOutputs (a model id and a step); None fails as in MLflow."""
    if models is None:
        raise _NotIterable("Invalid model outputs None: expected a list of "
                           "LoggedModelOutput ('NoneType' object is not iterable)")
    models = list(models)
    for model in models:
        if not isinstance(model, LoggedModelOutput):
            raise wrong_kind("model output", model, "an aiomlflow.entities.LoggedModelOutput",
                             "model_id")
    return models
