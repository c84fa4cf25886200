"""Artifact logging and reading through the public API, over every transport.

Run against the module under test (aiomlflow, or real mlflow with
``AIOMLFLOW_TESTS_TARGET=mlflow``); where aiomlflow's design adds something (background
uploads, flush at exit) the test says so.  Listings are compared with what real mlflow's
client lists for the same run, so the layout is MLflow's.
"""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from conftest import IS_MLFLOW, ensure_store, skip_on_mlflow
from test_reference_artifact_examples import files_of, flush_artifacts, real_files_of


@pytest.fixture
def transport(artifact_transport):
    """Every store of artifacts: local (SQLite), a server with a file:// artifact root,
    and a server proxying them (mlflow-artifacts:/ uploads)."""
    return artifact_transport


def write(path: pathlib.Path, text: str) -> pathlib.Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def real_client(tracking_uri: str):
    import mlflow as real

    return real.MlflowClient(tracking_uri)


# ----------------------------------------------------------------------------- files


def test_log_artifact_layouts_match_mlflow(mlflow, transport, tmp_path):
    src = tmp_path / "src"
    write(src / "a.txt", "a")
    write(src / "tree" / "b.txt", "bb")
    write(src / "tree" / "deep" / "c.txt", "ccc")
    with mlflow.start_run() as run:
        mlflow.log_artifact(src / "a.txt")
        mlflow.log_artifact(str(src / "a.txt"), artifact_path="x/y")
        mlflow.log_artifact(src / "tree", artifact_path="dirs")  # a directory, by name
        mlflow.log_artifacts(src / "tree")
        mlflow.log_artifacts(src / "tree", artifact_path="again")
        mlflow.log_artifacts(src / "missing", artifact_path="nothing")  # as MLflow: no-op
    run_id = run.info.run_id
    expected = {"a.txt": 1, "x/y/a.txt": 1, "dirs/tree/b.txt": 2, "dirs/tree/deep/c.txt": 3,
                "b.txt": 2, "deep/c.txt": 3, "again/b.txt": 2, "again/deep/c.txt": 3}
    assert files_of(mlflow, run_id) == expected
    assert real_files_of(transport, run_id) == expected


def test_client_log_artifact_to_a_run_by_id_and_replace(mlflow, transport, tmp_path):
    client = mlflow.MlflowClient()
    run_id = client.create_run("0").info.run_id
    path = write(tmp_path / "src" / "model.txt", "v1")
    client.log_artifact(run_id, path, "models")
    write(path, "version two")
    client.log_artifact(run_id, str(path), "models")
    client.log_artifacts(run_id, str(path.parent), "all")
    listing = client.list_artifacts(run_id)
    assert [(f.path, f.is_dir) for f in listing] == [("all", True), ("models", True)]
    assert [(f.path, f.file_size) for f in client.list_artifacts(run_id, "models")] == [
        ("models/model.txt", 11)]
    local = client.download_artifacts(run_id, "models/model.txt", str(tmp_path / "dl"))
    assert pathlib.Path(local).read_text() == "version two"
    assert real_files_of(transport, run_id) == {"all/model.txt": 11, "models/model.txt": 11}


def test_download_artifacts_of_a_directory_and_the_root(mlflow, transport, tmp_path):
    with mlflow.start_run() as run:
        mlflow.log_text("one", "d/one.txt")
        mlflow.log_text("two", "d/sub/two.txt")
        mlflow.log_dict({"k": 1}, "top.json")
    client = mlflow.MlflowClient()
    local = pathlib.Path(client.download_artifacts(run.info.run_id, "d", str(tmp_path / "a")))
    assert local == tmp_path / "a" / "d"
    assert (local / "one.txt").read_text() == "one"
    assert (local / "sub" / "two.txt").read_text() == "two"
    root = pathlib.Path(mlflow.artifacts.download_artifacts(run_id=run.info.run_id,
                                                            dst_path=str(tmp_path / "b")))
    assert sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()) == [
        "d/one.txt", "d/sub/two.txt", "top.json"]


def test_mlflow_artifacts_by_uri_and_by_run(mlflow, transport, tmp_path):
    with mlflow.start_run() as run:
        mlflow.log_text("hello\nworld", "notes/hello.txt")
        mlflow.log_dict({"a": [1, 2]}, "cfg/config.json")
    root = run.info.artifact_uri
    assert mlflow.artifacts.load_text(f"{root}/notes/hello.txt") == "hello\nworld"
    assert mlflow.artifacts.load_dict(f"{root}/cfg/config.json") == {"a": [1, 2]}
    runs_uri = f"runs:/{run.info.run_id}/notes/hello.txt"
    assert mlflow.artifacts.load_text(runs_uri) == "hello\nworld"
    by_run = mlflow.artifacts.list_artifacts(run_id=run.info.run_id, artifact_path="notes")
    assert [(f.path, f.is_dir, f.file_size) for f in by_run] == [("notes/hello.txt", False, 11)]
    local = mlflow.artifacts.download_artifacts(artifact_uri=f"{root}/cfg",
                                                dst_path=str(tmp_path / "c"))
    assert json.loads((pathlib.Path(local) / "config.json").read_text()) == {"a": [1, 2]}
    with pytest.raises(mlflow.MlflowException, match="Exactly one of `run_id` or `artifact_uri`"):
        mlflow.artifacts.list_artifacts()
    with pytest.raises(mlflow.MlflowException, match="`artifact_path` cannot be specified"):
        mlflow.artifacts.download_artifacts(artifact_uri=root, artifact_path="x")


def test_get_artifact_uri(mlflow, transport):
    with mlflow.start_run() as run:
        assert mlflow.get_artifact_uri() == run.info.artifact_uri
        assert mlflow.get_artifact_uri("a/b.txt") == run.info.artifact_uri + "/a/b.txt"


# ----------------------------------------------------------------------------- bad input

BAD_DIRS = [
    ("/abs", "/abs"), ("../x", "../x"), ("a/../../x", "../x"), ("a/../b", "b"), ("x/", "x"),
]


@pytest.mark.parametrize("artifact_path,resolved", BAD_DIRS)
def test_an_artifact_path_outside_or_not_normal_is_refused(mlflow, transport, tmp_path,
                                                          artifact_path, resolved):
    path = write(tmp_path / "f.txt", "x")
    with mlflow.start_run() as run:
        with pytest.raises(mlflow.MlflowException) as info:
            mlflow.log_artifact(path, artifact_path=artifact_path)
    assert info.value.message == (
        f"Invalid artifact path: '{artifact_path}'. Names may be treated as files in certain "
        "cases, and must not resolve to other names when treated as such. This name would "
        f"resolve to '{resolved}'")
    assert files_of(mlflow, run.info.run_id) == {}


@pytest.mark.parametrize("artifact_file,resolved", [("../x.txt", ".."), ("/tmp/abs.txt", "/tmp"),
                                                     ("a/../../x.txt", "..")])
def test_an_artifact_file_outside_the_root_is_refused(mlflow, transport, tmp_path,
                                                     artifact_file, resolved):
    with mlflow.start_run() as run:
        for log in (lambda: mlflow.log_text("x", artifact_file),
                    lambda: mlflow.log_dict({"a": 1}, artifact_file)):
            with pytest.raises(mlflow.MlflowException, match=f"This name would resolve to "
                                                             f"'{resolved}'$"):
                log()
    assert files_of(mlflow, run.info.run_id) == {}
    assert not pathlib.Path("/tmp/abs.txt").exists()


def test_a_missing_local_file_fails_at_the_call(mlflow, transport, tmp_path):
    with mlflow.start_run():
        with pytest.raises(FileNotFoundError, match="No such file or directory"):
            mlflow.log_artifact(tmp_path / "nope.txt")


def test_text_must_be_a_string(mlflow, transport):
    with mlflow.start_run():
        with pytest.raises(TypeError, match="must be str, not int"):
            mlflow.log_text(5, "five.txt")


@skip_on_mlflow("aiomlflow's logging keeps its queue across a bad artifact call")
def test_a_bad_artifact_call_loses_nothing_already_queued(mlflow, transport, tmp_path):
    with mlflow.start_run() as run:
        for step in range(100):
            mlflow.log_metric("m", step, step=step, synchronous=False)
        with pytest.raises(mlflow.MlflowException):
            mlflow.log_artifact(write(tmp_path / "f.txt", "x"), artifact_path="../up")
        mlflow.log_text("still", "fine.txt")
    client = mlflow.MlflowClient()
    assert len(client.get_metric_history(run.info.run_id, "m")) == 100
    assert files_of(mlflow, run.info.run_id) == {"fine.txt": 5}


# ----------------------------------------------------------------------------- images


def test_image_time_series_of_many_steps_lands_after_a_flush(mlflow, transport):
    rng = np.random.default_rng(0)
    frame = rng.integers(0, 256, size=(16, 16, 3), dtype=np.uint8)
    with mlflow.start_run() as run:
        for step in range(1000):
            frame[0, 0, 0] = step % 256  # the call must have copied the pixels
            mlflow.log_image(frame, key="samples/train", step=step)
        flush_artifacts(mlflow)
        listing = files_of(mlflow, run.info.run_id)
    assert len(listing) == 2000
    pngs = sorted((name for name in listing if name.endswith(".png")),
                  key=lambda name: int(name.split("+step+")[1].split("+")[0]))
    assert all(name.startswith("images/samples~train+step+") for name in pngs)
    last = mlflow.artifacts.load_image(f"{run.info.artifact_uri}/{pngs[-1]}")
    assert np.asarray(last)[0, 0, 0] == 999 % 256
    assert mlflow.get_run(run.info.run_id).data.tags["mlflow.loggedImages"] == "True"


@skip_on_mlflow("aiomlflow flushes artifact uploads at interpreter exit and on SIGTERM")
@pytest.mark.parametrize("ending,status", [("exit", "FINISHED"), ("sigterm", "KILLED")])
def test_image_time_series_is_complete_after_the_process_ends(transport, tmp_path, ending,
                                                             status):
    # (most of the 300 images are still to be stored when the loop ends; the flush test
    # above is the one of a thousand steps)
    kill = "os.kill(os.getpid(), signal.SIGTERM)" if ending == "sigterm" else ""
    script = textwrap.dedent(f"""
        import os, signal
        import numpy as np
        import aiomlflow as mlflow
        mlflow.set_tracking_uri({transport!r})
        run = mlflow.start_run()
        print(run.info.run_id, flush=True)
        image = np.zeros((8, 8), dtype=np.uint8)
        for step in range(300):
            mlflow.log_image(image, key="k", step=step)   # asynchronous by default
        # no flush, no end_run: the end of the process must deliver everything
        {kill}
    """)
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}
    proc = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=180)
    assert proc.returncode == (0 if ending == "exit" else -15), proc.stderr
    run_id = proc.stdout.split()[0]
    listing = real_files_of(transport, run_id)
    assert len(listing) == 600
    run = real_client(transport).get_run(run_id)
    assert run.info.status == status
    assert run.data.tags["mlflow.loggedImages"] == "True"


def test_the_with_block_ends_after_the_runs_images_are_stored(mlflow, transport):
    with mlflow.start_run() as run:
        for step in range(20):
            mlflow.log_image(np.full((4, 4), step, dtype=np.uint8), key="k", step=step)
    if IS_MLFLOW:
        flush_artifacts(mlflow)  # mlflow ends the run without waiting for its uploads
    assert len(real_files_of(transport, run.info.run_id)) == 40


@pytest.mark.parametrize("image,error,match", [
    (np.zeros((4, 4, 2), dtype=np.uint8), ValueError, "Invalid channel length: 2"),
    (np.full((4, 4), 300, dtype=np.int64), ValueError, "Integer pixel values out of acceptable range"),
    (np.zeros((4, 4), dtype=np.complex64), TypeError, "Invalid array data type"),
    ("not an image", TypeError, "Unsupported image object type"),
])
def test_a_bad_image_fails_at_the_call(mlflow, transport, image, error, match):
    with mlflow.start_run() as run:
        with pytest.raises(error, match=match):
            mlflow.log_image(image, key="k", step=0)
        with pytest.raises(error, match=match):
            mlflow.log_image(image, "bad.png")
    flush_artifacts(mlflow)
    assert files_of(mlflow, run.info.run_id) == {}


def test_bad_image_keys_and_arguments(mlflow, transport):
    image = np.zeros((4, 4), dtype=np.uint8)
    with mlflow.start_run():
        with pytest.raises(ValueError, match="The provided key `a:b` contains invalid"):
            mlflow.log_image(image, key="a:b")
        with pytest.raises(TypeError, match="cannot be used in conjunction"):
            mlflow.log_image(image, "f.png", key="k")
        with pytest.raises(TypeError, match="Please specify exactly one of"):
            mlflow.log_image(image)
        with pytest.raises(ValueError, match="unknown file extension"):
            mlflow.log_image(image, "f.nope")


@skip_on_mlflow("aiomlflow reports failed background uploads at the next flush")
def test_a_failed_background_upload_is_raised_by_the_flush(mlflow, transport):
    experiment_id = mlflow.create_experiment("elsewhere", artifact_location="s3://bucket/path")
    with mlflow.start_run(experiment_id=experiment_id):
        mlflow.log_image(np.zeros((4, 4), dtype=np.uint8), key="k", step=0)
        with pytest.raises(mlflow.MlflowException, match="s3://bucket/path"):
            mlflow.flush_artifact_async_logging()
        mlflow.flush_artifact_async_logging()  # reported once
        with pytest.raises(mlflow.MlflowException, match="s3://"):
            mlflow.log_text("x", "x.txt")  # a synchronous call raises its own failure


# ----------------------------------------------------------------------------- tables


def test_log_table_appends_and_load_table_reads_every_run(mlflow, transport):
    pd = pytest.importorskip("pandas")
    first = {"q": ["a", "b"], "score": [0.5, 1.0]}
    with mlflow.start_run() as one:
        mlflow.log_table(first, "eval/results.json")
        mlflow.log_table(pd.DataFrame({"q": ["c"], "score": [0.25]}), "eval/results.json")
        mlflow.log_table({"other": [1]}, "other.json")
    with mlflow.start_run() as two:
        mlflow.log_table(first, "eval/results.json")
    table = mlflow.load_table("eval/results.json", run_ids=[one.info.run_id],
                              extra_columns=["run_id"])
    assert table["q"].tolist() == ["a", "b", "c"]
    assert table["run_id"].tolist() == [one.info.run_id] * 3
    both = mlflow.load_table("eval/results.json", extra_columns=["run_id"])
    assert sorted(both["q"].tolist()) == ["a", "a", "b", "b", "c"]
    assert set(both["run_id"]) == {one.info.run_id, two.info.run_id}
    tag = mlflow.get_run(one.info.run_id).data.tags["mlflow.loggedArtifacts"]
    assert json.loads(tag) == [{"path": "eval/results.json", "type": "table"},
                               {"path": "other.json", "type": "table"}]
    import mlflow as real

    previous = real.get_tracking_uri()
    real.set_tracking_uri(transport)  # mlflow's load_table searches the global store
    try:
        real_table = real.MlflowClient(transport).load_table(
            "0", "eval/results.json", run_ids=[one.info.run_id], extra_columns=["run_id"])
    finally:
        real.set_tracking_uri(previous)
    pd.testing.assert_frame_equal(real_table, table)


def test_bad_tables(mlflow, transport):
    with mlflow.start_run():
        with pytest.raises(ValueError, match="forbidden character: :"):
            mlflow.log_table({"a": [1]}, "a:b.json")
        with pytest.raises(ValueError, match="'.json' or '.parquet' extension"):
            mlflow.log_table({"a": [1]}, "table.csv")
        with pytest.raises(mlflow.MlflowException, match="data must be a pandas.DataFrame"):
            mlflow.log_table([1, 2], "t.json")
    with pytest.raises(mlflow.MlflowException, match="No runs found with the corresponding"):
        mlflow.load_table("never.json")


# ----------------------------------------------------------------------------- interop


def test_what_real_mlflow_logs_we_read(mlflow, transport, tmp_path, monkeypatch):
    """The other direction: artifacts, images and tables logged by real mlflow are listed,
    downloaded and loaded by the module under test."""
    import mlflow as real

    monkeypatch.chdir(tmp_path)
    previous = real.get_tracking_uri()
    real.set_tracking_uri(ensure_store(transport))
    try:
        with real.start_run() as run:
            real.log_text("from mlflow", "notes/real.txt")
            real.log_dict({"x": 1}, "cfg.yaml")
            real.log_table({"q": ["a"], "s": [1.0]}, "t.json")
            real.log_image(np.zeros((8, 8, 3), dtype=np.uint8), key="img", step=1,
                           synchronous=True)
    finally:
        real.set_tracking_uri(previous)
    run_id = run.info.run_id
    assert files_of(mlflow, run_id) == real_files_of(transport, run_id)
    root = run.info.artifact_uri
    assert mlflow.artifacts.load_text(f"{root}/notes/real.txt") == "from mlflow"
    table = mlflow.load_table("t.json", run_ids=[run_id])
    assert table.to_dict("list") == {"q": ["a"], "s": [1.0]}
    local = mlflow.MlflowClient().download_artifacts(run_id, "cfg.yaml", str(tmp_path / "d"))
    assert pathlib.Path(local).read_text() == "x: 1\n"
