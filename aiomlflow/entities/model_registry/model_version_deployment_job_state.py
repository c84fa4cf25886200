"""ModelVersionDeploymentJobState: a model version's deployment job (Databricks only;
open-source stores leave it None)."""

from __future__ import annotations

from aiomlflow.entities.model_registry._entity import _RegistryEntity


class ModelVersionDeploymentJobState(_RegistryEntity):
    """Deployment job state object associated with a model version."""

    def __init__(self, job_id, run_id, job_state, run_state, current_task_name):
        self._job_id = job_id
        self._run_id = run_id
        self._job_state = job_state
        self._run_state = run_state
        self._current_task_name = current_task_name

    @property
    def job_id(self):
        return self._job_id

    @property
    def run_id(self):
        return self._run_id

    @property
    def job_state(self):
        return self._job_state

    @property
    def run_state(self):
        return self._run_state

    @property
    def current_task_name(self):
        return self._current_task_name

    @classmethod
    def from_dict(cls, d: dict) -> "ModelVersionDeploymentJobState":
        """Parse MLflow's REST JSON form."""
        return cls(d.get("job_id", ""), d.get("run_id", ""),
                   d.get("job_state", "DEPLOYMENT_JOB_CONNECTION_STATE_UNSPECIFIED"),
                   d.get("run_state", "DEPLOYMENT_JOB_RUN_STATE_UNSPECIFIED"),
                   d.get("current_task_name", ""))
