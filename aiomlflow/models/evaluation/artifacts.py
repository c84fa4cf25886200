"""``mlflow.models.evaluation.artifacts``: the kinds of evaluation artifacts."""

from aiomlflow.sdk.evaluation.artifacts import (
    CsvEvaluationArtifact,
    ImageEvaluationArtifact,
    JsonEvaluationArtifact,
    NumpyEvaluationArtifact,
    ParquetEvaluationArtifact,
    PickleEvaluationArtifact,
    TextEvaluationArtifact,
)

__all__ = ["CsvEvaluationArtifact", "ImageEvaluationArtifact", "JsonEvaluationArtifact",
           "NumpyEvaluationArtifact", "ParquetEvaluationArtifact", "PickleEvaluationArtifact",
           "TextEvaluationArtifact"]
