"""Plain entity classes mirroring ``mlflow.entities``: no protobuf, no I/O."""

from aiomlflow.entities.dataset import Dataset
from aiomlflow.entities.dataset_input import DatasetInput
from aiomlflow.entities.experiment import Experiment
from aiomlflow.entities.experiment_tag import ExperimentTag
from aiomlflow.entities.file_info import FileInfo
from aiomlflow.entities.input_tag import InputTag
from aiomlflow.entities.lifecycle_stage import LifecycleStage
from aiomlflow.entities.logged_model import LoggedModel
from aiomlflow.entities.logged_model_input import LoggedModelInput
from aiomlflow.entities.logged_model_output import LoggedModelOutput
from aiomlflow.entities.logged_model_parameter import LoggedModelParameter
from aiomlflow.entities.logged_model_status import LoggedModelStatus
from aiomlflow.entities.logged_model_tag import LoggedModelTag
from aiomlflow.entities.metric import Metric
from aiomlflow.entities.param import Param
from aiomlflow.entities.run import Run
from aiomlflow.entities.run_data import RunData
from aiomlflow.entities.run_info import RunInfo
from aiomlflow.entities.run_inputs import RunInputs
from aiomlflow.entities.run_outputs import RunOutputs
from aiomlflow.entities.run_status import RunStatus
from aiomlflow.entities.run_tag import RunTag
from aiomlflow.entities.source_type import SourceType
from aiomlflow.entities.view_type import ViewType

# Trace and assessment entities load on first use (PEP 562), with the tracing they serve.
_LAZY = {
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
