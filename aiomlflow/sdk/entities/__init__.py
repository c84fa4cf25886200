"""Plain entity classes mirroring ``mlflow.entities``: no protobuf, no I/O."""

from aiomlflow.sdk.entities.dataset import Dataset
from aiomlflow.sdk.entities.dataset_input import DatasetInput
from aiomlflow.sdk.entities.experiment import Experiment
from aiomlflow.sdk.entities.experiment_tag import ExperimentTag
from aiomlflow.sdk.entities.file_info import FileInfo
from aiomlflow.sdk.entities.input_tag import InputTag
from aiomlflow.sdk.entities.lifecycle_stage import LifecycleStage
from aiomlflow.sdk.entities.logged_model_input import LoggedModelInput
from aiomlflow.sdk.entities.logged_model_output import LoggedModelOutput
from aiomlflow.sdk.entities.metric import Metric
from aiomlflow.sdk.entities.param import Param
from aiomlflow.sdk.entities.run import Run
from aiomlflow.sdk.entities.run_data import RunData
from aiomlflow.sdk.entities.run_info import RunInfo
from aiomlflow.sdk.entities.run_inputs import RunInputs
from aiomlflow.sdk.entities.run_outputs import RunOutputs
from aiomlflow.sdk.entities.run_status import RunStatus
from aiomlflow.sdk.entities.run_tag import RunTag
from aiomlflow.sdk.entities.source_type import SourceType
from aiomlflow.sdk.entities.view_type import ViewType

__all__ = [
    "Dataset",
    "DatasetInput",
    "Experiment",
    "ExperimentTag",
    "FileInfo",
    "InputTag",
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
    "ViewType",
]
