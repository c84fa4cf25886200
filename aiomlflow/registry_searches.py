"""The search contract between the SDK and the transports for the model registry: a
validated search of registered models or model versions.

``filters`` are :class:`~aiomlflow.searches.Comparison` of kind ``attribute`` (keys as
MLflow's parsed form names them: ``name``, ``run_id``, ``source_path``,
``version_number``) or ``tag``, AND-ed; values are typed (int for numeric attributes, a
tuple of str for IN lists).  ``order_by`` holds ``(key, ascending)`` with the store's
tie-breakers already appended.  The raw arguments travel along for the REST transport,
which sends them to the server as they were given.
"""

from __future__ import annotations

from dataclasses import dataclass

from .searches import Comparison

REGISTERED_MODELS = "registered_models"
MODEL_VERSIONS = "model_versions"


@dataclass(frozen=True)
class RegistrySearch:
    what: str                               # REGISTERED_MODELS or MODEL_VERSIONS
    filters: tuple[Comparison, ...]
    order_by: tuple[tuple[str, bool], ...]
    max_results: int
    offset: int
    raw_filter: str | None
    raw_order_by: tuple[str, ...]
    page_token: str | None
    # whether the filter asks for prompts (``tags.`mlflow.prompt.is_prompt` = 'true'``);
    # otherwise prompts are left out, as MLflow does
    prompts: bool = False
