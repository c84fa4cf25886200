"""The REST transport's model-registry methods: MLflow 3.17.2's ``registered-models/...``
and ``model-versions/...`` endpoints.

=====================================  ==================================================
create / rename registered model       POST   registered-models/create, /rename
update / delete registered model       PATCH  registered-models/update, DELETE /delete
get / search registered models         GET    registered-models/get, /search
get_latest_versions                    POST   registered-models/get-latest-versions
set / delete registered model tag      POST   registered-models/set-tag, DELETE /delete-tag
aliases                                POST / DELETE / GET registered-models/alias
create / transition model version      POST   model-versions/create, /transition-stage
update / delete model version          PATCH  model-versions/update, DELETE /delete
get / search / download uri            GET    model-versions/get, /search, /get-download-uri
set / delete model version tag         POST   model-versions/set-tag, DELETE /delete-tag
=====================================  ==================================================

Writes go through the transport's ``_write`` (never ahead of journaled run data); the
server validates and words its errors as MLflow's SQL store, and answers become the
entities MLflow's REST client builds (versions as strings).
"""

from __future__ import annotations

from ...entities.model_registry import ModelVersion, RegisteredModel


def _pairs(items) -> list[dict]:
    return [{"key": key, "value": value} for key, value in items]


def _search_params(query) -> list[tuple[str, str]]:
    params = [("max_results", str(query.max_results))]
    if query.raw_filter:
        params.append(("filter", query.raw_filter))
    params.extend(("order_by", clause) for clause in query.raw_order_by)
    if query.page_token:
        token = query.page_token
        params.append(("page_token", token.decode() if isinstance(token, bytes) else token))
    return params


class RestRegistryMethods:
    """Mixed into RestTransport (``_get``, ``_write``, ``_caught_up``, ``_http``)."""

    async def create_registered_model(self, name, tags, description):
        body = {"name": name, "tags": _pairs(tags)}
        if description is not None:
            body["description"] = description
        answer = await self._write("registered-models/create", body)
        return RegisteredModel.from_dict(answer.get("registered_model") or {})

    async def get_registered_model(self, name):
        answer = await self._get("registered-models/get", name=name)
        return RegisteredModel.from_dict(answer.get("registered_model") or {})

    async def update_registered_model(self, name, description):
        body = {"name": name}
        if description is not None:
            body["description"] = description
        answer = await self._write("registered-models/update", body, "PATCH")
        return RegisteredModel.from_dict(answer.get("registered_model") or {})

    async def rename_registered_model(self, name, new_name):
        answer = await self._write("registered-models/rename",
                                   {"name": name, "new_name": new_name})
        return RegisteredModel.from_dict(answer.get("registered_model") or {})

    async def delete_registered_model(self, name):
        await self._write("registered-models/delete", {"name": name}, "DELETE")

    async def set_registered_model_tag(self, name, key, value):
        await self._write("registered-models/set-tag", {"name": name, "key": key, "value": value})

    async def delete_registered_model_tag(self, name, key):
        await self._write("registered-models/delete-tag", {"name": name, "key": key}, "DELETE")

    async def get_latest_versions(self, name, stages):
        await self._caught_up()
        answer = await self._http.call("POST", "registered-models/get-latest-versions",
                                       {"name": name, "stages": list(stages or ())})
        return [ModelVersion.from_dict(v) for v in answer.get("model_versions", ())]

    async def create_model_version(self, name, source, run_id, tags, run_link, description,
                                   model_id, storage_location):
        # (storage_location is the SQL store's own column: the server works it out from
        # the source, as MLflow's REST client leaves it to the server)
        body = {"name": name, "source": source, "tags": _pairs(tags)}
        for field, value in (("run_id", run_id), ("run_link", run_link),
                             ("description", description), ("model_id", model_id)):
            if value is not None:
                body[field] = value
        answer = await self._write("model-versions/create", body)
        return ModelVersion.from_dict(answer.get("model_version") or {})

    async def get_model_version(self, name, version):
        answer = await self._get("model-versions/get", name=name, version=str(version))
        return ModelVersion.from_dict(answer.get("model_version") or {})

    async def update_model_version(self, name, version, description):
        body = {"name": name, "version": str(version)}
        if description is not None:
            body["description"] = description
        answer = await self._write("model-versions/update", body, "PATCH")
        return ModelVersion.from_dict(answer.get("model_version") or {})

    async def transition_model_version_stage(self, name, version, stage, archive_existing):
        answer = await self._write("model-versions/transition-stage", {
            "name": name, "version": str(version), "stage": stage,
            "archive_existing_versions": bool(archive_existing)})
        return ModelVersion.from_dict(answer.get("model_version") or {})

    async def delete_model_version(self, name, version):
        await self._write("model-versions/delete", {"name": name, "version": str(version)},
                          "DELETE")

    async def get_model_version_download_uri(self, name, version):
        answer = await self._get("model-versions/get-download-uri", name=name,
                                 version=str(version))
        return answer.get("artifact_uri")

    async def set_model_version_tag(self, name, version, key, value):
        await self._write("model-versions/set-tag",
                          {"name": name, "version": str(version), "key": key, "value": value})

    async def delete_model_version_tag(self, name, version, key):
        await self._write("model-versions/delete-tag",
                          {"name": name, "version": str(version), "key": key}, "DELETE")

    async def set_registered_model_alias(self, name, alias, version):
        await self._write("registered-models/alias",
                          {"name": name, "alias": alias, "version": str(version)})

    async def delete_registered_model_alias(self, name, alias):
        await self._write("registered-models/alias", {"name": name, "alias": alias}, "DELETE")

    async def get_model_version_by_alias(self, name, alias):
        answer = await self._get("registered-models/alias", name=name, alias=alias)
        return ModelVersion.from_dict(answer.get("model_version") or {})

    async def search_registry(self, query):
        from ...registry_searches import REGISTERED_MODELS

        await self._caught_up()
        if query.what == REGISTERED_MODELS:
            answer = await self._http.call("GET", "registered-models/search",
                                           params=_search_params(query))
            items = [RegisteredModel.from_dict(m) for m in answer.get("registered_models", ())]
        else:
            answer = await self._http.call("GET", "model-versions/search",
                                           params=_search_params(query))
            items = [ModelVersion.from_dict(v) for v in answer.get("model_versions", ())]
        # (MLflow's REST client hands back "" on the last page)
        return items, answer.get("next_page_token", "")
