"""Datasets and run inputs / outputs, over both transports (SQLite and a real
``mlflow server``).

* the reference's ``log_input`` / ``log_inputs`` examples, verbatim;
* ``mlflow.data``: from_numpy / from_pandas / MetaDataset give the digest, schema,
  profile and source real mlflow 3.17.2 gives for the same data (mixed dtypes, NaN,
  frames past the 10,000 hashed rows...);
* ``Run.inputs`` / ``Run.outputs`` on get_run and search_runs, and the ``datasets.*``
  search filters;
* interop both ways with real mlflow 3.17.2: inputs written by one are read identically
  by the other;
* bad input, with MLflow's error codes and messages.

With ``AIOMLFLOW_TESTS_TARGET=mlflow`` the tests run real mlflow against itself.
"""

from __future__ import annotations

import contextlib
import datetime
import json
import os
import pathlib
import sys
import warnings

import numpy as np
import pandas as pd
import pytest

from conftest import IS_MLFLOW, skip_on_mlflow

REFERENCE = pathlib.Path(__file__).resolve().parents[2] / "shared" / "seed" / "000_a0d6af5c2fb3ad62.txt"


@pytest.fixture(autouse=True)
def _quiet_source_warnings():
    # both libraries warn that a local path "can be interpreted in multiple ways"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        yield


class _LazyClient:
    """Real mlflow's client of a store, made on first use: by then the module under test
    has created the SQLite store (real mlflow creating one runs all its migrations)."""

    def __init__(self, uri: str):
        self._uri = uri
        self._client = None

    def __getattr__(self, name):
        if self._client is None:
            import mlflow as real

            self._client = real.MlflowClient(tracking_uri=self._uri)
        return getattr(self._client, name)


@pytest.fixture
def real_client(transport):
    """Real mlflow 3.17.2's client of the test's store."""
    return _LazyClient(transport)


def _entities(module):
    return sys.modules[f"{module.__name__}.entities"]


# ========================================================================== reference examples
EXAMPLES = {
    "log_input": '''
import numpy as np
import mlflow

array = np.asarray([[1, 2, 3], [4, 5, 6], [7, 8, 9]])
dataset = mlflow.data.from_numpy(array, source="data.csv")

# Log an input dataset used for training
with mlflow.start_run():
    mlflow.log_input(dataset, context="training")
''',
    "log_inputs": '''
import numpy as np
import mlflow

array = np.asarray([[1, 2, 3], [4, 5, 6], [7, 8, 9]])
dataset = mlflow.data.from_numpy(array, source="data.csv")

array2 = np.asarray([[-1, 2, 3], [-4, 5, 6]])
dataset2 = mlflow.data.from_numpy(array2, source="data2.csv")

# Log 2 input datasets used for training and test,
# the training dataset has no tag.
# the test dataset has tags `{"my_tag": "tag_value"}`.
with mlflow.start_run():
    mlflow.log_inputs(
        [dataset, dataset2],
        contexts=["training", "test"],
        tags_list=[None, {"my_tag": "tag_value"}],
        models=None,
    )
''',
}


def test_examples_are_verbatim_copies_of_the_reference():
    if not REFERENCE.exists():
        pytest.skip(f"reference text not found at {REFERENCE}")
    text = REFERENCE.read_text(encoding="utf-8")
    for name, code in EXAMPLES.items():
        assert code.strip("\n") in text, name


@contextlib.contextmanager
def as_mlflow(module):
    """``import mlflow`` bound to ``module`` while an example runs."""
    saved = sys.modules.get("mlflow")
    sys.modules["mlflow"] = module
    try:
        yield
    finally:
        if saved is None:
            sys.modules.pop("mlflow", None)
        else:
            sys.modules["mlflow"] = saved


def _inputs(run) -> list:
    """A run's dataset inputs as comparable data."""
    return [(d.dataset.name, d.dataset.digest, d.dataset.source_type, d.dataset.source,
             d.dataset.schema, d.dataset.profile, sorted((t.key, t.value) for t in d.tags))
            for d in run.inputs.dataset_inputs]


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_reference_example(mlflow, transport, real_client, name):
    with as_mlflow(mlflow):
        exec(compile(EXAMPLES[name], "<reference example>", "exec"), {"__name__": "__main__"})
    run_id = mlflow.last_active_run().info.run_id
    got = _inputs(mlflow.get_run(run_id))
    assert got == _inputs(real_client.get_run(run_id))
    schema = json.dumps({"mlflow_tensorspec": {"features": json.dumps(
        [{"type": "tensor", "tensor-spec": {"dtype": "int64", "shape": [-1, 3]}}]),
        "targets": None}})
    first = ("dataset", "e46f75bf", "local", '{"uri": "data.csv"}', schema,
             '{"features_shape": [3, 3], "features_size": 9, "features_nbytes": 72}',
             [("mlflow.data.context", "training")])
    if name == "log_input":
        assert got == [first]
    else:
        second = ("dataset", "ee98150b", "local", '{"uri": "data2.csv"}', schema,
                  '{"features_shape": [2, 3], "features_size": 6, "features_nbytes": 48}',
                  [("mlflow.data.context", "test"), ("my_tag", "tag_value")])
        assert sorted(got) == sorted([first, second])


# ========================================================================== mlflow.data
RNG = np.random.default_rng(7)
NUMPY_CASES = {
    "ints": (np.arange(12).reshape(4, 3), None),
    "floats with targets": (RNG.random((20, 5, 4)), RNG.integers(0, 2, 20)),
    "past 10,000 values": (RNG.random((30000, 2)), None),
    "nan and -0.0": (np.array([1.0, np.nan, -0.0, 0.0, np.inf]), None),
    "float32": (np.arange(6, dtype=np.float32).reshape(2, 3), np.arange(2, dtype=np.int8)),
    "bools": (np.array([[True, False], [False, False]]), None),
    "strings": (np.array(["a", "bc", "def"]), np.array([b"x", b"y", b"z"])),
    "datetimes": (np.array(["2020-01-01", "2021-06-30"], dtype="datetime64[ns]"), None),
    "objects": (np.array([{"a": 1}, [1, 2]], dtype=object), None),
    "0-d": (np.array(5.0), None),
    "empty": (np.zeros((0, 3)), None),
    "dict": ({"b": np.arange(3), "a": RNG.random((3, 2))}, {"t": np.arange(3)}),
}


def _frames():
    return {
        "simple": pd.DataFrame({"a": [1, 2], "b": ["x", "y"]}),
        "numbers past 10,000 rows": pd.DataFrame(RNG.random((25000, 3)), columns=list("xyz")),
        "mixed dtypes": pd.DataFrame({
            "s": pd.array(["a", None], dtype="string"), "n": [1.0, np.nan],
            "l": [[1], [2, 3]], "d": [{"k": 1}, {"k": 2, "j": "x"}],
            "dt": pd.to_datetime(["2020-01-01", None]), "c": pd.Categorical(["u", "v"]),
            "bo": [True, False], "by": [b"a", b"b"], "i8": np.array([1, 2], dtype=np.int8),
            "f32": np.array([1, 2], dtype=np.float32), "day": [datetime.date(2020, 1, 1)] * 2}),
        "no schema (mixed values)": pd.DataFrame({"m": ["a", 1]}),
        "no schema (timedelta)": pd.DataFrame({"td": pd.to_timedelta([1, 2], unit="s")}),
        "empty": pd.DataFrame(),
        "no rows": pd.DataFrame({"a": pd.Series([], dtype=float),
                                 "b": pd.Series([], dtype=object)}),
        "int column names": pd.DataFrame(np.zeros((3, 2))),
        "nullable": pd.DataFrame({"i": pd.array([1, None], dtype="Int64"),
                                  "b": pd.array([True, None], dtype="boolean")}),
    }


@pytest.mark.parametrize("case", sorted(NUMPY_CASES))
def test_from_numpy_matches_mlflow(mlflow, real_mlflow, case):
    features, targets = NUMPY_CASES[case]
    ours = mlflow.data.from_numpy(features, source="data/train.csv", targets=targets)
    theirs = real_mlflow.data.from_numpy(features, source="data/train.csv", targets=targets)
    assert ours.to_dict() == theirs.to_dict()
    assert ours.digest == theirs.digest and ours.name == "dataset"
    assert ours.profile == theirs.profile
    assert ours._to_mlflow_entity().to_dictionary() == theirs._to_mlflow_entity().to_dictionary()
    # a dataset of arrays like ones seen before (its schema known already)
    like = mlflow.data.from_numpy(features, source="data/train.csv", targets=targets)
    assert like._to_mlflow_entity().to_dictionary() == theirs._to_mlflow_entity().to_dictionary()


@pytest.mark.parametrize("case", sorted(_frames()))
def test_from_pandas_matches_mlflow(mlflow, real_mlflow, case):
    df = _frames()[case]
    ours = mlflow.data.from_pandas(df, source="https://example.com/d.csv", name="frame")
    theirs = real_mlflow.data.from_pandas(df, source="https://example.com/d.csv", name="frame")
    assert ours.to_dict() == theirs.to_dict()
    assert ours.profile == theirs.profile
    assert (ours.schema is None) == (theirs.schema is None)
    if theirs.schema is not None:
        assert ours.schema.to_dict() == theirs.schema.to_dict()
    assert ours._to_mlflow_entity().to_dictionary() == theirs._to_mlflow_entity().to_dictionary()


def test_recorded_dataset_follows_its_data_as_in_mlflow(mlflow, real_mlflow):
    """What is recorded for a dataset: the profile read from the data at each log (an
    array reshaped or a frame grown in place shows), the schema inferred once; sources
    with characters JSON escapes."""
    array = np.arange(12.0)
    df = pd.DataFrame({"a": [1, 2]})
    source = 's3://bucket/d\u00e9j\u00e0 "vu"\\x.npy'
    pairs = [(lib.data.from_numpy(array, source=source), lib.data.from_pandas(df, source=url))
             for lib in (mlflow, real_mlflow) for url in ["https://h/\u00fc?q=\"1\"\n"]]

    def recorded():
        return [[d._to_mlflow_entity().to_dictionary() for d in pair] for pair in pairs]

    before = recorded()
    assert before[0] == before[1]
    array.shape = (3, 4)
    df["b"] = [3.0, 4.0]
    after = recorded()
    assert after[0] == after[1] and after[0] != before[0]
    assert json.loads(after[0][0]["profile"])["features_shape"] == [3, 4]
    assert json.loads(after[0][1]["profile"]) == {"num_rows": 2, "num_elements": 4}


def _without_git(config: dict) -> dict:
    source = json.loads(config["source"])
    source["tags"] = {k: v for k, v in source["tags"].items()
                      if not k.startswith("mlflow.source.git")}
    return {**config, "source": json.dumps(source)}


def test_dataset_arguments_and_sources(mlflow, real_mlflow):
    df = pd.DataFrame({"x": [1, 2], "y": [0, 1], "p": [1, 1]})
    ours = mlflow.data.from_pandas(df, targets="y", predictions="p", name="n", digest="abc")
    theirs = real_mlflow.data.from_pandas(df, targets="y", predictions="p", name="n",
                                          digest="abc")
    assert (ours.targets, ours.predictions, ours.name, ours.digest) == ("y", "p", "n", "abc")
    assert ours.df is df
    # the code that built the dataset is its default source: the run context tags (git
    # tags where each library finds them: mlflow's need GitPython)
    assert _without_git(ours.to_dict()) == _without_git(theirs.to_dict())
    assert ours.to_dict()["source_type"] == "code"
    for raw in ("data.csv", "/abs/path", "file:///x/y", "s3://b/k", "gs://b/k", "wasbs://a@b/k",
                "hdfs://h/p", "abfss://c@a/p", "ftp://h/p", "sftp://h/p", "http://h/x",
                "https://h/x"):
        a = mlflow.data.from_numpy(np.arange(2), source=raw)
        b = real_mlflow.data.from_numpy(np.arange(2), source=raw)
        assert (type(a.source).__name__, a.to_dict()) == (type(b.source).__name__, b.to_dict())
        assert mlflow.data.get_source(a._to_mlflow_entity()).to_dict() == b.source.to_dict()
    array = np.arange(4)
    assert isinstance(mlflow.data.from_numpy(array), mlflow.data.numpy_dataset.NumpyDataset)
    assert isinstance(ours, mlflow.data.pandas_dataset.PandasDataset)
    assert isinstance(ours, mlflow.data.dataset.Dataset)
    assert isinstance(ours.source, mlflow.data.dataset_source.DatasetSource)
    source = mlflow.data.sources.LocalArtifactDatasetSource("x/y.csv")
    assert mlflow.data.from_numpy(array, source=source).source is source


def test_schemas_are_mlflow_types(mlflow):
    """A pandas dataset's schema is an ``mlflow.types.Schema`` of ColSpecs; a numpy
    dataset's a TensorDatasetSchema of Schemas of TensorSpecs, round-tripping its dict."""
    from importlib import import_module

    types = import_module(f"{mlflow.__name__}.types.schema")
    frame = mlflow.data.from_pandas(pd.DataFrame({"a": [1.5, None], "b": [[1], [2, 3]]}))
    assert isinstance(frame.schema, types.Schema)
    assert frame.schema.inputs == [types.ColSpec(types.DataType.double, "a", required=False),
                                   types.ColSpec(types.Array(types.DataType.long), "b")]
    arrays = mlflow.data.from_numpy({"x": np.zeros((2, 3), dtype=np.float32)},
                                    targets=np.array(["p", "q"]))
    schema = arrays.schema
    assert isinstance(schema, mlflow.data.schema.TensorDatasetSchema)
    assert schema.features == types.Schema([types.TensorSpec(np.dtype("float32"), (-1, 3), "x")])
    assert schema.targets == types.Schema([types.TensorSpec(np.dtype("str"), (-1,))])
    again = mlflow.data.schema.TensorDatasetSchema.from_dict(schema.to_dict())
    assert again == schema and again.to_dict() == schema.to_dict()
    assert json.loads(arrays.to_dict()["schema"]) == schema.to_dict()


def test_meta_dataset_matches_mlflow(mlflow, real_mlflow):
    url = "https://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz"
    ours = mlflow.data.meta_dataset.MetaDataset(
        mlflow.data.http_dataset_source.HTTPDatasetSource(url=url))
    theirs = real_mlflow.data.meta_dataset.MetaDataset(
        real_mlflow.data.http_dataset_source.HTTPDatasetSource(url=url))
    assert ours.to_dict() == theirs.to_dict()
    assert ours._to_mlflow_entity().to_dictionary() == theirs._to_mlflow_entity().to_dictionary()
    from mlflow.types import ColSpec, DataType, Schema

    schema = Schema([ColSpec(type=DataType.string, name="text"),
                     ColSpec(type=DataType.integer, name="label")])
    ours = mlflow.data.meta_dataset.MetaDataset(
        mlflow.data.http_dataset_source.HTTPDatasetSource(url=url), name="imdb", schema=schema)
    theirs = real_mlflow.data.meta_dataset.MetaDataset(
        real_mlflow.data.http_dataset_source.HTTPDatasetSource(url=url), name="imdb",
        schema=schema)
    assert ours.to_dict() == theirs.to_dict()
    # a schema inferred here stands in for mlflow.types.Schema
    inferred = mlflow.data.from_pandas(pd.DataFrame({"text": ["a"]}), source="x").schema
    ours = mlflow.data.meta_dataset.MetaDataset(
        mlflow.data.http_dataset_source.HTTPDatasetSource(url=url), schema=inferred)
    theirs = real_mlflow.data.meta_dataset.MetaDataset(
        real_mlflow.data.http_dataset_source.HTTPDatasetSource(url=url),
        schema=Schema([ColSpec(type=DataType.string, name="text")]))
    assert ours.to_dict() == theirs.to_dict()


# ========================================================================== run inputs
def _dataset_dicts(run) -> list:
    return [(json.dumps(d.dataset.to_dictionary()), [(t.key, t.value) for t in d.tags])
            for d in run.inputs.dataset_inputs]


def _links(run) -> tuple:
    return ([m.model_id for m in run.inputs.model_inputs],
            [(m.model_id, m.step) for m in run.outputs.model_outputs])


def _log_inputs(mlflow):
    """Three datasets (numpy, pandas, meta) logged to one run; the run."""
    df = pd.DataFrame({"a": [1.5, 2.5], "b": ["x", "y"]})
    numpy_ds = mlflow.data.from_numpy(np.arange(6).reshape(3, 2), source="s3://bucket/train.npy",
                                      name="train")
    pandas_ds = mlflow.data.from_pandas(df, source="https://example.com/eval.csv", name="eval")
    meta_ds = mlflow.data.meta_dataset.MetaDataset(
        mlflow.data.http_dataset_source.HTTPDatasetSource("https://example.com/raw"), name="raw")
    with mlflow.start_run() as run:
        mlflow.log_input(numpy_ds, context="training", tags={"owner": "me"})
        mlflow.log_inputs([pandas_ds, meta_ds], contexts=["eval", None],
                          tags_list=[{"split": "val"}, None])
        mlflow.log_input(numpy_ds, context="again")  # the same dataset: kept as first logged
        mlflow.log_param("p", 1)
    return run


def test_get_run_and_search_runs_return_inputs(mlflow, transport, real_client):
    run = _log_inputs(mlflow)
    ours = mlflow.get_run(run.info.run_id)
    theirs = real_client.get_run(run.info.run_id)
    # the same inputs in the same order, tags in the same order
    assert _dataset_dicts(ours) == _dataset_dicts(theirs)
    assert {d.dataset.name: sorted((t.key, t.value) for t in d.tags)
            for d in ours.inputs.dataset_inputs} == {
        "train": [("mlflow.data.context", "training"), ("owner", "me")],
        "eval": [("mlflow.data.context", "eval"), ("split", "val")],
        "raw": []}
    [found] = mlflow.search_runs(output_format="list")
    [real_found] = real_client.search_runs(["0"])
    assert _dataset_dicts(found) == _dataset_dicts(real_found)
    assert _links(found) == _links(real_found) == ([], [])
    assert ours.inputs.to_dictionary().keys() == theirs.inputs.to_dictionary().keys()


def test_many_inputs_some_known_already(mlflow, transport, real_client):
    """A log_inputs of more datasets than one SQL statement takes, some already known to
    the experiment (another run's) or to the run itself: one dataset row each, one link
    per run, the first input of a name and digest winning, read as real mlflow reads it."""
    def dataset(i):
        return mlflow.data.from_numpy(np.arange(i % 7 + 1), source=f"s3://b/{i}.npy",
                                      name=f"d{i}")

    with mlflow.start_run() as other:
        mlflow.log_inputs([dataset(i) for i in range(150)], ["training"] * 150,
                          [{"i": str(i)} for i in range(150)])
    with mlflow.start_run() as run:
        mlflow.log_inputs([dataset(i) for i in range(350, 400)], ["early"] * 50, [None] * 50)
        numbers = [*range(100, 400), 100]  # d100 twice: the first one counts
        mlflow.log_inputs([dataset(i) for i in numbers], [f"c{n}" for n in range(301)],
                          [{"k": "v"}] * 301)
    ours = mlflow.get_run(run.info.run_id)
    assert _dataset_dicts(ours) == _dataset_dicts(real_client.get_run(run.info.run_id))
    tags = {d.dataset.name: sorted((t.key, t.value) for t in d.tags)
            for d in ours.inputs.dataset_inputs}
    assert sorted(tags) == sorted(f"d{i}" for i in range(100, 400))
    assert tags["d100"] == [("k", "v"), ("mlflow.data.context", "c0")]
    assert tags["d149"] == [("k", "v"), ("mlflow.data.context", "c49")]
    assert tags["d349"] == [("k", "v"), ("mlflow.data.context", "c249")]
    assert tags["d350"] == tags["d399"] == [("mlflow.data.context", "early")]
    other_tags = {d.dataset.name: sorted((t.key, t.value) for t in d.tags)
                  for d in mlflow.get_run(other.info.run_id).inputs.dataset_inputs}
    assert len(other_tags) == 150
    assert other_tags["d120"] == [("i", "120"), ("mlflow.data.context", "training")]
    shared = mlflow.search_runs(filter_string="datasets.name = 'd120'", output_format="list")
    assert sorted(r.info.run_id for r in shared) == sorted([run.info.run_id,
                                                            other.info.run_id])
    if transport.startswith("sqlite"):
        import sqlite3

        with contextlib.closing(sqlite3.connect(transport[len("sqlite:///"):])) as db:
            dataset_ids = [r[0] for r in db.execute("SELECT dataset_uuid FROM datasets")]
            input_ids = [r[0] for r in db.execute(
                "SELECT input_uuid FROM inputs WHERE source_type = 'DATASET'")]
        assert len(dataset_ids) == len(set(dataset_ids)) == 400
        assert len(input_ids) == len(set(input_ids)) == 450
        assert all(len(i) == 32 and int(i, 16) >= 0 for i in dataset_ids + input_ids)


def test_real_mlflow_inputs_read_identically(mlflow, transport, real_mlflow):
    """What real mlflow logged (datasets, model inputs and outputs), read here."""
    mlflow.search_experiments()  # the store, created here (real mlflow's migrations are slow)
    real_mlflow.set_tracking_uri(transport)
    try:
        run = _log_inputs(real_mlflow)
        client = real_mlflow.MlflowClient(transport)
        E = real_mlflow.entities
        client.log_inputs(run.info.run_id, models=[E.LoggedModelInput("m-" + "1" * 32)])
        client.log_outputs(run.info.run_id, [E.LoggedModelOutput("m-" + "2" * 32, 3)])
        theirs = client.get_run(run.info.run_id)
        their_search = client.search_runs(["0"])
    finally:
        if real_mlflow is not mlflow:
            real_mlflow.set_tracking_uri(None)
    ours = mlflow.get_run(run.info.run_id)
    assert _dataset_dicts(ours) and _dataset_dicts(ours) == _dataset_dicts(theirs)
    assert _links(ours) == _links(theirs) == (["m-" + "1" * 32], [("m-" + "2" * 32, 3)])
    [found] = mlflow.search_runs(output_format="list")
    assert _dataset_dicts(found) == _dataset_dicts(their_search[0])
    assert _links(found) == _links(their_search[0]) == ([], [("m-" + "2" * 32, 3)])


def test_model_inputs_and_outputs(mlflow, transport, real_client):
    E = _entities(mlflow)
    model = mlflow.create_external_model(name="m")
    with mlflow.start_run() as run:
        mlflow.log_input(model=E.LoggedModelInput(model.model_id))
        mlflow.log_outputs([E.LoggedModelOutput(model.model_id, 2)])
    ours = mlflow.get_run(run.info.run_id)
    assert _links(ours) == _links(real_client.get_run(run.info.run_id)) == (
        [model.model_id], [(model.model_id, 2)])
    client = mlflow.MlflowClient()
    client.log_inputs(run.info.run_id, [E.DatasetInput(
        mlflow.data.from_numpy(np.arange(3), source="x.csv")._to_mlflow_entity())])
    assert [d.dataset.digest for d in client.get_run(run.info.run_id).inputs.dataset_inputs] \
        == [mlflow.data.from_numpy(np.arange(3), source="x.csv").digest]


def test_metric_linked_to_a_dataset(mlflow, transport, real_client):
    ds = mlflow.data.from_pandas(pd.DataFrame({"x": [1.0, 2.0]}), source="eval.csv",
                                 name="eval")
    with mlflow.start_run() as run:
        mlflow.log_metric("acc", 0.9, dataset=ds)
        mlflow.log_metrics({"f1": 0.8}, dataset=ds)
    ours = mlflow.get_run(run.info.run_id)
    theirs = real_client.get_run(run.info.run_id)
    assert _dataset_dicts(ours) == _dataset_dicts(theirs)
    assert [(d.dataset.name, d.dataset.digest) for d in ours.inputs.dataset_inputs] == [
        ("eval", ds.digest)]
    assert ours.data.metrics == {"acc": 0.9, "f1": 0.8}


@skip_on_mlflow("log_inputs are queued as the run's other writes, asynchronous with "
                "MLFLOW_ENABLE_ASYNC_LOGGING (mlflow always writes them at once)")
def test_asynchronous_log_inputs_are_ordered_and_flushed(mlflow, transport, monkeypatch):
    monkeypatch.setenv("MLFLOW_ENABLE_ASYNC_LOGGING", "true")
    datasets = [mlflow.data.from_numpy(np.arange(i + 1), source=f"d{i}.csv", name=f"d{i}")
                for i in range(20)]
    with mlflow.start_run() as run:
        mlflow.log_inputs(datasets, [None] * 20, [None] * 20)
        mlflow.log_metric("m", 1.0)
    mlflow.flush_async_logging()
    got = mlflow.get_run(run.info.run_id)
    assert sorted(d.dataset.name for d in got.inputs.dataset_inputs) == sorted(
        f"d{i}" for i in range(20))
    assert got.info.status == "FINISHED"
    # a failure of a queued call surfaces at the flush, and nothing else is lost
    mlflow.MlflowClient().log_inputs("f" * 32, [_entities(mlflow).DatasetInput(
        datasets[0]._to_mlflow_entity())])
    mlflow.log_metric("after", 2.0, run_id=run.info.run_id)
    with pytest.raises(mlflow.MlflowException) as info:
        mlflow.flush_async_logging()
    assert info.value.error_code == "RESOURCE_DOES_NOT_EXIST"
    assert mlflow.get_run(run.info.run_id).data.metrics["after"] == 2.0


# ========================================================================== search filters
FILTERS = [
    "datasets.name = 'train'",
    "datasets.name IN ('eval', 'nope')",
    "datasets.name != 'train'",
    "datasets.digest = '{digest}'",
    "datasets.digest NOT IN ('{digest}')",
    "datasets.context = 'training'",
    "datasets.context LIKE 'ev%'",
    "datasets.context ILIKE 'EV%'",
    "datasets.name LIKE 'tr%' AND params.p = '1'",
    "dataset.name = 'eval'",
]


def test_dataset_search_filters_match_mlflow(mlflow, transport, real_client):
    digest = mlflow.data.from_numpy(np.arange(6).reshape(3, 2), source="s3://bucket/train.npy",
                                    name="train").digest
    runs = [_log_inputs(mlflow).info.run_id]
    with mlflow.start_run() as other:
        mlflow.log_input(mlflow.data.from_numpy(np.arange(4), source="x", name="eval"),
                         context="eval")
    runs.append(other.info.run_id)
    with mlflow.start_run() as plain:
        mlflow.log_param("p", 1)
    runs.append(plain.info.run_id)
    for template in FILTERS:
        text = template.format(digest=digest)
        ours = sorted(r.info.run_id for r in mlflow.search_runs(filter_string=text,
                                                                output_format="list"))
        theirs = sorted(r.info.run_id for r in real_client.search_runs(["0"], text))
        assert ours == theirs, text
        frame = mlflow.search_runs(filter_string=text)
        assert sorted(frame["run_id"]) == theirs, text
    assert len(mlflow.search_runs(filter_string="datasets.name = 'eval'",
                                  output_format="list")) == 2


# ========================================================================== bad input
def _error(call):
    with pytest.raises(Exception) as info:
        call()
    return info.value


def test_bad_datasets(mlflow):
    err = _error(lambda: mlflow.data.from_numpy([1, 2, 3]))
    assert isinstance(err, AttributeError) and "flatten" in str(err)
    err = _error(lambda: mlflow.data.from_numpy({"a": [1, 2]}))
    assert isinstance(err, AttributeError) and "flatten" in str(err)
    err = _error(lambda: mlflow.data.from_numpy(np.arange(2), targets=[1, 2]))
    assert isinstance(err, AttributeError) and "flatten" in str(err)
    for bad in (np.arange(3), [1, 2], {"a": [1]}):
        err = _error(lambda: mlflow.data.from_pandas(bad))
        assert isinstance(err, AttributeError) and "head" in str(err)
    df = pd.DataFrame({"a": [1, 2]})
    for kwargs, label in (({"targets": "zz"}, "targets"), ({"predictions": "zz"}, "predictions")):
        err = _error(lambda: mlflow.data.from_pandas(df, **kwargs))
        assert isinstance(err, mlflow.MlflowException)
        assert err.error_code == "INVALID_PARAMETER_VALUE"
        assert err.message == (f"The specified pandas DataFrame does not contain the specified "
                               f"{label} column 'zz'.")
    for raw in (5, "foo://x", "runs:/abc/x"):
        err = _error(lambda: mlflow.data.from_numpy(np.arange(2), source=raw))
        assert isinstance(err, mlflow.MlflowException)
        assert err.error_code == "RESOURCE_DOES_NOT_EXIST"
        assert err.message == ("Could not find a source information resolver for the specified "
                               f"dataset source: {raw}.")
    err = _error(lambda: mlflow.data.get_source("x"))
    assert err.error_code == "INVALID_PARAMETER_VALUE" and "Unrecognized dataset type" in str(err)


def test_bad_inputs(mlflow, transport):
    rest_mlflow = IS_MLFLOW and transport.startswith("http")  # (some checks differ there)
    E = _entities(mlflow)
    ds = mlflow.data.from_numpy(np.arange(4), source="x.csv")

    def check(call, code, message):
        err = _error(call)
        assert isinstance(err, mlflow.MlflowException), err
        assert err.error_code == code
        assert err.message.endswith(message)  # (a server's error starts with its code)

    with mlflow.start_run() as run:
        check(lambda: mlflow.log_inputs([ds], contexts=[]), "INTERNAL_ERROR",
              "`mlflow.log_inputs` requires `datasets`, `contexts`, `tags_list` to be "
              "non-empty list and have the same length.")
        check(lambda: mlflow.log_inputs([ds], ["a"], [None], models=[E.LoggedModelInput("m-1")]),
              "INTERNAL_ERROR", "'models' argument is only supported by Databricks managed "
              "MLflow.")
        check(lambda: mlflow.log_inputs([None], ["a"], [None]), "INVALID_PARAMETER_VALUE",
              "`dataset` must be specified if `context` or `tags` is specified.")
        err = _error(lambda: mlflow.log_input(ds, tags={"k": None}))
        assert isinstance(err, TypeError if rest_mlflow else mlflow.MlflowException)
        if not rest_mlflow:  # (a TypeError from protobuf in mlflow's REST client)
            assert (err.error_code, err.message) == ("INVALID_PARAMETER_VALUE",
                                                     "InputTag value cannot be None")
        check(lambda: mlflow.log_input(ds, tags={"k": "v" * 501}), "INVALID_PARAMETER_VALUE",
              "'value' exceeds the maximum length of 500 characters")
        check(lambda: mlflow.log_input(ds, context="c" * 501), "INVALID_PARAMETER_VALUE",
              "'value' exceeds the maximum length of 500 characters")
        check(lambda: mlflow.log_input(ds, tags={"k" * 256: "v"}), "INVALID_PARAMETER_VALUE",
              "'key' exceeds the maximum length of 255 characters")
        check(lambda: mlflow.log_input(mlflow.data.from_numpy(np.arange(2), source="x",
                                                              name="n" * 501)),
              "INVALID_PARAMETER_VALUE", "'name' exceeds the maximum length of 500 characters")
        check(lambda: mlflow.log_input(mlflow.data.from_numpy(np.arange(2), source="x",
                                                              digest="d" * 37)),
              "INVALID_PARAMETER_VALUE", "'digest' exceeds the maximum length of 36 characters")
        err = _error(lambda: mlflow.log_input("abc"))
        assert isinstance(err, AttributeError) and "_to_mlflow_entity" in str(err)
        err = _error(lambda: mlflow.log_input(E.Dataset("n", "d", "local", "{}")))
        assert isinstance(err, AttributeError) and "_to_mlflow_entity" in str(err)
        err = _error(lambda: mlflow.log_input(ds, tags={"k": 5}))
        assert isinstance(err, TypeError)
        assert rest_mlflow or "has no len()" in str(err)  # (protobuf's wording there)
        mlflow.log_input(None, context="ignored without a dataset")
        mlflow.log_input()
        mlflow.log_inputs()
        mlflow.log_param("still", "fine")
    client = mlflow.MlflowClient()
    err = _error(lambda: client.log_inputs(run.info.run_id, datasets=[ds]))
    assert isinstance(err, AttributeError)
    if not rest_mlflow:  # (mlflow's REST client takes a tuple)
        err = _error(lambda: client.log_inputs(
            run.info.run_id, datasets=(E.DatasetInput(ds._to_mlflow_entity()),)))
        assert isinstance(err, TypeError)
        assert str(err).endswith("Argument 'datasets' should be a list, got '<class 'tuple'>'")
    missing = "a" * 32
    check(lambda: client.log_inputs(missing, [E.DatasetInput(ds._to_mlflow_entity())]),
          "RESOURCE_DOES_NOT_EXIST", f"Run with id={missing} not found")
    client.log_inputs(run.info.run_id)  # nothing to record
    got = mlflow.get_run(run.info.run_id)
    assert got.data.params == {"still": "fine"}
    assert got.inputs.dataset_inputs == [] or rest_mlflow


@skip_on_mlflow("mlflow fails on a None dataset entry with AttributeError, although its "
                "documentation says None entries mean 'no input'")
def test_log_inputs_none_entries_are_no_input(mlflow, transport):
    ds = mlflow.data.from_numpy(np.arange(4), source="x.csv")
    with mlflow.start_run() as run:
        mlflow.log_inputs([None, ds], [None, "training"], [None, None])
    assert [d.dataset.digest for d in mlflow.get_run(run.info.run_id).inputs.dataset_inputs] \
        == [ds.digest]


@skip_on_mlflow("mlflow raises AttributeError / TypeError there; ours are MlflowExceptions "
                "(INVALID_PARAMETER_VALUE) that are also those Python errors")
def test_bad_input_errors_are_mlflow_exceptions(mlflow):
    for call in (lambda: mlflow.data.from_numpy([1]), lambda: mlflow.data.from_pandas([1]),
                 lambda: mlflow.log_input("abc"), lambda: mlflow.MlflowClient().log_inputs(
                     "r" * 32, datasets=(1,))):
        err = _error(call)
        assert isinstance(err, mlflow.MlflowException)
        assert err.error_code == "INVALID_PARAMETER_VALUE"


def test_log_outputs_without_models_fails(mlflow, transport):
    with mlflow.start_run():
        err = _error(lambda: mlflow.log_outputs())
    assert "'NoneType' object is not iterable" in str(err)
    # mlflow: INTERNAL_ERROR from its SQL store, a TypeError from its REST client
    if not IS_MLFLOW or not transport.startswith("http"):
        assert isinstance(err, mlflow.MlflowException) and err.error_code == "INTERNAL_ERROR"
    if not IS_MLFLOW or transport.startswith("http"):
        assert isinstance(err, TypeError)


def test_public_names(mlflow, real_mlflow):
    import inspect

    for name in ("log_input", "log_inputs", "log_outputs"):
        assert name in mlflow.__all__
        assert (inspect.signature(getattr(mlflow, name)).parameters.keys()
                == inspect.signature(getattr(real_mlflow, name)).parameters.keys())
    for name in ("from_numpy", "from_pandas"):
        ours = inspect.signature(getattr(mlflow.data, name)).parameters
        theirs = inspect.signature(getattr(real_mlflow.data, name)).parameters
        assert [(p.name, p.default) for p in ours.values()] == [
            (p.name, p.default) for p in theirs.values()]
    assert set(real_mlflow.data.sources.__all__) - {
        "HuggingFaceDatasetSource", "SparkDatasetSource", "DeltaDatasetSource",
        "UCVolumeDatasetSource"} <= set(mlflow.data.sources.__all__)


@skip_on_mlflow("aiomlflow.aio is aiomlflow's awaitable API")
def test_aio_log_inputs(mlflow, transport):
    import asyncio

    from aiomlflow import aio

    ds = mlflow.data.from_numpy(np.arange(3), source="x.csv", name="a")
    ds2 = mlflow.data.from_numpy(np.arange(4), source="y.csv", name="b")
    E = _entities(mlflow)

    async def main():
        async with aio.start_run() as run:  # (a task of its own: its own active run)
            await aio.log_input(ds, context="training")
            await aio.log_inputs([ds2], ["eval"], [{"k": "v"}])
            await aio.log_outputs([E.LoggedModelOutput("m-" + "3" * 32, 1)])
        return run.info.run_id

    run_id = asyncio.run(main())
    got = mlflow.get_run(run_id)
    assert _dataset_dicts(got) == [
        (json.dumps(ds._to_mlflow_entity().to_dictionary()), [("mlflow.data.context", "training")]),
        (json.dumps(ds2._to_mlflow_entity().to_dictionary()),
         [("k", "v"), ("mlflow.data.context", "eval")])]
    assert _links(got) == ([], [("m-" + "3" * 32, 1)])


@skip_on_mlflow("mlflow's numpy datasets import pandas; aiomlflow hashes numbers with numpy")
def test_numeric_numpy_datasets_need_no_pandas(tmp_path):
    import subprocess

    code = ("import sys, warnings; warnings.simplefilter('ignore'); import numpy as np, aiomlflow;"
            "d = aiomlflow.data.from_numpy({'x': np.arange(12.0).reshape(4, 3)},"
            " targets=np.array([True, False, True, True]), source='x.csv'); d.to_dict();"
            "print(d.digest, 'pandas' in sys.modules)")
    root = pathlib.Path(__file__).resolve().parents[1]
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                         text=True, env={**os.environ, "PYTHONPATH": str(root)},
                         timeout=120)
    assert out.returncode == 0, out.stderr
    digest, pandas_loaded = out.stdout.split()
    import mlflow as real

    assert digest == real.data.from_numpy({"x": np.arange(12.0).reshape(4, 3)},
                                          targets=np.array([True, False, True, True]),
                                          source="x.csv").digest
    assert pandas_loaded == "False"
