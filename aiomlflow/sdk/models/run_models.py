"""A run's logged models seen through the run's artifact paths, as MLflow 3 does:
``list_artifacts(run_id, "model")`` lists the artifacts of the logged model named
``model`` that the run produced (``runs:/<run_id>/model`` downloads: model_loading.py)."""

from __future__ import annotations


def model_of_run(client, run_id: str, name: str):
    """The logged model called ``name`` whose source run is ``run_id``, or None."""
    experiment_id = client.get_run(run_id).info.experiment_id
    quoted = name.replace("'", "\\'")
    token = None
    while True:
        page = client.search_logged_models([experiment_id], filter_string=f"name = '{quoted}'",
                                           page_token=token)
        for model in page:
            if model.source_run_id == run_id:
                return model
        token = page.token
        if not token:
            return None


def _split(path: str | None) -> tuple[str, str]:
    name, _, rest = (path or "").strip("/").partition("/")
    return name, rest


def list_model_artifacts(client, run_id: str, path: str | None) -> list:
    """FileInfo of the run's model artifacts under ``path`` (``<model name>/...``),
    prefixed with the model's name; [] when no model of the run has that name."""
    from ...entities import FileInfo

    name, rest = _split(path)
    if not name:
        return []
    model = model_of_run(client, run_id, name)
    if model is None:
        return []
    return [FileInfo(f"{name}/{info.path}", info.is_dir, info.file_size)
            for info in client.list_logged_model_artifacts(model.model_id, rest or None)]
