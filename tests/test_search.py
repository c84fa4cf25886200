"""search_runs / search_experiments: differential against real mlflow 3.17.2.

One SQLite store (a few hundred varied runs: NaN and repeated metric values, missing
keys, ties in start_time, deleted runs, nested runs, several experiments, keys with
spaces and dots, dataset inputs) is searched through real mlflow and through aiomlflow:
the same filter strings and order_by lists must give the same run ids in the same
order, the same DataFrames, and the same errors.
"""

from __future__ import annotations

import contextlib
import math
import os
import random
import re

import pytest

import aiomlflow as aio
from aiomlflow.entities import Metric, Param, ViewType

real = pytest.importorskip("mlflow")

N_RUNS = 240
METRIC_KEYS = ["acc", "loss", "val loss", "a.b"]
PARAM_CHOICES = [("lr", ["0.1", "0.01", "0.001"]), ("opt", ["adam", "sgd", "Adam"]),
                 ("batch size", ["32", "64"]), ("model.type", ["cnn", "rnn", "CNN"])]
TAG_CHOICES = [("env", ["prod", "dev", "Prod"]), ("team x", ["a", "b"]),
               ("note", ["50%_done", "plain", "under_score", "PLAIN"])]
RUN_NAMES = ["alpha", "beta-2", "Gamma run", "delta.x", "alpha", "epsilon"]
USERS = ["alice", "bob", "Carol"]


# --------------------------------------------------------------------------- the store

@contextlib.contextmanager
def _chdir(path):
    old = os.getcwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(old)


def _clear_env():
    for key in list(os.environ):
        if key.startswith("MLFLOW_"):
            del os.environ[key]


def _reset_real_mlflow():
    import mlflow.tracking._tracking_service.utils as tracking_utils
    import mlflow.tracking.fluent as fluent

    fluent._active_experiment_id = None
    tracking_utils._tracking_uri = None


def _build(path) -> dict:
    uri = f"sqlite:///{path}/search.db"
    client = aio.MlflowClient(uri)
    rng = random.Random(20240607)
    experiment_ids = ["0"] + [client.create_experiment(name)
                              for name in ("exp-a", "exp b", "exp.c")]
    base = 1_700_000_000_000
    run_ids, with_datasets, to_delete = [], [], []
    for i in range(N_RUNS):
        start = base + (i // 3) * 1000          # start_time ties of three
        tags = {"mlflow.user": rng.choice(USERS)}
        if run_ids and rng.random() < 0.25:
            tags["mlflow.parentRunId"] = rng.choice(run_ids)
        for key, values in TAG_CHOICES:
            if rng.random() < 0.6:
                tags[key] = rng.choice(values)
        run = client.create_run(experiment_ids[i % 4], start_time=start, tags=tags,
                                run_name=rng.choice(RUN_NAMES))
        run_id = run.info.run_id
        metrics = []
        for key in METRIC_KEYS:
            if rng.random() < 0.7:
                for step in range(rng.choice([1, 1, 2, 3])):
                    roll = rng.random()
                    value = (math.nan if roll < 0.06 else 0.0 if roll < 0.15 else
                             1.0 if roll < 0.22 else round(rng.uniform(-1, 2), 2))
                    metrics.append(Metric(key, value, start + step * 10 + rng.choice([0, 5]),
                                          step))
        params = [Param(key, rng.choice(values)) for key, values in PARAM_CHOICES
                  if rng.random() < 0.7]
        client.log_batch(run_id, metrics=metrics, params=params)
        status = rng.choice(["FINISHED", "FINISHED", "FAILED", "KILLED", "RUNNING"])
        if status != "RUNNING":
            client.set_terminated(run_id, status, end_time=start + rng.choice([500, 1500]))
        if rng.random() < 0.08:
            with_datasets.append(run_id)
        if rng.random() < 0.1:
            to_delete.append(run_id)
        run_ids.append(run_id)

    from mlflow.entities import Dataset, DatasetInput, InputTag

    real_client = real.MlflowClient(tracking_uri=uri)
    for n, run_id in enumerate(with_datasets):
        real_client.log_inputs(run_id, datasets=[DatasetInput(
            Dataset(name=f"ds{n % 3}", digest=f"d{n % 4}", source_type="local",
                    source='{"uri": "/data"}'),
            tags=[InputTag("mlflow.data.context", ["training", "eval"][n % 2])])])
    for run_id in to_delete:
        client.delete_run(run_id)
    return {"uri": uri, "experiment_ids": experiment_ids, "run_ids": run_ids}


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    path = tmp_path_factory.mktemp("search")
    saved_env = dict(os.environ)
    _clear_env()
    with _chdir(path):
        info = _build(path)
        yield info
    aio.sdk.fluent._reset_for_tests()
    _reset_real_mlflow()
    os.environ.clear()
    os.environ.update(saved_env)


@pytest.fixture(scope="module")
def clients(store):
    return aio.MlflowClient(store["uri"]), real.MlflowClient(tracking_uri=store["uri"])


def _ids(runs):
    return [r.info.run_id for r in runs]


def _both(clients, method, *args, **kwargs):
    """Call ``method`` on both clients; return (ours, theirs) results or exceptions."""
    out = []
    for client in clients:
        try:
            out.append(getattr(client, method)(*args, **kwargs))
        except Exception as exc:  # noqa: BLE001 - compared below
            out.append(exc)
    return out


_SET = re.compile(r"\{[^{}]*\}")


def _same_error(ours, theirs):
    assert isinstance(ours, aio.MlflowException), ours
    assert isinstance(theirs, real.MlflowException), theirs
    assert ours.error_code == theirs.error_code, (ours, theirs)
    # MLflow prints Python sets in hash order; compare the rest exactly
    assert _SET.sub("{}", ours.message) == _SET.sub("{}", theirs.message)


# --------------------------------------------------------------------------- filters

def _generated_filters():
    values = ["0", "0.5", "1", "-0.5", "1.0"]
    filters = []
    for n, key in enumerate(["acc", "loss", "`val loss`", '"a.b"']):
        for m, op in enumerate(["=", "!=", "<", "<=", ">", ">="]):
            filters.append(f"metrics.{key} {op} {values[(n + m) % len(values)]}")
    for key, choices in PARAM_CHOICES:
        quoted = f"`{key}`" if " " in key or "." in key else key
        for op, value in [("=", choices[0]), ("!=", choices[1]), ("LIKE", "%a%"),
                          ("ILIKE", "%A%"), ("LIKE", choices[0][:2] + "%")]:
            filters.append(f"params.{quoted} {op} '{value}'")
        filters.append(f"params.{quoted} IS NULL")
        filters.append(f"params.{quoted} IS NOT NULL")
    for key, choices in TAG_CHOICES:
        quoted = f'"{key}"' if " " in key else key
        for op, value in [("=", choices[0]), ("!=", choices[-1]), ("LIKE", "%o%"),
                          ("ILIKE", "P%")]:
            filters.append(f"tags.{quoted} {op} '{value}'")
        filters.append(f"tags.{quoted} IS NULL")
    return filters


HANDWRITTEN_FILTERS = [
    "",
    "metrics.acc > 0.5 AND params.lr = '0.01' AND tags.env = 'prod'",
    "metrics.acc >= 0 and metrics.loss < 1",
    "metric.acc > 0.2 AND param.opt = 'adam'",
    "metrics.acc != 0.5",
    "metrics.acc = 0",
    "metrics.acc > -1e3",
    "metrics.acc < 1e-3",
    "metrics.acc > .5",
    "metrics.`a.b` > 0.3",
    "metrics.a.b > 0.3",
    "metrics.missing > 0",
    "metrics.missing != 0",
    "params.missing = 'x'",
    "params.opt = \"adam\"",
    "params.opt != 'adam'",
    "params.opt LIKE 'a%'",
    "params.opt ILIKE 'a%'",
    "params.opt like 'A%'",
    "params.`model.type` = 'cnn'",
    "params.model.type ILIKE 'cnn'",
    "tags.note LIKE '%\\%%'",
    "tags.note LIKE '%_%'",
    "tags.note = '50%_done'",
    "tags.note ILIKE 'plain'",
    "tags.`team x` = 'a' AND tags.env != 'dev'",
    "tags.'team x' = 'b'",
    "tags.mlflow.user = 'alice'",
    "tags.mlflow.parentRunId IS NOT NULL",
    "tags.mlflow.parentRunId IS NULL AND metrics.acc > 0",
    "tags.mlflow.runName = 'alpha'",
    # a comparator's word right after the dot is a key
    "metrics.like > 0", "params.LIKE = 'x'", "tags.rlike IS NULL", "params.not LIKE 'a%'",
    "attributes.status = 'FINISHED'",
    "status = 'RUNNING'",
    "attr.status != 'FINISHED'",
    "attributes.status LIKE 'F%'",
    "attributes.status ILIKE 'f%'",
    "run.status = 'KILLED'",
    "attributes.user_id = 'bob'",
    "user_id ILIKE 'carol'",
    "attributes.run_name = 'alpha'",
    "run_name LIKE '%a'",
    "attributes.run_name ILIKE 'gamma%'",
    "`Run name` = 'epsilon'",
    "`run name` != 'alpha'",
    "attributes.start_time > 1700000020000",
    "start_time >= 1700000020000 AND start_time < 1700000040000",
    "created < 1700000010000",
    "Created = 1700000003000",
    "attributes.end_time > 1700000020000",
    "end_time <= 1700000040500",
    "end_time != 1700000001500",
    "start_time > 1.7e12",
    "attributes.artifact_uri LIKE '%artifacts'",
    "datasets.name = 'ds1'",
    "datasets.name IN ('ds0', 'ds2')",
    "datasets.digest NOT IN ('d1')",
    "datasets.digest != 'd0'",
    "datasets.context = 'training'",
    "dataset.context ILIKE 'EVAL'",
    "datasets.name LIKE 'ds%' AND metrics.acc > 0",
    "metrics.acc > 0 AND metrics.loss > 0 AND metrics.`val loss` > 0",
    "params.lr = '0.1' AND params.opt = 'sgd' AND params.`batch size` = '32'",
    "params.lr = '0.1' params.opt = 'sgd'",
    "AND metrics.acc > 0.5 AND",
    "metrics.acc > 0.5 AND AND tags.env = 'dev'",
    "  metrics.loss  <  0.2  ",
    "metrics.loss<0.2",
]


def _run_id_filters(store):
    ids = store["run_ids"]
    return [f"attributes.run_id = '{ids[5]}'",
            f"run_id IN ('{ids[1]}', '{ids[7]}', '{ids[30]}')",
            f"run_id NOT IN ('{ids[1]}', '{ids[2]}')",
            f"attribute.run_id != '{ids[0]}' AND metrics.acc > 0",
            f"tags.mlflow.parentRunId = '{ids[0]}'",
            f"run_id LIKE '{ids[3][:3]}%'"]


def test_filters_select_the_same_runs(store, clients):
    filters = _generated_filters() + HANDWRITTEN_FILTERS + _run_id_filters(store)
    assert len(filters) >= 100
    experiment_ids = store["experiment_ids"]
    nonempty = 0
    for filter_string in filters:
        ours, theirs = _both(clients, "search_runs", experiment_ids, filter_string,
                             ViewType.ALL, 1000)
        if isinstance(theirs, Exception):
            _same_error(ours, theirs)
            continue
        assert not isinstance(ours, Exception), (filter_string, ours)
        assert _ids(ours) == _ids(theirs), filter_string
        nonempty += bool(theirs)
    assert nonempty >= 0.8 * len(filters)


@pytest.mark.parametrize("view_type", [ViewType.ACTIVE_ONLY, ViewType.DELETED_ONLY])
def test_view_types(store, clients, view_type):
    for filter_string in ["", "metrics.acc > 0.5", "tags.env = 'prod'"]:
        ours, theirs = _both(clients, "search_runs", store["experiment_ids"][1:3],
                             filter_string, view_type, 1000)
        assert _ids(ours) == _ids(theirs)
        assert theirs


# --------------------------------------------------------------------------- order_by

ORDER_BYS = [
    [], ["metrics.acc"], ["metrics.acc DESC"], ["metrics.loss ASC"], ["metrics.`val loss` desc"],
    ['metrics."a.b"'], ["params.lr"], ["params.lr DESC"], ["params.`batch size` DESC"],
    ["tags.env"], ["tags.`team x` DESC"], ["tags.mlflow.runName"],
    ["start_time"], ["attributes.start_time ASC"], ["created DESC"], ["end_time"],
    ["end_time DESC"], ["status"], ["attributes.run_name DESC"], ["run_id DESC"],
    ["user_id"], ["artifact_uri DESC"],
    ["metrics.acc DESC", "params.lr"], ["params.opt", "metrics.loss DESC"],
    ["tags.env DESC", "start_time", "metrics.acc"], ["status", "end_time DESC"],
    ["metrics.missing", "params.opt"], ["params.missing DESC"],
    ["metrics.acc", "metrics.loss", "metrics.`val loss`", "metrics.`a.b`"],
]


def test_order_by_gives_the_same_order(store, clients):
    assert len(ORDER_BYS) >= 20
    for order_by in ORDER_BYS:
        ours, theirs = _both(clients, "search_runs", store["experiment_ids"], "",
                             ViewType.ALL, 1000, order_by)
        assert _ids(ours) == _ids(theirs), order_by


@pytest.mark.parametrize("filter_string,order_by", [
    ("metrics.acc > 0", ["metrics.acc DESC"]),
    ("params.opt ILIKE 'adam'", ["metrics.loss", "tags.env DESC"]),
    ("tags.env IS NOT NULL", ["tags.env", "run_id DESC"]),
    ("attributes.status != 'RUNNING'", ["end_time", "start_time DESC"]),
])
def test_filter_and_order_together(store, clients, filter_string, order_by):
    ours, theirs = _both(clients, "search_runs", store["experiment_ids"], filter_string,
                         ViewType.ACTIVE_ONLY, 1000, order_by)
    assert _ids(ours) == _ids(theirs)


def _data(run):
    metrics = {k: ("nan" if math.isnan(v) else v) for k, v in run.data.metrics.items()}
    info = run.info
    return (info.run_id, info.experiment_id, info.user_id, info.status, info.start_time,
            info.end_time, info.lifecycle_stage, info.artifact_uri, info.run_name,
            metrics, run.data.params, run.data.tags,
            sorted((d.dataset.name, d.dataset.digest, d.dataset.source_type, d.dataset.source,
                    sorted((t.key, t.value) for t in d.tags))
                   for d in run.inputs.dataset_inputs))


def test_runs_carry_the_same_data(store, clients):
    ours, theirs = _both(clients, "search_runs", store["experiment_ids"], "", ViewType.ALL,
                         1000)
    assert len(ours) == N_RUNS
    assert [_data(r) for r in ours] == [_data(r) for r in theirs]


@pytest.mark.parametrize("page_size", [1, 7, 50])
def test_pagination(store, clients, page_size):
    tokens = [None, None]
    pages = 0
    while True:
        ours, theirs = (client.search_runs(store["experiment_ids"][:2], "metrics.acc > 0",
                                           ViewType.ALL, page_size, ["metrics.acc"], token)
                        for client, token in zip(clients, tokens))
        assert _ids(ours) == _ids(theirs)
        assert ours.token == theirs.token
        tokens = [ours.token, theirs.token]
        pages += 1
        if ours.token is None or pages > 60:
            break
    assert ours.token is None


# --------------------------------------------------------------------------- errors

BAD_FILTERS = [
    "metrics.acc > 0.5 OR params.lr = '0.1'",
    "metrics.acc",
    "metrics.acc >",
    "metrics.acc = 'x'",
    "metrics.acc > 1e+5",
    "metrics.acc <> 1",
    "metrics.acc == 1",
    "metrics.acc LIKE 1",
    "metrics.acc IS NULL",
    "metrics.val-loss < 1",
    "params.lr = 0.1",
    "params.lr = abc",
    "params.lr > '0.1'",
    "params.lr IN ('0.1')",
    "params.lr NOT LIKE '0%'",
    "params.lr RLIKE '0.*'",
    "tags.env < 'x'",
    "tags.env IS NOT  NULL",
    "status IN ('FINISHED')",
    "status > 'A'",
    "start_time = 'x'",
    "start_time LIKE 5",
    "end_time IS NULL",
    "lifecycle_stage = 'active'",
    "experiment_id = '0'",
    "foo = 'x'",
    "METRICS.acc > 0",
    "metricz.acc > 0",
    "datasets.foo = 'x'",
    "datasets.name > 'x'",
    "run_id IN ()",
    "run_id IN (1, 2)",
    "run_id IN ('a' 'b') AND params.x = 1",
    "(metrics.acc > 0)",
    "metrics.acc > 0; metrics.loss > 0",
    "metrics.acc > 0;",
    "params.from = 'x'",
    "metrics.acc >= 0x10",
    "1 = metrics.acc",
]


@pytest.mark.parametrize("filter_string", BAD_FILTERS)
def test_malformed_filters(store, clients, filter_string):
    ours, theirs = _both(clients, "search_runs", store["experiment_ids"], filter_string)
    _same_error(ours, theirs)
    assert ours.error_code == "INVALID_PARAMETER_VALUE"


@pytest.mark.parametrize("filter_string", [
    "start_time >= 99999999999999999999", "created != 9223372036854775808",
    "end_time < -99999999999999999999",
])
def test_integers_beyond_64_bits_fail_as_mlflows_store_fails(store, clients, filter_string):
    ours, theirs = _both(clients, "search_runs", store["experiment_ids"], filter_string)
    _same_error(ours, theirs)
    assert ours.error_code == "INTERNAL_ERROR"


BAD_ORDER_BYS = [
    ["metrics.acc DESC ASC"], ["metrics.acc sideways"], ["metrics.acc, params.lr"],
    [" metrics.acc"], ["metrics.acc "], [""], ["timestamp"], ["lifecycle_stage"],
    ["`Run name`"], ["datasets.name"], ["metricz.acc"], ["metrics.acc", "metrics.acc DESC"],
    ["created", "start_time DESC"], ["params.p ASC NULLS LAST"],
]


@pytest.mark.parametrize("order_by", BAD_ORDER_BYS)
def test_malformed_order_by(store, clients, order_by):
    ours, theirs = _both(clients, "search_runs", store["experiment_ids"], "", ViewType.ALL,
                         10, order_by)
    _same_error(ours, theirs)


@pytest.mark.parametrize("kwargs", [
    {"max_results": 0}, {"max_results": -5}, {"max_results": 50001},
    {"page_token": "abc"}, {"page_token": "eyJ4IjogMX0="}, {"page_token": "bm90anNvbg=="},
    {"page_token": "eyJvZmZzZXQiOiAiYSJ9"}, {"page_token": "eyJvZmZzZXQiOiAwfQ=="},
    {"experiment_ids": ["abc"]},
    # the first of several errors is the one MLflow reports first
    {"max_results": 0, "filter_string": "bad filter"},
    {"filter_string": "metrics.acc <> 1", "order_by": ["metricz.a"]},
    {"filter_string": "metrics.acc > 0", "page_token": "abc", "experiment_ids": ["x"]},
])
def test_bad_arguments(store, clients, kwargs):
    kwargs = {"experiment_ids": store["experiment_ids"], **kwargs}
    ours, theirs = _both(clients, "search_runs", **kwargs)
    _same_error(ours, theirs)


def test_ids_of_missing_experiments_find_nothing(store, clients):
    ours, theirs = _both(clients, "search_runs", ["12345"])
    assert list(ours) == list(theirs) == []
    ours, theirs = _both(clients, "search_runs", 1)   # a single id, not a list
    assert _ids(ours) == _ids(theirs) and ours


# --------------------------------------------------------------------------- DataFrames

@contextlib.contextmanager
def _fluent(store):
    aio.set_tracking_uri(store["uri"])
    real.set_tracking_uri(store["uri"])
    try:
        yield
    finally:
        _reset_real_mlflow()
        aio.sdk.tracking_uri.reset()
        _clear_env()


def _assert_same_frame(ours, theirs):
    import pandas as pd

    assert sorted(ours.columns) == sorted(theirs.columns)
    # MLflow's column order within metrics/params/tags follows set iteration order;
    # the blocks (info, metrics.*, params.*, tags.*) come in the same sequence.
    def blocks(columns):
        return [c.split(".", 1)[0] if "." in c else c for c in columns]
    assert blocks(ours.columns) == blocks(theirs.columns)
    columns = sorted(theirs.columns)
    assert dict(ours.dtypes[columns]) == dict(theirs.dtypes[columns])
    pd.testing.assert_frame_equal(ours[columns], theirs[columns])


@pytest.mark.parametrize("kwargs", [
    {},
    {"filter_string": "metrics.acc > 0.5", "order_by": ["metrics.acc DESC"]},
    {"filter_string": "attributes.status = 'RUNNING'"},         # end_time all missing
    {"filter_string": "params.lr = 'nope'"},                    # empty
    {"run_view_type": ViewType.ALL, "max_results": 37},
    {"filter_string": "tags.env = 'dev'", "order_by": ["params.opt DESC"]},
])
def test_dataframes_match(store, kwargs):
    with _fluent(store):
        ours = aio.search_runs(store["experiment_ids"], **kwargs)
        theirs = real.search_runs(store["experiment_ids"], **kwargs)
    _assert_same_frame(ours, theirs)


def test_experiment_names_and_all_experiments(store):
    with _fluent(store):
        for kwargs in [{"experiment_names": ["exp-a", "exp b", "nope"]},
                       {"search_all_experiments": True},
                       {"experiment_names": ["exp.c"], "output_format": "list"}]:
            ours = aio.search_runs(**kwargs)
            theirs = real.search_runs(**kwargs)
            if kwargs.get("output_format") == "list":
                assert _ids(ours) == _ids(theirs)
            else:
                assert list(ours["run_id"]) == list(theirs["run_id"])
        # no ids or names: the active (here the Default) experiment
        assert list(aio.search_runs()["run_id"]) == list(real.search_runs()["run_id"])
        for kwargs in [{"max_results": 0}, {"max_results": 5}, {"max_results": None}]:
            ours = aio.search_runs(store["experiment_ids"], output_format="list", **kwargs)
            theirs = real.search_runs(store["experiment_ids"], output_format="list", **kwargs)
            assert _ids(ours) == _ids(theirs)
        errors = []
        for module in (aio, real):
            with pytest.raises(Exception) as info:
                module.search_runs(["0"], experiment_names=["exp-a"])
            errors.append(info.value)
        _same_error(*errors)
        for module in (aio, real):
            with pytest.raises(ValueError, match="Unsupported output format: csv"):
                module.search_runs(["0"], output_format="csv")


# --------------------------------------------------------------------------- experiments

EXPERIMENT_FILTERS = [
    "", "name = 'exp-a'", "name != 'exp-a'", "name LIKE 'exp%'", "name ILIKE 'EXP%'",
    "attribute.name = 'exp b'", "name LIKE '%.%'", "experiment_id = '2'",
    "experiment_id IN ('1', '3')", "experiment_id NOT IN ('0')", "experiment_id != '1'",
    "creation_time > 0", "creation_time >= 0 AND last_update_time > 0",
    "last_update_time < 1", "tags.k = 'v'", "tag.k ILIKE 'V'", "tags.`k 2` = 'x'",
    "tags.k IS NULL", "tags.k IS NOT NULL", "tags.k != 'v'", "tags.k LIKE 'v%'",
    "name LIKE '%a' AND tags.k = 'v'",
]
BAD_EXPERIMENT_FILTERS = [
    "attributes.name = 'a'", "metrics.a > 1", "name IS NULL", "name IN ('a')", "name > 'a'",
    "name like 'a'", "tags.k like 'a'", "creation_time > 5.5", "creation_time LIKE 1",
    "experiment_id < '3'", "experiment_id = 'abc'", "name = 'a' OR name = 'b'", "foo = 1",
    "name = 1", "tags.k = 1", "experiment_id in ('1')", "last_update_time = '5'",
]


@pytest.fixture(scope="module")
def experiment_store(store, clients):
    ours, theirs = clients
    for name, tags in [("xa", {"k": "v"}), ("xb", {"k": "V", "k 2": "x"}), ("xab", None)]:
        ours.create_experiment(name, tags=tags)
    ours.delete_experiment(ours.get_experiment_by_name("xb").experiment_id)
    return store


@pytest.mark.parametrize("view_type", [ViewType.ACTIVE_ONLY, ViewType.DELETED_ONLY,
                                       ViewType.ALL])
def test_search_experiments_differential(experiment_store, clients, view_type):
    for filter_string in EXPERIMENT_FILTERS:
        for order_by in [["name"], ["experiment_id DESC"], ["creation_time", "name DESC"]]:
            ours, theirs = _both(clients, "search_experiments", view_type, 1000,
                                 filter_string, order_by)
            assert [(e.experiment_id, e.name, e.lifecycle_stage, e.tags, e.creation_time,
                     e.last_update_time, e.artifact_location) for e in ours] == \
                   [(e.experiment_id, e.name, e.lifecycle_stage, e.tags, e.creation_time,
                     e.last_update_time, e.artifact_location) for e in theirs], \
                   (filter_string, order_by)


@pytest.mark.parametrize("filter_string", BAD_EXPERIMENT_FILTERS)
def test_search_experiments_errors(experiment_store, clients, filter_string):
    ours, theirs = _both(clients, "search_experiments", filter_string=filter_string)
    _same_error(ours, theirs)


@pytest.mark.parametrize("kwargs", [
    {"order_by": ["tags.k"]}, {"order_by": ["foo"]}, {"order_by": ["name DESC ASC"]},
    {"max_results": None}, {"max_results": 0}, {"max_results": 50001},
    {"page_token": "abc"},
])
def test_search_experiments_bad_arguments(experiment_store, clients, kwargs):
    ours, theirs = _both(clients, "search_experiments", **kwargs)
    _same_error(ours, theirs)


def test_search_experiments_pages(experiment_store, clients):
    tokens, seen = [None, None], [[], []]
    for _ in range(10):
        pages = [client.search_experiments(ViewType.ALL, 2, None, ["name"], token)
                 for client, token in zip(clients, tokens)]
        assert pages[0].token == pages[1].token
        for n, page in enumerate(pages):
            seen[n] += [e.name for e in page]
        tokens = [page.token for page in pages]
        if tokens[0] is None:
            break
    assert seen[0] == seen[1] and len(seen[0]) == 7


def test_search_experiments_default_order_is_last_update_time(experiment_store, clients):
    ours = clients[0].search_experiments(ViewType.ALL)
    keys = [(e.last_update_time, int(e.experiment_id)) for e in ours]
    assert keys == sorted(keys, reverse=True)
    with _fluent(experiment_store):
        assert [e.name for e in aio.search_experiments(max_results=2)] == \
            [e.name for e in ours if e.lifecycle_stage == "active"][:2]
        assert len(aio.search_experiments(view_type=ViewType.ALL)) == len(ours)
