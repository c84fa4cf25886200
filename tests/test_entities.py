"""Differential tests: aiomlflow.entities against real mlflow 3.17.2's mlflow.entities."""

from __future__ import annotations

import copy
import inspect
import json
import math
import pickle
import subprocess
import sys

import pytest

import aiomlflow.entities as A

M = pytest.importorskip("mlflow.entities")
from mlflow.utils.proto_json_utils import message_to_json  # noqa: E402

NAMES = [
    "Metric", "Param", "RunTag", "RunInfo", "RunData", "RunInputs", "RunOutputs", "Run",
    "Experiment", "ExperimentTag", "RunStatus", "ViewType", "LifecycleStage", "SourceType",
    "Dataset", "DatasetInput", "InputTag", "LoggedModelInput", "LoggedModelOutput", "FileInfo",
]
ENTITY_NAMES = [n for n in NAMES if n not in ("RunStatus", "ViewType", "LifecycleStage", "SourceType")]


# -- builders: the same constructor calls, against either library ------------------------

def metric(E, **kw):
    args = dict(key="acc", value=0.5, timestamp=1700000000123, step=3)
    args.update(kw)
    return E.Metric(**args)


def run_info(E, **kw):
    args = dict(run_id="r1", experiment_id="0", user_id="me", status="FINISHED",
                start_time=1700000000000, end_time=1700000005000, lifecycle_stage="active",
                artifact_uri="file:///tmp/mlruns/0/r1/artifacts", run_name="bright-fox-1")
    args.update(kw)
    return E.RunInfo(**args)


def run_data(E):
    return E.RunData(
        metrics=[metric(E), metric(E, value=0.75, step=4), metric(E, key="loss", value=math.inf),
                 metric(E, key="nan", value=math.nan, model_id="m-1", dataset_name="d",
                        dataset_digest="dg", run_id="r1")],
        params=[E.Param("lr", "0.1"), E.Param("opt", "adam")],
        tags=[E.RunTag("mlflow.runName", "bright-fox-1"), E.RunTag("team", "x")],
    )


def dataset(E, **kw):
    args = dict(name="ds", digest="abc", source_type="local", source='{"uri": "/d"}',
                schema='{"a": 1}', profile='{"rows": 2}')
    args.update(kw)
    return E.Dataset(**args)


def run_inputs(E):
    return E.RunInputs(
        [E.DatasetInput(dataset(E), [E.InputTag("mlflow.data.context", "train")]),
         E.DatasetInput(dataset(E, name="ds2", schema=None, profile=None))],
        [E.LoggedModelInput("m-in")],
    )


def run_outputs(E):
    return E.RunOutputs([E.LoggedModelOutput("m-out", 7)])


def run(E, full=True):
    if full:
        return E.Run(run_info(E), run_data(E), run_inputs(E), run_outputs(E))
    return E.Run(run_info(E), run_data(E))


def experiment(E, **kw):
    args = dict(experiment_id="12", name="exp", artifact_location="file:///tmp/mlruns/12",
                lifecycle_stage="active", tags=[E.ExperimentTag("k", "v"), E.ExperimentTag("k2", "")],
                creation_time=1700000000000, last_update_time=1700000001000)
    args.update(kw)
    return E.Experiment(**args)


BUILDERS = {
    "metric": lambda E: metric(E),
    "metric_full": lambda E: metric(E, model_id="m", dataset_name="d", dataset_digest="g", run_id="r"),
    "param": lambda E: E.Param("k", "v"),
    "run_tag": lambda E: E.RunTag("k", "v"),
    "experiment_tag": lambda E: E.ExperimentTag("k", "v"),
    "input_tag": lambda E: E.InputTag("k", "v"),
    "run_info": lambda E: run_info(E),
    "run_info_minimal": lambda E: E.RunInfo("r", "0", "u", "RUNNING", 1, None, "active"),
    "run_data": run_data,
    "run_data_empty": lambda E: E.RunData(),
    "dataset": lambda E: dataset(E),
    "dataset_input": lambda E: E.DatasetInput(dataset(E), [E.InputTag("a", "b")]),
    "run_inputs": run_inputs,
    "run_inputs_empty": lambda E: E.RunInputs([]),
    "run_outputs": run_outputs,
    "logged_model_input": lambda E: E.LoggedModelInput("m-1"),
    "logged_model_output": lambda E: E.LoggedModelOutput("m-1", 2),
    "run": lambda E: run(E),
    "run_partial": lambda E: run(E, full=False),
    "run_no_data": lambda E: E.Run(run_info(E), None),
    "experiment": lambda E: experiment(E),
    "experiment_minimal": lambda E: E.Experiment("1", "n", "loc", "active"),
    "experiment_ws": lambda E: experiment(E, workspace=" team ", effective_trace_archival_retention="7d"),
    "long_values": lambda E: E.RunData(
        [E.Metric(f"metric_{i}", i / 3, i, i) for i in (9, 3, 5, 1, 7, 2)],
        [E.Param("zeta", "v" * 30), E.Param("alpha", "long words " * 12)],
        [E.RunTag(f"t{i}", "x" * i) for i in range(12, 0, -1)]),
    "long_string": lambda E: E.Param("k", "word " * 40),
    "long_string_nospace": lambda E: E.Param("k", "x" * 200),
    "file_info": lambda E: E.FileInfo("a/b.txt", False, 12),
    "file_info_dir": lambda E: E.FileInfo("a", True, None),
}


def public_props(obj):
    return [n for n, v in inspect.getmembers(type(obj)) if isinstance(v, property)]


# -- API surface ----------------------------------------------------------------------

@pytest.mark.parametrize("name", NAMES)
def test_same_public_members(name):
    ours, theirs = getattr(A, name), getattr(M, name)
    skip = {"from_proto", "to_proto"}  # protobuf is out of scope
    want = {a for a in dir(theirs) if not a.startswith("__")} - skip
    have = {a for a in dir(ours) if not a.startswith("__")}
    missing = want - have - {"_resolve_trace_location_from_tags"}
    assert not missing, missing


@pytest.mark.parametrize("name", ENTITY_NAMES)
def test_constructor_signature(name):
    def params(cls):
        return [(p.name, p.kind, p.default) for p in inspect.signature(cls.__init__).parameters.values()]
    assert params(getattr(A, name)) == params(getattr(M, name))


@pytest.mark.parametrize("name", ENTITY_NAMES)
def test_properties_listing(name):
    ours, theirs = getattr(A, name), getattr(M, name)
    assert ours._properties() == theirs._properties()
    assert ours._get_properties_helper() == theirs._get_properties_helper()


def test_run_uuid_alias_is_hidden():
    ri = run_info(A)
    assert ri.run_uuid == ri.run_id == "r1"
    assert "run_uuid" not in dict(ri) and "run_uuid" not in repr(ri)


# -- values, repr, dictionaries ------------------------------------------------------

@pytest.mark.parametrize("case", sorted(BUILDERS))
def test_repr_iter_and_properties(case):
    ours, theirs = BUILDERS[case](A), BUILDERS[case](M)
    assert repr(ours) == repr(theirs)
    assert str(ours) == str(theirs)
    assert repr(dict(ours)) == repr(dict(theirs))
    for prop in public_props(theirs):
        if prop in ("trace_location",):
            continue
        assert repr(getattr(ours, prop)) == repr(getattr(theirs, prop)), prop


@pytest.mark.parametrize("case", sorted(BUILDERS))
def test_to_dictionary(case):
    ours, theirs = BUILDERS[case](A), BUILDERS[case](M)
    assert hasattr(ours, "to_dictionary") == hasattr(theirs, "to_dictionary")
    if hasattr(theirs, "to_dictionary"):
        # repr keeps key order, NaN and the objects MLflow leaves in (model_inputs).
        assert repr(ours.to_dictionary()) == repr(theirs.to_dictionary())


def test_run_data_metrics_latest_and_objs():
    ours, theirs = run_data(A), run_data(M)
    assert ours.metrics == {"acc": 0.75, "loss": math.inf, "nan": ours.metrics["nan"]}
    assert repr(ours._metric_objs) == repr(theirs._metric_objs)
    for E, rd in ((A, ours), (M, theirs)):
        rd._add_metric(E.Metric("acc", 9.0, 1, 1))
        rd._add_param(E.Param("p", "1"))
        rd._add_tag(E.RunTag("t", "2"))
    assert repr(ours) == repr(theirs)
    assert repr(ours._metric_objs) == repr(theirs._metric_objs)
    assert ours.to_dictionary()["metrics"] is ours.metrics


def test_private_mutators():
    pairs = []
    for E in (A, M):
        e = experiment(E)
        e._add_tag(E.ExperimentTag("new", "1"))
        e._set_name("renamed")
        e._set_creation_time(5)
        e._set_last_update_time(6)
        ri = run_info(E)
        ri._set_run_name("other")
        di = E.DatasetInput(dataset(E))
        di._add_tag(E.InputTag("a", "b"))
        pairs.append((repr(e), repr(ri), repr(di)))
    assert pairs[0] == pairs[1]
    ours = run_info(A)._copy_with_overrides(status="KILLED", end_time=9, lifecycle_stage="deleted")
    assert (ours.status, ours.end_time, ours.lifecycle_stage, ours.run_id) == ("KILLED", 9, "deleted", "r1")


def test_searchable_attributes():
    assert A.RunInfo.get_searchable_attributes() == M.RunInfo.get_searchable_attributes()
    assert A.RunInfo.get_orderable_attributes() == M.RunInfo.get_orderable_attributes()
    assert A.Experiment.DEFAULT_EXPERIMENT_NAME == M.Experiment.DEFAULT_EXPERIMENT_NAME


def test_workspace_env(monkeypatch):
    monkeypatch.setenv("MLFLOW_WORKSPACE", " ws ")
    for ws in (None, "  ", "explicit"):
        assert A.Experiment("1", "n", "l", "active", workspace=ws).workspace == \
            M.Experiment("1", "n", "l", "active", workspace=ws).workspace


def test_run_requires_info():
    from aiomlflow.exceptions import MlflowException
    with pytest.raises(MlflowException) as ours:
        A.Run(None, A.RunData())
    with pytest.raises(Exception) as theirs:
        M.Run(None, M.RunData())
    assert str(ours.value) == str(theirs.value)
    assert ours.value.error_code == theirs.value.error_code


def test_from_dictionary():
    d = metric(M, run_id="r").to_dictionary()
    assert repr(A.Metric.from_dictionary(d)) == repr(M.Metric.from_dictionary(d))
    from aiomlflow.exceptions import MlflowException
    for bad in ({}, {"key": "a"}, {"key": "a", "value": 1, "timestamp": 2}):
        with pytest.raises(MlflowException) as ours:
            A.Metric.from_dictionary(bad)
        with pytest.raises(Exception) as theirs:
            M.Metric.from_dictionary(bad)
        assert str(ours.value) == str(theirs.value)
        assert ours.value.error_code == theirs.value.error_code
    info = dict(run_info(M))
    info["extra"] = 1  # unknown keys are dropped by the generic from_dictionary
    assert repr(A.RunInfo.from_dictionary(info)) == repr(M.RunInfo.from_dictionary(info))
    fi = {"path": "p", "is_dir": False, "file_size": 1}
    assert repr(A.FileInfo.from_dictionary(fi)) == repr(M.FileInfo.from_dictionary(fi))


# -- equality and hashing ------------------------------------------------------------

EQ_VARIANTS = {
    "Metric": [lambda E: metric(E), lambda E: metric(E, step=9), lambda E: metric(E, run_id="x"),
               lambda E: metric(E, value=math.nan), lambda E: E.Param("acc", "0.5")],
    "Param": [lambda E: E.Param("k", "v"), lambda E: E.Param("k", "other"),
              lambda E: E.Param("j", "v"), lambda E: E.RunTag("k", "v")],
    "RunTag": [lambda E: E.RunTag("k", "v"), lambda E: E.RunTag("k", "w"),
               lambda E: E.ExperimentTag("k", "v")],
    "ExperimentTag": [lambda E: E.ExperimentTag("k", "v"), lambda E: E.ExperimentTag("k", "w"),
                      lambda E: E.RunTag("k", "v")],
    "InputTag": [lambda E: E.InputTag("k", "v"), lambda E: E.InputTag("j", "v")],
    "RunInfo": [lambda E: run_info(E), lambda E: run_info(E, run_name=None),
                lambda E: run_info(E, status="FAILED")],
    "Dataset": [lambda E: dataset(E), lambda E: dataset(E, schema=None)],
    "DatasetInput": [lambda E: E.DatasetInput(dataset(E)),
                     lambda E: E.DatasetInput(dataset(E), [E.InputTag("a", "b")])],
    "RunInputs": [run_inputs, lambda E: E.RunInputs([])],
    "RunOutputs": [run_outputs, lambda E: E.RunOutputs([])],
    "LoggedModelInput": [lambda E: E.LoggedModelInput("a"), lambda E: E.LoggedModelInput("b")],
    "LoggedModelOutput": [lambda E: E.LoggedModelOutput("a", 1), lambda E: E.LoggedModelOutput("a", 2)],
    "FileInfo": [lambda E: E.FileInfo("a", False, 1), lambda E: E.FileInfo("a", False, 2)],
    "RunData": [run_data, lambda E: E.RunData()],
    "Run": [run],
    "Experiment": [lambda E: experiment(E)],
}


@pytest.mark.parametrize("name", sorted(EQ_VARIANTS))
def test_equality_matrix(name):
    builders = EQ_VARIANTS[name]

    def matrix(E):
        objs = [b(E) for b in builders]
        again = [b(E) for b in builders]
        eq = [[a == b for b in again] for a in objs]
        ne = [[a != b for b in again] for a in objs]
        same = [o == o for o in objs]
        return eq, ne, same, [o == "str" for o in objs]

    assert matrix(A) == matrix(M)
    ours, theirs = builders[0](A), builders[0](M)
    assert (type(ours).__hash__ is None) == (type(theirs).__hash__ is None)
    twin = builders[0](A)
    if type(theirs).__hash__ is not None and ours == twin:  # identity-equal types hash by id
        assert hash(ours) == hash(twin)


def test_metric_hash_consistent_with_eq():
    assert hash(metric(A)) == hash(metric(A))
    assert len({metric(A), metric(A), metric(A, step=1)}) == 2
    assert len({A.Param("k", "v"), A.Param("k", "w")}) == 1


def test_immutable_properties():
    m = metric(A)
    with pytest.raises(AttributeError):
        m.value = 3


@pytest.mark.parametrize("case", sorted(BUILDERS))
def test_pickle_and_copy(case):
    obj = BUILDERS[case](A)
    for clone in (pickle.loads(pickle.dumps(obj)), copy.deepcopy(obj), copy.copy(obj)):
        assert repr(clone) == repr(obj)


# -- enums ---------------------------------------------------------------------------

def _outcome(fn, *args):
    try:
        return ("ok", fn(*args))
    except Exception as e:  # noqa: BLE001
        return ("err", str(e), getattr(e, "error_code", None))


def _same(ours, theirs):
    # MLflow raises a bare Exception for bad enum names; ours raises MlflowException
    # (a subclass) with the same message and INVALID_PARAMETER_VALUE.
    if ours[0] == "err" and theirs[0] == "err" and theirs[2] is None:
        return ours[1] == theirs[1] and ours[2] == "INVALID_PARAMETER_VALUE"
    return ours == theirs


@pytest.mark.parametrize("name,attrs", [
    ("RunStatus", ["RUNNING", "SCHEDULED", "FINISHED", "FAILED", "KILLED",
                   "_STRING_TO_STATUS", "_STATUS_TO_STRING", "_TERMINATED_STATUSES"]),
    ("ViewType", ["ACTIVE_ONLY", "DELETED_ONLY", "ALL", "_STRING_TO_VIEW", "_VIEW_TO_STRING"]),
    ("SourceType", ["NOTEBOOK", "JOB", "PROJECT", "LOCAL", "UNKNOWN",
                    "_STRING_TO_SOURCETYPE", "SOURCETYPE_TO_STRING"]),
    ("LifecycleStage", ["ACTIVE", "DELETED", "_VALID_STAGES"]),
])
def test_enum_constants(name, attrs):
    for attr in attrs:
        assert getattr(getattr(A, name), attr) == getattr(getattr(M, name), attr), attr


STRINGS = ["RUNNING", "SCHEDULED", "FINISHED", "FAILED", "KILLED", "running", "", "x", None,
           "NOTEBOOK", "JOB", "PROJECT", "LOCAL", "UNKNOWN", "notebook", "RECIPE",
           "active_only", "deleted_only", "all", "ALL", " all", "active"]
NUMBERS = [0, 1, 2, 3, 4, 5, 6, 99, -1, None, "1"]


@pytest.mark.parametrize("name,method,inputs", [
    ("RunStatus", "from_string", STRINGS), ("RunStatus", "to_string", NUMBERS),
    ("RunStatus", "is_terminated", NUMBERS),
    ("ViewType", "from_string", STRINGS), ("ViewType", "to_string", NUMBERS),
    ("ViewType", "from_proto", [1, 2, 3]), ("ViewType", "to_proto", [1, 2, 3]),
    ("SourceType", "from_string", STRINGS), ("SourceType", "to_string", NUMBERS),
    ("LifecycleStage", "is_valid", ["active", "deleted", "ACTIVE", "", None]),
    ("LifecycleStage", "view_type_to_stages", NUMBERS),
])
def test_enum_conversions(name, method, inputs):
    ours, theirs = getattr(getattr(A, name), method), getattr(getattr(M, name), method)
    for value in inputs:
        assert _same(_outcome(ours, value), _outcome(theirs, value)), (method, value)


def test_enum_no_arg_forms():
    assert A.RunStatus.all_status() == M.RunStatus.all_status()
    assert A.LifecycleStage.view_type_to_stages() == M.LifecycleStage.view_type_to_stages()


def test_matches_view_type():
    for view in (1, 2, 3, 9, None):
        for stage in ("active", "deleted", "bogus", None):
            ours = _outcome(A.LifecycleStage.matches_view_type, view, stage)
            theirs = _outcome(M.LifecycleStage.matches_view_type, view, stage)
            assert ours == theirs, (view, stage)


# -- REST JSON -------------------------------------------------------------------------

def real_json(entity):
    """The REST JSON MLflow's server sends for a real mlflow entity."""
    return json.loads(message_to_json(entity.to_proto()))


def stringify_int64(obj, keys=("timestamp", "step", "start_time", "end_time",
                               "creation_time", "last_update_time", "file_size")):
    """Protobuf's canonical JSON writes int64 as strings; our parser must accept both."""
    if isinstance(obj, dict):
        return {k: (str(v) if k in keys and isinstance(v, int) else stringify_int64(v))
                for k, v in obj.items()}
    if isinstance(obj, list):
        return [stringify_int64(v) for v in obj]
    return obj


REST_CASES = {
    "Metric": ["metric", "metric_full"],
    "Param": ["param"], "RunTag": ["run_tag"], "ExperimentTag": ["experiment_tag"],
    "RunInfo": ["run_info", "run_info_minimal"],
    "RunData": ["run_data", "run_data_empty"],
    "Run": ["run", "run_partial"],
    "Experiment": ["experiment", "experiment_minimal", "experiment_ws"],
    "FileInfo": ["file_info", "file_info_dir"],
}


@pytest.mark.parametrize("name,case", [(n, c) for n, cs in REST_CASES.items() for c in cs])
@pytest.mark.parametrize("int64_as_string", [False, True])
def test_from_dict_matches_mlflow_client(name, case, int64_as_string):
    real = BUILDERS[case](M)
    payload = real_json(real)
    if int64_as_string:
        payload = stringify_int64(payload)
    ours = getattr(A, name).from_dict(payload)
    # What MLflow's own REST client builds from the same message.
    theirs = type(real).from_proto(real.to_proto())
    assert repr(ours) == repr(theirs)


@pytest.mark.parametrize("name,case", [(n, c) for n, cs in REST_CASES.items() for c in cs])
def test_to_rest_dict_matches_mlflow_json(name, case):
    ours = BUILDERS[case](A).to_rest_dict()
    theirs = real_json(BUILDERS[case](M))
    # json.dumps so NaN / Infinity spellings are compared too.
    assert json.dumps(ours, sort_keys=True) == json.dumps(theirs, sort_keys=True)
    # And our output parses back to an equal entity.
    assert repr(getattr(A, name).from_dict(ours)) == repr(getattr(A, name).from_dict(theirs))


def test_metric_history_and_edge_values():
    history = {"metrics": [{"key": "m", "value": v, "timestamp": "5", "step": "1"}
                           for v in (1, "NaN", "Infinity", "-Infinity", 2.5)]}
    values = [A.Metric.from_dict(m).value for m in history["metrics"]]
    assert values[0] == 1.0 and isinstance(values[0], float)
    assert math.isnan(values[1]) and values[2] == math.inf and values[3] == -math.inf
    assert [A.Metric.from_dict(m).to_rest_dict()["value"] for m in history["metrics"]] == \
        [1.0, "NaN", "Infinity", "-Infinity", 2.5]


def test_from_dict_empty_messages_match_mlflow_defaults():
    from mlflow.protos import service_pb2 as pb
    from mlflow.utils.proto_json_utils import parse_dict
    cases = [("Run", pb.Run, {}), ("RunInfo", pb.RunInfo, {"end_time": "0", "status": "KILLED"}),
             ("Experiment", pb.Experiment, {"creation_time": "0"}), ("Metric", pb.Metric, {}),
             ("RunData", pb.RunData, {}), ("FileInfo", pb.FileInfo, {})]
    for name, proto_cls, payload in cases:
        proto = proto_cls()
        parse_dict(payload, proto)
        assert repr(getattr(A, name).from_dict(payload)) == repr(getattr(M, name).from_proto(proto)), name


def test_canonical_protobuf_json_response():
    """A runs/get body as protobuf's canonical JSON writes it (int64 as strings)."""
    from google.protobuf.json_format import MessageToDict

    real = run(M)
    body = {"run": MessageToDict(real.to_proto(), preserving_proto_field_name=True)}
    assert isinstance(body["run"]["info"]["start_time"], str)
    assert repr(A.Run.from_dict(body["run"])) == repr(M.Run.from_proto(real.to_proto()))
    exp = experiment(M)
    exp_body = MessageToDict(exp.to_proto(), preserving_proto_field_name=True)
    assert repr(A.Experiment.from_dict(exp_body)) == repr(M.Experiment.from_proto(exp.to_proto()))


def test_import_is_cheap():
    code = ("import sys, aiomlflow.entities; "
            "print(sorted(m for m in ('numpy', 'pandas', 'mlflow', 'google.protobuf') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_reexports():
    import aiomlflow.entities as S
    for name in NAMES:
        assert getattr(A, name) is getattr(S, name)
    assert set(NAMES) <= set(A.__all__)
