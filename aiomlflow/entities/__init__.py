"""Plain entity classes mirroring ``mlflow.entities``: no protobuf, no I/O."""

from aiomlflow.entities.experiment import Experiment
from aiomlflow.entities.experiment_tag import ExperimentTag
from aiomlflow.entities.lifecycle_stage import LifecycleStage
from aiomlflow.entities.metric import Metric
from aiomlflow.entities.param import Param
from aiomlflow.entities.run import Run
from aiomlflow.entities.run_data import RunData
from aiomlflow.entities.run_info import RunInfo
from aiomlflow.entities.run_status import RunStatus
from aiomlflow.entities.run_tag import RunTag
from aiomlflow.entities.source_type import SourceType
from aiomlflow.entities.view_type import ViewType

# Dataset, logged-model and file entities, and the trace and assessment ones, load on
# first use (PEP 562), with the features they serve: `import aiomlflow` stays cheap.
_LAZY = {
    "Dataset": "dataset",
    "DatasetInput": "dataset_input",
    "FileInfo": "file_info",
    "InputTag": "input_tag",
    "LoggedModel": "logged_model",
    "LoggedModelInput": "logged_model_input",
    "LoggedModelOutput": "logged_model_output",
    "LoggedModelParameter": "logged_model_parameter",
    "LoggedModelStatus": "logged_model_status",
    "LoggedModelTag": "logged_model_tag",
    "RunInputs": "run_inputs",
    "RunOutputs": "run_outputs",
    **dict.fromkeys(("Assessment", "Expectation", "ExpectationValue", "Feedback",
                     "FeedbackValue", "IssueReference"), "assessment"),
    "AssessmentError": "assessment_error",
    **dict.fromkeys(("AssessmentSource", "AssessmentSourceType"), "assessment_source"),
    **dict.fromkeys(("LiveSpan", "NoOpSpan", "Span", "SpanLogLevel", "SpanType"), "span"),
    "SpanEvent": "span_event",
    **dict.fromkeys(("SpanStatus", "SpanStatusCode"), "span_status"),
    "Trace": "trace",
    "TraceData": "trace_data",
    "TraceInfo": "trace_info",
    **dict.fromkeys(("MlflowExperimentLocation", "TraceLocation", "TraceLocationBase",
                     "TraceLocationType", "UCSchemaLocation"), "trace_location"),
    "TraceState": "trace_state",
}


def __getattr__(name: str):
    import importlib

    if name == "model_registry":  # the registry's entities, a subpackage loaded on use
        value = importlib.import_module(f"{__name__}.model_registry")
        globals()[name] = value
        return value
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_LAZY) | {"model_registry"})

__all__ = [
    "Assessment",
    "AssessmentError",
    "AssessmentSource",
    "AssessmentSourceType",
    "Dataset",
    "DatasetInput",
    "Experiment",
    "ExperimentTag",
    "Expectation",
    "ExpectationValue",
    "Feedback",
    "FeedbackValue",
    "FileInfo",
    "InputTag",
    "IssueReference",
    "LifecycleStage",
    "LoggedModel",
    "LoggedModelInput",
    "LoggedModelOutput",
    "LoggedModelParameter",
    "LoggedModelStatus",
    "LoggedModelTag",
    "Metric",
    "Param",
    "Run",
    "RunData",
    "RunInfo",
    "RunInputs",
    "RunOutputs",
    "RunStatus",
    "RunTag",
    "SourceType",
    "LiveSpan",
    "MlflowExperimentLocation",
    "NoOpSpan",
    "Span",
    "SpanEvent",
    "SpanLogLevel",
    "SpanStatus",
    "SpanStatusCode",
    "SpanType",
    "Trace",
    "TraceData",
    "TraceInfo",
    "TraceLocation",
    "TraceLocationBase",
    "TraceLocationType",
    "TraceState",
    "UCSchemaLocation",
    "ViewType",
]
