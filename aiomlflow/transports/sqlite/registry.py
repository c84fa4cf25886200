"""The model registry on MLflow 3.17.2's SQLite schema: ``registered_models``,
``registered_model_tags``, ``registered_model_aliases``, ``model_versions`` and
``model_version_tags``, all in the ``default`` workspace.

Synchronous functions run on the connection's worker thread, each write one transaction.
Rows are what MLflow's SQL store writes: versions numbered per model from 1, stage
``None`` and status ``READY`` at creation; a deleted version keeps its row with stage
``Deleted_Internal`` and its source, run id and run link redacted; aliases are rows of
(name, alias, version).  Entities are built as that store builds them: versions as
ints, aliases filled in on single-version answers only.
"""

from __future__ import annotations

import sqlite3

import orjson

from ...entities.model_registry import (
    ALL_STAGES, STAGE_ARCHIVED, STAGE_DELETED_INTERNAL, STAGE_NONE, ModelVersion,
    RegisteredModel, RegisteredModelAlias, RegisteredModelTag,
    get_canonical_stage,
)
from ...exceptions import (
    INVALID_PARAMETER_VALUE, RESOURCE_ALREADY_EXISTS, RESOURCE_DOES_NOT_EXIST, MlflowException,
)
from ...registry_searches import REGISTERED_MODELS, RegistrySearch
from ...searches import TAG, create_page_token
from ...utils.time import get_current_time_millis as now_ms
from .features import json_functions, json_nests_subquery
from .reads import in_ids, paused_gc, snapshot
from .writes import transaction

WORKSPACE = "default"
IS_PROMPT_TAG_KEY = "mlflow.prompt.is_prompt"
_ACTIVE_STAGES = ("Staging", "Production")

_MODEL_COLUMNS = "name, creation_time, last_updated_time, description"
_VERSION_FIELDS = ("name", "version", "creation_time", "last_updated_time", "description",
                   "user_id", "current_stage", "source", "run_id", "status", "status_message",
                   "run_link")


def _version_columns(t: str) -> str:
    """The columns of a version row of table alias ``t``, then its tags as a JSON object
    (NULL where SQLite has no JSON functions: they are then read separately)."""
    columns = ", ".join(f"{t}.{field}" for field in _VERSION_FIELDS)
    if not json_functions():
        return f"{columns}, NULL"
    return (f"{columns}, (SELECT json_group_object(g.key, g.value) FROM model_version_tags g "
            f"WHERE g.workspace = {t}.workspace AND g.name = {t}.name "
            f"AND g.version = {t}.version)")


def _version_json(t: str) -> str:
    """A version row of table alias ``t`` as one JSON array: the ``_VERSION_FIELDS``,
    then its tags as an object (the row ModelVersion._from_row takes).  One
    text column a row, decoded by orjson, costs less to read than thirteen."""
    columns = ", ".join(f"{t}.{field}" for field in _VERSION_FIELDS)
    tags = (f"(SELECT json_group_object(g.key, g.value) FROM model_version_tags g "
            f"WHERE g.workspace = {t}.workspace AND g.name = {t}.name "
            f"AND g.version = {t}.version)")
    if not json_nests_subquery():
        tags = f"json({tags})"
    return f"json_array({columns}, {tags})"


_VERSION_SQL_KEYS = {"name": "name", "run_id": "run_id", "source_path": "source",
                     "version_number": "version", "creation_timestamp": "creation_time",
                     "last_updated_timestamp": "last_updated_time"}
_MODEL_SQL_KEYS = {"name": "name", "last_updated_timestamp": "last_updated_time",
                   "creation_timestamp": "creation_time"}


# ----------------------------------------------------------------------------- errors
def model_not_found(name) -> MlflowException:
    return MlflowException(f"Registered Model with name={name} not found",
                           RESOURCE_DOES_NOT_EXIST)


def version_not_found(name, version) -> MlflowException:
    return MlflowException(f"Model Version (name={name}, version={version}) not found",
                           RESOURCE_DOES_NOT_EXIST)


# ----------------------------------------------------------------------------- entities
def _versions(db, rows, with_aliases: bool = False) -> list[ModelVersion]:
    """ModelVersion entities of ``_version_columns`` rows, with their tags (and their
    aliases if ``with_aliases``)."""
    if not rows:
        return []
    names = sorted({row[0] for row in rows})
    aliases: dict[tuple, list] = {}
    if with_aliases:
        for name, alias, version in in_ids(
                db, "SELECT name, alias, version FROM registered_model_aliases "
                    "WHERE workspace = ? AND name IN ({ids}) ORDER BY rowid", names,
                (WORKSPACE,)):
            aliases.setdefault((name, version), []).append(alias)
    make = ModelVersion._from_row
    if json_functions():
        loads = orjson.loads
        with paused_gc():
            # (one pass: a search may build tens of thousands of these)
            return [
                make((*row[:12], {} if row[12] == "{}" else loads(row[12])),
                     aliases.get((row[0], row[1])) or [], WORKSPACE)
                for row in rows
            ]
    wanted = {(row[0], row[1]) for row in rows}
    tags: dict[tuple, dict] = {}
    for name, version, key, value in in_ids(
            db, "SELECT name, version, key, value FROM model_version_tags "
                "WHERE workspace = ? AND name IN ({ids})", names, (WORKSPACE,)):
        if (name, version) in wanted:
            tags.setdefault((name, version), {})[key] = value
    with paused_gc():
        return [
            make((*row[:12], tags.get((row[0], row[1])) or {}),
                 aliases.get((row[0], row[1])) or [], WORKSPACE)
            for row in rows
        ]


def _latest_versions(db, names: list[str]) -> dict[str, list[ModelVersion]]:
    """The highest version of each stage of each model (deleted ones left out)."""
    rows = in_ids(
        db, f"SELECT {_version_columns('v')} FROM model_versions v WHERE v.workspace = ? "
            "AND v.name IN ({ids}) AND v.current_stage != 'Deleted_Internal' AND v.version = ("
            "SELECT MAX(version) FROM model_versions w WHERE w.workspace = v.workspace "
            "AND w.name = v.name AND w.current_stage = v.current_stage) ORDER BY v.version",
        names, (WORKSPACE,))
    latest: dict[str, list] = {}
    for version in _versions(db, rows):
        latest.setdefault(version.name, []).append(version)
    return latest


def _models(db, rows) -> list[RegisteredModel]:
    names = [row[0] for row in rows]
    tags: dict[str, list] = {}
    for name, key, value in in_ids(
            db, "SELECT name, key, value FROM registered_model_tags WHERE workspace = ? "
                "AND name IN ({ids})", names, (WORKSPACE,)):
        tags.setdefault(name, []).append(RegisteredModelTag(key, value))
    aliases: dict[str, list] = {}
    for name, alias, version in in_ids(
            db, "SELECT name, alias, version FROM registered_model_aliases WHERE workspace = ? "
                "AND name IN ({ids}) ORDER BY rowid", names, (WORKSPACE,)):
        aliases.setdefault(name, []).append(RegisteredModelAlias(alias, version))
    latest = _latest_versions(db, names)
    return [RegisteredModel(row[0], row[1], row[2], row[3], latest.get(row[0], []),
                            tags.get(row[0]), aliases.get(row[0]), workspace=WORKSPACE)
            for row in rows]


def _model_row(db, name):
    row = db.execute(f"SELECT {_MODEL_COLUMNS} FROM registered_models WHERE workspace = ? "
                     "AND name = ?", (WORKSPACE, name)).fetchone()
    if row is None:
        raise model_not_found(name)
    return row


def _version_row(db, name, version):
    row = db.execute(f"SELECT {_version_columns('v')} FROM model_versions v WHERE "
                     "v.workspace = ? AND v.name = ? AND v.version = ? "
                     "AND v.current_stage != 'Deleted_Internal'",
                     (WORKSPACE, name, version)).fetchone()
    if row is None:
        raise version_not_found(name, version)
    return row


def _version(db, name, version) -> ModelVersion:
    return _versions(db, [_version_row(db, name, version)], with_aliases=True)[0]


# ----------------------------------------------------------------------------- models
def create_registered_model(db, name, tags, description) -> RegisteredModel:
    now = now_ms()
    try:
        with transaction(db):
            db.execute("INSERT INTO registered_models (name, creation_time, last_updated_time, "
                       "description, workspace) VALUES (?, ?, ?, ?, ?)",
                       (name, now, now, description, WORKSPACE))
            db.executemany("INSERT OR REPLACE INTO registered_model_tags (key, value, name, "
                           "workspace) VALUES (?, ?, ?, ?)",
                           [(key, value, name, WORKSPACE) for key, value in tags])
    except sqlite3.IntegrityError:
        raise MlflowException(f"Registered Model (name={name}) already exists.",
                              RESOURCE_ALREADY_EXISTS) from None
    return get_registered_model(db, name)


def get_registered_model(db, name) -> RegisteredModel:
    with snapshot(db):
        return _models(db, [_model_row(db, name)])[0]


def update_registered_model(db, name, description) -> RegisteredModel:
    with transaction(db):
        _model_row(db, name)
        db.execute("UPDATE registered_models SET description = ?, last_updated_time = ? "
                   "WHERE workspace = ? AND name = ?", (description, now_ms(), WORKSPACE, name))
        return _models(db, [_model_row(db, name)])[0]


def rename_registered_model(db, name, new_name) -> RegisteredModel:
    now = now_ms()
    try:
        with transaction(db):
            _model_row(db, name)
            # parent first: with foreign keys on, SQLite cascades the children itself
            db.execute("UPDATE registered_models SET name = ?, last_updated_time = ? "
                       "WHERE workspace = ? AND name = ?", (new_name, now, WORKSPACE, name))
            db.execute("UPDATE model_versions SET name = ?, last_updated_time = ? "
                       "WHERE workspace = ? AND name IN (?, ?)",
                       (new_name, now, WORKSPACE, name, new_name))
            for table in ("registered_model_tags", "registered_model_aliases",
                          "model_version_tags"):
                db.execute(f"UPDATE {table} SET name = ? WHERE workspace = ? AND name = ?",
                           (new_name, WORKSPACE, name))
            return _models(db, [_model_row(db, new_name)])[0]
    except sqlite3.IntegrityError as exc:
        raise MlflowException(f"Registered Model (name={new_name}) already exists. "
                              f"Error: {exc}", RESOURCE_ALREADY_EXISTS) from None


def delete_registered_model(db, name) -> None:
    with transaction(db):
        _model_row(db, name)
        for table in ("model_version_tags", "registered_model_aliases", "model_versions",
                      "registered_model_tags", "registered_models"):
            db.execute(f"DELETE FROM {table} WHERE workspace = ? AND name = ?",
                       (WORKSPACE, name))


def set_registered_model_tag(db, name, key, value) -> None:
    with transaction(db):
        _model_row(db, name)
        db.execute("INSERT INTO registered_model_tags (key, value, name, workspace) "
                   "VALUES (?, ?, ?, ?) ON CONFLICT (workspace, key, name) DO UPDATE SET "
                   "value = excluded.value", (key, value, name, WORKSPACE))


def delete_registered_model_tag(db, name, key) -> None:
    with transaction(db):
        _model_row(db, name)
        db.execute("DELETE FROM registered_model_tags WHERE workspace = ? AND name = ? "
                   "AND key = ?", (WORKSPACE, name, key))


def get_latest_versions(db, name, stages) -> list[ModelVersion]:
    expected = {get_canonical_stage(stage) for stage in (stages or ALL_STAGES)}
    with snapshot(db):
        _model_row(db, name)
        versions = [v for v in _latest_versions(db, [name]).get(name, [])
                    if v.current_stage in expected]
        aliases = db.execute("SELECT alias, version FROM registered_model_aliases "
                             "WHERE workspace = ? AND name = ? ORDER BY rowid",
                             (WORKSPACE, name)).fetchall()
    for version in versions:
        version.aliases = [alias for alias, number in aliases if number == version.version]
    return versions


# ----------------------------------------------------------------------------- versions
def create_model_version(db, name, source, run_id, tags, run_link, description,
                         storage_location) -> ModelVersion:
    now = now_ms()
    with transaction(db):
        _model_row(db, name)
        version = db.execute("SELECT COALESCE(MAX(version), 0) + 1 FROM model_versions "
                             "WHERE workspace = ? AND name = ?", (WORKSPACE, name)).fetchone()[0]
        db.execute("UPDATE registered_models SET last_updated_time = ? WHERE workspace = ? "
                   "AND name = ?", (now, WORKSPACE, name))
        db.execute(
            "INSERT INTO model_versions (name, version, creation_time, last_updated_time, "
            "description, user_id, current_stage, source, run_id, status, status_message, "
            "run_link, storage_location, workspace) "
            "VALUES (?, ?, ?, ?, ?, NULL, ?, ?, ?, 'READY', NULL, ?, ?, ?)",
            (name, version, now, now, description, STAGE_NONE, source, run_id, run_link,
             storage_location, WORKSPACE))
        db.executemany("INSERT OR REPLACE INTO model_version_tags (key, value, name, version, "
                       "workspace) VALUES (?, ?, ?, ?, ?)",
                       [(key, value, name, version, WORKSPACE) for key, value in tags])
        return _version(db, name, version)


def get_model_version(db, name, version) -> ModelVersion:
    with snapshot(db):
        return _version(db, name, version)


def update_model_version(db, name, version, description) -> ModelVersion:
    with transaction(db):
        _version_row(db, name, version)
        db.execute("UPDATE model_versions SET description = ?, last_updated_time = ? "
                   "WHERE workspace = ? AND name = ? AND version = ?",
                   (description, now_ms(), WORKSPACE, name, version))
        return _version(db, name, version)


def transition_model_version_stage(db, name, version, stage, archive_existing) -> ModelVersion:
    stage = get_canonical_stage(stage)
    now = now_ms()
    with transaction(db):
        if archive_existing:
            db.execute("UPDATE model_versions SET current_stage = ?, last_updated_time = ? "
                       "WHERE workspace = ? AND name = ? AND version != ? AND current_stage = ?",
                       (STAGE_ARCHIVED, now, WORKSPACE, name, version, stage))
        _version_row(db, name, version)
        db.execute("UPDATE model_versions SET current_stage = ?, last_updated_time = ? "
                   "WHERE workspace = ? AND name = ? AND version = ?",
                   (stage, now, WORKSPACE, name, version))
        db.execute("UPDATE registered_models SET last_updated_time = ? WHERE workspace = ? "
                   "AND name = ?", (now, WORKSPACE, name))
        return _version(db, name, version)


def delete_model_version(db, name, version) -> None:
    now = now_ms()
    with transaction(db):
        _version_row(db, name, version)
        db.execute("UPDATE registered_models SET last_updated_time = ? WHERE workspace = ? "
                   "AND name = ?", (now, WORKSPACE, name))
        db.execute("DELETE FROM registered_model_aliases WHERE workspace = ? AND name = ? "
                   "AND version = ?", (WORKSPACE, name, version))
        # the row stays, redacted, as MLflow keeps it (its tags stay too)
        db.execute("UPDATE model_versions SET current_stage = ?, last_updated_time = ?, "
                   "description = NULL, user_id = NULL, source = 'REDACTED-SOURCE-PATH', "
                   "run_id = 'REDACTED-RUN-ID', run_link = 'REDACTED-RUN-LINK', "
                   "status_message = NULL WHERE workspace = ? AND name = ? AND version = ?",
                   (STAGE_DELETED_INTERNAL, now, WORKSPACE, name, version))


def get_model_version_download_uri(db, name, version) -> str:
    _version_row(db, name, version)
    row = db.execute("SELECT storage_location, source FROM model_versions WHERE workspace = ? "
                     "AND name = ? AND version = ?", (WORKSPACE, name, version)).fetchone()
    return row[0] or row[1]


def set_model_version_tag(db, name, version, key, value) -> None:
    with transaction(db):
        _version_row(db, name, version)
        db.execute("INSERT INTO model_version_tags (key, value, name, version, workspace) "
                   "VALUES (?, ?, ?, ?, ?) ON CONFLICT (workspace, key, name, version) "
                   "DO UPDATE SET value = excluded.value", (key, value, name, version, WORKSPACE))


def delete_model_version_tag(db, name, version, key) -> None:
    with transaction(db):
        _version_row(db, name, version)
        db.execute("DELETE FROM model_version_tags WHERE workspace = ? AND name = ? "
                   "AND version = ? AND key = ?", (WORKSPACE, name, version, key))


# ----------------------------------------------------------------------------- aliases
def set_registered_model_alias(db, name, alias, version) -> None:
    with transaction(db):
        _version_row(db, name, version)
        db.execute("INSERT INTO registered_model_aliases (alias, version, name, workspace) "
                   "VALUES (?, ?, ?, ?) ON CONFLICT (workspace, name, alias) DO UPDATE SET "
                   "version = excluded.version", (alias, version, name, WORKSPACE))


def delete_registered_model_alias(db, name, alias) -> None:
    with transaction(db):
        _model_row(db, name)
        db.execute("DELETE FROM registered_model_aliases WHERE workspace = ? AND name = ? "
                   "AND alias = ?", (WORKSPACE, name, alias))


def get_model_version_by_alias(db, name, alias) -> ModelVersion:
    with snapshot(db):
        if alias.lower() == "latest":
            _model_row(db, name)
            row = db.execute(f"SELECT {_version_columns('v')} FROM model_versions v WHERE "
                             "v.workspace = ? AND v.name = ? "
                             "AND v.current_stage != 'Deleted_Internal' "
                             "ORDER BY v.version DESC LIMIT 1", (WORKSPACE, name)).fetchone()
            if row is None:
                raise MlflowException(f"Latest version not found for model {name}.",
                                      RESOURCE_DOES_NOT_EXIST)
            return _versions(db, [row], with_aliases=True)[0]
        _model_row(db, name)
        found = db.execute("SELECT version FROM registered_model_aliases WHERE workspace = ? "
                           "AND name = ? AND alias = ?", (WORKSPACE, name, alias)).fetchone()
        if found is None:
            raise MlflowException(f"Registered model alias {alias} not found.",
                                  INVALID_PARAMETER_VALUE)
        return _version(db, name, found[0])


# ----------------------------------------------------------------------------- search
def _compare(column: str, op: str, value, args: list) -> str:
    if op in ("IN", "NOT IN"):
        args.extend(value)
        marks = ", ".join("?" * len(value))
        return f"{column} {op} ({marks})"
    args.append(value)
    if op == "ILIKE":
        return f"lower({column}) LIKE lower(?)"
    return f"{column} {op} ?"


def _has_prompts(db, tag_table: str) -> bool:
    return db.execute(f"SELECT 1 FROM {tag_table} WHERE workspace = ? AND key = ? "
                      "AND value = 'true' LIMIT 1", (WORKSPACE, IS_PROMPT_TAG_KEY)).fetchone() \
        is not None


def _where(query: RegistrySearch, table: str, tag_table: str, keys: dict,
           version_key: bool, exclude_prompts: bool = True) -> tuple[str, str, list]:
    """The FROM source and WHERE clause of a registry search on ``table`` (alias
    ``t``), and the WHERE clause's arguments."""
    args: list = []
    clauses: list[str] = []
    tag_groups: dict[str, list] = {}
    for comp in query.filters:
        if comp.kind == TAG:
            if comp.key == IS_PROMPT_TAG_KEY and not query.prompts:
                continue  # the prompt filter becomes the exclusion below
            tag_groups.setdefault(comp.key, []).append(comp)
    tag_joins = version_key and bool(tag_groups)
    if tag_joins:
        source = _version_tag_joins(query, tag_groups, clauses, args)
    else:
        source = f"{table} t"
        clauses.append("t.workspace = ?")
        args.append(WORKSPACE)
    for comp in query.filters:
        if comp.kind != TAG and not (tag_joins and comp.key in _SHARED_WITH_TAGS):
            clauses.append(_compare(f"t.{keys[comp.key]}", comp.op, comp.value, args))
    if not version_key:
        for key, comps in tag_groups.items():
            tests = ["g.workspace = t.workspace", "g.name = t.name", "g.key = ?"]
            args.append(key)
            for comp in comps:
                tests.append(_compare("g.value", comp.op, comp.value, args))
            clauses.append(f"EXISTS (SELECT 1 FROM {tag_table} g WHERE {' AND '.join(tests)})")
    if not query.prompts and exclude_prompts:
        # prompts live in the same tables, marked by a tag; a search of models leaves
        # out every name that carries it (a test skipped when the store has none)
        clauses.append(f"NOT EXISTS (SELECT 1 FROM {tag_table} p WHERE p.workspace = t.workspace "
                       "AND p.name = t.name AND p.key = ? AND p.value = 'true')")
        args.append(IS_PROMPT_TAG_KEY)
    if version_key:
        clauses.append("t.current_stage != 'Deleted_Internal'")
    return source, " AND ".join(clauses), args


# pages of up to this many rows are sorted under a LIMIT (see search_registry)
_BOUNDED_SORT_ROWS = 1000

# the version attributes a version's tag rows carry too
_SHARED_WITH_TAGS = {"name": "name", "version_number": "version"}


def _version_tag_joins(query: RegistrySearch, tag_groups: dict, clauses: list,
                       args: list) -> str:
    """The FROM of a version search with tag filters, adding its tests to ``clauses``:
    the rows of the first filtered tag, read off the tag key's index and narrowed there
    by the name and version filters (a tag row carries both: they are tested there
    only), each joined to its version by primary key, then to its row of every other
    filtered tag.  A version has one row per tag key, so none comes twice.  CROSS JOIN keeps that order: SQLite would
    otherwise look up every version's tag instead of walking one key's rows."""
    source = []
    for i, (key, comps) in enumerate(tag_groups.items()):
        g = f"g{i}"
        if i == 0:
            source.append(f"model_version_tags {g} CROSS JOIN model_versions t")
            clauses += [f"{g}.workspace = ?", f"{g}.key = ?", f"t.workspace = {g}.workspace",
                        f"t.name = {g}.name", f"t.version = {g}.version"]
            args += [WORKSPACE, key]
            for comp in query.filters:
                column = _SHARED_WITH_TAGS.get(comp.key) if comp.kind != TAG else None
                if column is not None:
                    clauses.append(_compare(f"{g}.{column}", comp.op, comp.value, args))
        else:
            source.append(f"CROSS JOIN model_version_tags {g}")
            clauses += [f"{g}.workspace = t.workspace", f"{g}.key = ?", f"{g}.name = t.name",
                        f"{g}.version = t.version"]
            args.append(key)
        for comp in comps:
            clauses.append(_compare(f"{g}.value", comp.op, comp.value, args))
    return " ".join(source)


def search_registry(db, query: RegistrySearch):
    """One page of a registry search: ``(entities, next_page_token)``."""
    models = query.what == REGISTERED_MODELS
    table, tag_table, keys = (("registered_models", "registered_model_tags", _MODEL_SQL_KEYS)
                              if models else
                              ("model_versions", "model_version_tags", _VERSION_SQL_KEYS))
    order = ", ".join(f"t.{keys[key]} {'ASC' if ascending else 'DESC'}"
                      for key, ascending in query.order_by)
    as_json = not models and json_functions()
    if models:
        select_columns = ", ".join(f"t.{c.strip()}" for c in _MODEL_COLUMNS.split(","))
    else:
        select_columns = _version_json("t") if as_json else _version_columns("t")
    wanted = query.max_results + 1  # one more than a page: is there a next one?
    with paused_gc():
        with snapshot(db):
            source, where, args = _where(query, table, tag_table, keys, not models,
                                         exclude_prompts=_has_prompts(db, tag_table))
            sql = f"SELECT {select_columns} FROM {source} WHERE {where} ORDER BY {order}"
            if query.offset or wanted <= _BOUNDED_SORT_ROWS:
                rows = db.execute(f"{sql} LIMIT ? OFFSET ?",
                                  (*args, wanted, query.offset)).fetchall()
            else:
                # A first page of many rows: SQLite sorts faster without a LIMIT (a
                # LIMIT keeps the best rows in a B-tree, a third slower per row once
                # thousands are kept); the page is read off the sorted rows, the rest
                # dropped.
                cursor = db.execute(sql, args)
                rows = cursor.fetchmany(wanted)
                cursor.close()
            token = None
            if len(rows) > query.max_results:
                token = create_page_token(query.offset + query.max_results)  # bytes
                del rows[query.max_results:]
            if not as_json:
                return (_models(db, rows) if models else _versions(db, rows)), token
        # the rows' JSON arrays decoded in one call, after the read transaction; the
        # decoded lists are dropped before the collector resumes, which then has only
        # the versions to look at.  (A search gives its versions no aliases, as
        # MLflow's store does.)
        fields = orjson.loads("[" + ",".join([text for (text,) in rows]) + "]")
        del rows
        make = ModelVersion._from_row
        versions = [make(row, [], WORKSPACE) for row in fields]
        del fields
    return versions, token


class SqliteRegistryMethods:
    """The SQLite transport's registry methods (``self._run`` runs a function of this
    module on the connection thread)."""

    async def create_registered_model(self, name, tags, description):
        return await self._run(create_registered_model, name, list(tags), description)

    async def get_registered_model(self, name):
        return await self._run(get_registered_model, name)

    async def update_registered_model(self, name, description):
        return await self._run(update_registered_model, name, description)

    async def rename_registered_model(self, name, new_name):
        return await self._run(rename_registered_model, name, new_name)

    async def delete_registered_model(self, name):
        await self._run(delete_registered_model, name)

    async def set_registered_model_tag(self, name, key, value):
        await self._run(set_registered_model_tag, name, key, value)

    async def delete_registered_model_tag(self, name, key):
        await self._run(delete_registered_model_tag, name, key)

    async def get_latest_versions(self, name, stages):
        return await self._run(get_latest_versions, name, stages)

    async def create_model_version(self, name, source, run_id, tags, run_link, description,
                                   model_id, storage_location):
        # (model_id is not a column of MLflow's table: its SQL store only uses it to find
        # the run, which the SDK has done)
        return await self._run(create_model_version, name, source, run_id, list(tags),
                               run_link, description, storage_location)

    async def get_model_version(self, name, version):
        return await self._run(get_model_version, name, version)

    async def update_model_version(self, name, version, description):
        return await self._run(update_model_version, name, version, description)

    async def transition_model_version_stage(self, name, version, stage, archive_existing):
        return await self._run(transition_model_version_stage, name, version, stage,
                               archive_existing)

    async def delete_model_version(self, name, version):
        await self._run(delete_model_version, name, version)

    async def get_model_version_download_uri(self, name, version):
        return await self._run(get_model_version_download_uri, name, version)

    async def set_model_version_tag(self, name, version, key, value):
        await self._run(set_model_version_tag, name, version, key, value)

    async def delete_model_version_tag(self, name, version, key):
        await self._run(delete_model_version_tag, name, version, key)

    async def set_registered_model_alias(self, name, alias, version):
        await self._run(set_registered_model_alias, name, alias, version)

    async def delete_registered_model_alias(self, name, alias):
        await self._run(delete_registered_model_alias, name, alias)

    async def get_model_version_by_alias(self, name, alias):
        return await self._run(get_model_version_by_alias, name, alias)

    async def search_registry(self, query):
        return await self._run(search_registry, query)
