"""Plain entity classes mirroring ``mlflow.entities``: no protobuf, no I/O."""

from aiomlflow.entities.assessment import (
    Assessment, Expectation, ExpectationValue, Feedback, FeedbackValue, IssueReference,
)
from aiomlflow.entities.assessment_error import AssessmentError
from aiomlflow.entities.assessment_source import AssessmentSource, AssessmentSourceType
from aiomlflow.entities.dataset import Dataset
from aiomlflow.entities.dataset_input import DatasetInput
from aiomlflow.entities.experiment import Experiment
from aiomlflow.entities.experiment_tag import ExperimentTag
from aiomlflow.entities.file_info import FileInfo
from aiomlflow.entities.input_tag import InputTag
from aiomlflow.entities.lifecycle_stage import LifecycleStage
from aiomlflow.entities.logged_model_input import LoggedModelInput
from aiomlflow.entities.logged_model_output import LoggedModelOutput
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
from aiomlflow.entities.span import LiveSpan, NoOpSpan, Span, SpanLogLevel, SpanType
from aiomlflow.entities.span_event import SpanEvent
from aiomlflow.entities.span_status import SpanStatus, SpanStatusCode
from aiomlflow.entities.trace import Trace
from aiomlflow.entities.trace_data import TraceData
from aiomlflow.entities.trace_info import TraceInfo
from aiomlflow.entities.trace_location import (
    MlflowExperimentLocation,
    TraceLocation,
    TraceLocationBase,
    TraceLocationType,
    UCSchemaLocation,
)
from aiomlflow.entities.trace_state import TraceState
from aiomlflow.entities.view_type import ViewType

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
    "LoggedModelInput",
    "LoggedModelOutput",
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
