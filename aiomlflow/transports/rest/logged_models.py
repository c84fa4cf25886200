"""The REST transport's logged-model methods: MLflow 3.17.2's ``logged-models``
endpoints, and ``runs/log-inputs`` / ``runs/outputs`` for the run links.

=====================================  =========================================
create_logged_model                    POST   logged-models (the first 100 params;
                                       the rest POST logged-models/<id>/params)
get_logged_model                       GET    logged-models/<id>
finalize_logged_model                  PATCH  logged-models/<id>
delete_logged_model                    DELETE logged-models/<id>
set_logged_model_tags                  PATCH  logged-models/<id>/tags
delete_logged_model_tag                DELETE logged-models/<id>/tags/<key>
log_logged_model_params                POST   logged-models/<id>/params (100 a time)
search_logged_models                   POST   logged-models/search
=====================================  =========================================

Writes go through the transport's ``_write``, so they never overtake run data still in
the journal; answers become the entities the SQLite transport returns.
"""

from __future__ import annotations

from urllib.parse import quote

from ...entities import LoggedModel

# MLflow's client sends at most this many params with a create and per params request.
PARAMS_PER_REQUEST = 100


def _path(model_id: str) -> str:
    return f"logged-models/{quote(str(model_id), safe='')}"


def _pairs(items) -> list[dict]:
    return [{"key": key, "value": value} for key, value in items]


class RestLoggedModelMethods:
    """Mixed into RestTransport (``_get``, ``_post``, ``_write``, ``_caught_up``)."""

    async def create_logged_model(self, experiment_id, name, source_run_id, tags, params,
                                  model_type):
        params = list(params)
        body: dict = {"experiment_id": str(experiment_id)}
        for field, value in (("name", name), ("model_type", model_type),
                             ("source_run_id", source_run_id)):
            if value is not None:
                body[field] = value
        body["params"] = _pairs(params[:PARAMS_PER_REQUEST])
        body["tags"] = _pairs(tags)
        answer = await self._write("logged-models", body)
        model = LoggedModel.from_dict(answer.get("model") or {})
        if len(params) > PARAMS_PER_REQUEST:
            await self.log_logged_model_params(model.model_id, params[PARAMS_PER_REQUEST:])
            model = await self.get_logged_model(model.model_id)
        return model

    async def get_logged_model(self, model_id, allow_deleted=False):
        answer = await self._get(_path(model_id),
                                 allow_deleted="true" if allow_deleted else None)
        return LoggedModel.from_dict(answer.get("model") or {})

    async def finalize_logged_model(self, model_id, status):
        answer = await self._write(_path(model_id), {"model_id": model_id,
                                                     "status": status.to_rest()}, "PATCH")
        return LoggedModel.from_dict(answer.get("model") or {})

    async def delete_logged_model(self, model_id):
        await self._write(_path(model_id), {"model_id": model_id}, "DELETE")

    async def set_logged_model_tags(self, model_id, tags):
        await self._write(f"{_path(model_id)}/tags", {"tags": _pairs(tags)}, "PATCH")

    async def delete_logged_model_tag(self, model_id, key):
        await self._write(f"{_path(model_id)}/tags/{quote(str(key), safe='')}", None,
                          "DELETE")

    async def log_logged_model_params(self, model_id, params):
        params = list(params)
        for start in range(0, len(params), PARAMS_PER_REQUEST):
            await self._write(f"{_path(model_id)}/params", {
                "model_id": model_id,
                "params": _pairs(params[start:start + PARAMS_PER_REQUEST])})

    async def search_logged_models(self, query):
        body: dict = {"experiment_ids": list(query.experiment_ids)}
        if query.filter_string:
            body["filter"] = query.filter_string
        if query.datasets:
            body["datasets"] = [
                {k: v for k, v in (("dataset_name", d["dataset_name"]),
                                   ("dataset_digest", d.get("dataset_digest")))
                 if v is not None}
                for d in query.datasets]
        if query.max_results is not None:
            body["max_results"] = query.max_results
        if query.order_by:
            body["order_by"] = [
                {k: v for k, v in (("field_name", o.get("field_name")),
                                   ("ascending", o.get("ascending", True)),
                                   ("dataset_name", o.get("dataset_name")),
                                   ("dataset_digest", o.get("dataset_digest")))
                 if v is not None}
                for o in query.order_by]
        if query.page_token:
            body["page_token"] = query.page_token
        await self._caught_up()
        answer = await self._post("logged-models/search", body)
        models = [LoggedModel.from_dict(m) for m in answer.get("models") or ()]
        return models, answer.get("next_page_token") or None

    async def log_inputs(self, run_id, datasets, models):
        body: dict = {"run_id": run_id}
        if datasets:
            body["datasets"] = [d.to_rest_dict() for d in datasets]
        if models:
            body["models"] = [m.to_rest_dict() for m in models]
        await self._write("runs/log-inputs", body)

    async def log_outputs(self, run_id, models):
        await self._write("runs/outputs", {"run_id": run_id,
                                           "models": [m.to_rest_dict() for m in models]})
