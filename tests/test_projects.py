"""``mlflow.run``: MLflow Projects on the local backend.

Each project's command runs in a subprocess; the child scripts log with
``import aiomlflow as mlflow`` into the run ``mlflow.run`` created (MLFLOW_RUN_ID).
``test_tags_and_params_match_real_mlflow`` runs real mlflow 3.17.2's ``mlflow.run`` on an
identical project in a subprocess and compares what both record.
"""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys
import textwrap

import pytest

from conftest import IS_AIOMLFLOW, IS_MLFLOW, fresh_store, skip_on_mlflow

import aiomlflow as _aiomlflow

# The aiomlflow under test, for the children's `import aiomlflow`.
_SOURCE_ROOT = str(pathlib.Path(_aiomlflow.__file__).resolve().parent.parent)

# A child that resumes the project run and records what it was given.
TRAIN = textwrap.dedent("""\
    import json, os, sys
    import aiomlflow as mlflow

    env = {k: os.environ.get(k) for k in (
        "MLFLOW_RUN_ID", "MLFLOW_TRACKING_URI", "MLFLOW_EXPERIMENT_ID")}
    with mlflow.start_run() as run:
        mlflow.log_metric("m", 1.5)
        mlflow.set_tag("argv", json.dumps(sys.argv[1:]))
        mlflow.set_tag("env", json.dumps(env))
        mlflow.set_tag("cwd", os.getcwd())
    """)

MLPROJECT = textwrap.dedent("""\
    name: demo
    entry_points:
      main:
        parameters:
          alpha: {type: float, default: 0.1}
          name: string
          data: {type: path, default: data.txt}
        command: "python train.py --alpha {alpha} --name {name} --data {data}"
      fail:
        command: "exit 3"
      link:
        parameters:
          target: uri
        command: "python train.py {target}"
    """)


def _write_project(root: pathlib.Path, mlproject: str | None = MLPROJECT) -> pathlib.Path:
    root.mkdir(parents=True, exist_ok=True)
    if mlproject is not None:
        (root / "MLproject").write_text(mlproject)
    (root / "train.py").write_text(TRAIN)
    (root / "data.txt").write_text("hello")
    return root


def _git(cwd, *args):
    env = dict(os.environ, GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@e", GIT_COMMITTER_NAME="t",
               GIT_COMMITTER_EMAIL="t@e", GIT_AUTHOR_DATE="2026-01-01T00:00:00Z",
               GIT_COMMITTER_DATE="2026-01-01T00:00:00Z")
    out = subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True,
                         text=True)
    return out.stdout.strip()


def _git_repo(root: pathlib.Path) -> dict:
    """A repository with the project in ``sub/``: main (one commit), feature (two)."""
    _write_project(root / "sub")
    _git(root.parent, "init", "-q", "-b", "main", str(root))
    _git(root, "add", "-A")
    _git(root, "commit", "-qm", "one")
    first = _git(root, "rev-parse", "HEAD")
    _git(root, "checkout", "-q", "-b", "feature")
    with open(root / "sub" / "train.py", "a") as f:
        f.write("    mlflow.set_tag('version', 'feature')\n")
    _git(root, "commit", "-qam", "two")
    second = _git(root, "rev-parse", "HEAD")
    _git(root, "checkout", "-q", "main")
    return {"first": first, "second": second}


@pytest.fixture
def project_env(mlflow, tmp_path, monkeypatch):
    """The module under test on a store in tmp_path; `python` is this interpreter and the
    children import the aiomlflow under test."""
    monkeypatch.setenv("PATH", os.path.dirname(sys.executable) + os.pathsep
                       + os.environ.get("PATH", ""))
    monkeypatch.setenv("PYTHONPATH", _SOURCE_ROOT + os.pathsep
                       + os.environ.get("PYTHONPATH", ""))
    monkeypatch.setenv("PYTHONDONTWRITEBYTECODE", "1")
    mlflow.set_tracking_uri(f"sqlite:///{tmp_path / 'store.db'}")
    return mlflow


def _exceptions(mlflow):
    import importlib

    return importlib.import_module(f"{mlflow.__name__}.exceptions")


def test_run_project_with_parameters(project_env, tmp_path):
    mlflow = project_env
    project = _write_project(tmp_path / "proj")
    submitted = mlflow.run(str(project), parameters={"name": "a b", "data": str(project / "data.txt"),
                                                     "extra": "x y"},
                           env_manager="local")
    assert isinstance(submitted, mlflow.projects.SubmittedRun)
    assert submitted.get_status() == "FINISHED"
    run = mlflow.get_run(submitted.run_id)
    assert run.info.status == "FINISHED"
    assert run.data.metrics == {"m": 1.5}
    # values are logged shell-quoted, as they go into the command; extras appended as --key value
    assert run.data.params == {"alpha": "0.1", "name": "'a b'",
                               "data": str(project / "data.txt"), "extra": "'x y'"}
    assert json.loads(run.data.tags["argv"]) == [
        "--alpha", "0.1", "--name", "a b", "--data", str(project / "data.txt"), "--extra", "x y"]
    env = json.loads(run.data.tags["env"])
    assert env == {"MLFLOW_RUN_ID": submitted.run_id,
                   "MLFLOW_TRACKING_URI": mlflow.get_tracking_uri(),
                   "MLFLOW_EXPERIMENT_ID": "0"}
    assert run.data.tags["cwd"] == str(project)
    tags = run.data.tags
    assert tags["mlflow.source.type"] == "PROJECT"
    assert tags["mlflow.source.name"] == str(project)
    assert tags["mlflow.project.entryPoint"] == "main"
    assert tags["mlflow.project.backend"] == "local"
    assert "mlflow.source.git.commit" not in tags
    assert "mlflow.project.env" not in tags  # MLflow sets it for non-local envs only


def test_parameter_errors(project_env, tmp_path):
    mlflow = project_env
    ExecutionException = _exceptions(mlflow).ExecutionException
    project = _write_project(tmp_path / "proj")
    with pytest.raises(ExecutionException, match="No value given for missing parameters: 'name'"):
        mlflow.run(str(project), env_manager="local")
    assert mlflow.search_runs(experiment_ids=["0"]).empty  # checked before any run exists
    with pytest.raises(ExecutionException, match="Expected URI for parameter target but got "
                                                 "plain"):
        mlflow.run(str(project), entry_point="link", parameters={"target": "plain"},
                   env_manager="local")
    with pytest.raises(ExecutionException, match="Got value nowhere.txt for parameter data, "
                                                 "but no such file or directory was found"):
        mlflow.run(str(project), parameters={"name": "n", "data": "nowhere.txt"},
                   env_manager="local")
    if IS_AIOMLFLOW:  # MLflow creates the run before these checks, and leaves it RUNNING
        assert mlflow.search_runs(experiment_ids=["0"]).empty
    with pytest.raises(ExecutionException, match="Could not find nope among entry points "
                                                 r"\['main', 'fail', 'link'\]"):
        mlflow.run(str(project), entry_point="nope", env_manager="local")


def test_uri_parameter_accepted(project_env, tmp_path):
    mlflow = project_env
    project = _write_project(tmp_path / "proj")
    submitted = mlflow.run(str(project), entry_point="link",
                           parameters={"target": "s3://bucket/key"}, env_manager="local")
    run = mlflow.get_run(submitted.run_id)
    assert run.data.params == {"target": "s3://bucket/key"}
    assert json.loads(run.data.tags["argv"]) == ["s3://bucket/key"]


def test_path_parameter_downloaded_to_storage_dir(project_env, tmp_path):
    mlflow = project_env
    project = _write_project(tmp_path / "proj")
    source = tmp_path / "remote.txt"
    source.write_text("remote content")
    with mlflow.start_run() as holder:
        mlflow.log_artifact(str(source))
    storage = tmp_path / "storage"
    remote = f"runs:/{holder.info.run_id}/remote.txt"
    submitted = mlflow.run(str(project), parameters={"name": "n", "data": remote},
                           storage_dir=str(storage), env_manager="local")
    run = mlflow.get_run(submitted.run_id)
    assert run.data.params["data"] == remote  # the URI is logged, the download is passed
    local = json.loads(run.data.tags["argv"])[5]
    assert pathlib.Path(local).resolve().is_relative_to(storage.resolve())
    assert pathlib.Path(local).read_text() == "remote content"
    assert pathlib.Path(local).parent.name == "param_2"  # the parameter's position


def test_entry_point_scripts_and_projects_without_mlproject(project_env, tmp_path):
    mlflow = project_env
    project = _write_project(tmp_path / "plain", mlproject=None)
    (project / "go.sh").write_text('python train.py "$@" from-sh\n')
    submitted = mlflow.run(str(project), entry_point="train.py", parameters={"k": "v 1"},
                           env_manager="local")
    run = mlflow.get_run(submitted.run_id)
    assert json.loads(run.data.tags["argv"]) == ["--k", "v 1"]
    assert run.data.params == {"k": "'v 1'"}
    assert run.data.tags["mlflow.project.entryPoint"] == "train.py"
    submitted = mlflow.run(str(project), entry_point="go.sh", env_manager="local")
    assert json.loads(mlflow.get_run(submitted.run_id).data.tags["argv"]) == ["from-sh"]
    with pytest.raises(_exceptions(mlflow).ExecutionException,
                       match=r"Could not find main among entry points \[\] or interpret main "
                             r"as a runnable script"):
        mlflow.run(str(project), env_manager="local")


def test_zip_project(project_env, tmp_path):
    import zipfile

    mlflow = project_env
    project = _write_project(tmp_path / "proj")
    archive = tmp_path / "proj.zip"
    with zipfile.ZipFile(archive, "w") as out:
        for path in project.iterdir():
            out.write(path, path.name)
    submitted = mlflow.run(str(archive), parameters={"name": "n", "data": str(tmp_path)},
                           env_manager="local")
    run = mlflow.get_run(submitted.run_id)
    assert run.info.status == "FINISHED" and run.data.metrics == {"m": 1.5}
    assert run.data.tags["mlflow.source.name"] == str(archive)
    assert run.data.tags["cwd"] != str(project)  # unpacked into a directory of its own


def test_failing_command_raises_and_marks_run_failed(project_env, tmp_path, caplog):
    mlflow = project_env
    project = _write_project(tmp_path / "proj")
    with pytest.raises(_exceptions(mlflow).ExecutionException, match=r"Run \(ID '\w+'\) failed"):
        mlflow.run(str(project), entry_point="fail", env_manager="local")
    runs = mlflow.search_runs(experiment_ids=["0"])
    assert list(runs["status"]) == ["FAILED"]
    assert runs["tags.mlflow.project.entryPoint"][0] == "fail"


def test_exit_code_decides_the_status(project_env, tmp_path):
    # As MLflow: the run ends by the command's exit code, whatever the command set.
    mlflow = project_env
    project = _write_project(tmp_path / "proj", mlproject=None)
    (project / "ends_failed.py").write_text(
        "import aiomlflow as mlflow\nmlflow.start_run()\nmlflow.end_run('FAILED')\n")
    submitted = mlflow.run(str(project), entry_point="ends_failed.py", env_manager="local")
    assert mlflow.get_run(submitted.run_id).info.status == "FINISHED"


def test_success_is_logged(project_env, tmp_path, capfd):
    mlflow = project_env
    project = _write_project(tmp_path / "proj")
    submitted = mlflow.run(str(project), parameters={"name": "n", "data": str(project)},
                           env_manager="local")
    err = capfd.readouterr().err
    assert f"=== Run (ID '{submitted.run_id}') succeeded ===" in err


WAITER = textwrap.dedent("""\
    import os, sys, time
    import aiomlflow as mlflow
    deadline = time.time() + 60  # never outlive a broken test
    with mlflow.start_run():
        while not os.path.exists(sys.argv[-1]) and time.time() < deadline:
            time.sleep(0.02)
        mlflow.log_metric("done", 1)
    """)


def test_asynchronous_run_wait_and_status(project_env, tmp_path):
    mlflow = project_env
    project = _write_project(tmp_path / "proj", mlproject=None)
    (project / "waiter.py").write_text(WAITER)
    flag = tmp_path / "go"
    submitted = mlflow.run(str(project), entry_point="waiter.py",
                           parameters={"flag": str(flag)}, synchronous=False,
                           env_manager="local")
    assert submitted.get_status() == "RUNNING"
    assert mlflow.get_run(submitted.run_id).info.status == "RUNNING"
    flag.write_text("")
    assert submitted.wait() is True
    assert submitted.get_status() == "FINISHED"
    run = mlflow.get_run(submitted.run_id)
    assert run.info.status == "FINISHED"
    assert run.data.metrics == {"done": 1.0}


def test_asynchronous_run_cancel(project_env, tmp_path):
    mlflow = project_env
    project = _write_project(tmp_path / "proj", mlproject=None)
    (project / "waiter.py").write_text(WAITER)
    submitted = mlflow.run(str(project), entry_point="waiter.py",
                           parameters={"flag": str(tmp_path / "never")}, synchronous=False,
                           env_manager="local")
    submitted.cancel()
    assert submitted.get_status() == "FAILED"
    assert submitted.wait() is False
    if IS_AIOMLFLOW:  # MLflow leaves the status to the killed `mlflow run` process
        assert mlflow.get_run(submitted.run_id).info.status == "KILLED"


@skip_on_mlflow("mlflow.run(synchronous=False) leaves the run to a detached `mlflow run`")
@pytest.mark.parametrize("ending, status, metrics", [
    ("", "FINISHED", {"late": 2.0}),             # waited for at exit
    ("raise KeyboardInterrupt", "KILLED", {}),   # interrupted: terminated
])
def test_parent_process_exit_and_asynchronous_runs(project_env, tmp_path, ending, status,
                                                  metrics):
    mlflow = project_env
    project = _write_project(tmp_path / "proj", mlproject=None)
    (project / "slow.py").write_text(
        "import time, aiomlflow as mlflow\n"
        "with mlflow.start_run():\n    time.sleep(1)\n    mlflow.log_metric('late', 2)\n")
    script = tmp_path / "parent.py"
    script.write_text(textwrap.dedent(f"""\
        import aiomlflow as mlflow
        mlflow.set_tracking_uri({mlflow.get_tracking_uri()!r})
        submitted = mlflow.run({str(project)!r}, entry_point="slow.py", synchronous=False,
                               env_manager="local")
        print(submitted.run_id, flush=True)
        {ending}
        """))
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          timeout=60, cwd=tmp_path)
    assert (done.returncode == 0) == (not ending), done.stderr
    run = mlflow.get_run(done.stdout.split()[0])
    assert run.info.status == status
    assert run.data.metrics == metrics


def test_git_repository_with_version(project_env, tmp_path, monkeypatch):
    mlflow = project_env
    repo = tmp_path / "repo"
    commits = _git_repo(repo)
    # A remote Git URI, which git (url.<base>.insteadOf) serves from the local repository
    uri = "https://git.example.invalid/team/repo.git"
    monkeypatch.setenv("GIT_CONFIG_COUNT", "1")
    monkeypatch.setenv("GIT_CONFIG_KEY_0", f"url.{repo}.insteadOf")
    monkeypatch.setenv("GIT_CONFIG_VALUE_0", uri)
    submitted = mlflow.run(f"{uri}#sub", version="feature",
                           parameters={"name": "n", "data": str(tmp_path)}, env_manager="local")
    run = mlflow.get_run(submitted.run_id)
    assert run.data.tags["version"] == "feature"  # the feature branch's code ran
    assert run.data.tags["mlflow.source.name"] == f"{uri}#sub"
    assert run.data.tags["mlflow.source.git.commit"] == commits["second"]
    assert run.data.tags["mlflow.source.git.repoURL"] == uri
    assert run.data.tags["mlflow.source.git.branch"] == "feature"
    assert run.data.tags["cwd"] != str(repo / "sub")
    # a commit hash: no branch tag; the remote's HEAD branch (main) when no version is given
    submitted = mlflow.run(f"{uri}#sub", version=commits["first"],
                           parameters={"name": "n", "data": str(tmp_path)}, env_manager="local")
    tags = mlflow.get_run(submitted.run_id).data.tags
    assert tags["mlflow.source.git.commit"] == commits["first"]
    assert "mlflow.source.git.branch" not in tags and "version" not in tags
    submitted = mlflow.run(f"{uri}#sub", parameters={"name": "n", "data": str(tmp_path)},
                           env_manager="local")
    assert mlflow.get_run(submitted.run_id).data.tags["mlflow.source.git.commit"] == \
        commits["first"]
    with pytest.raises(_exceptions(mlflow).ExecutionException,
                       match="Unable to checkout version 'nope'"):
        mlflow.run(f"{uri}#sub", version="nope", env_manager="local")


def test_local_git_repository(project_env, tmp_path):
    mlflow = project_env
    repo = tmp_path / "repo"
    commits = _git_repo(repo)
    # in place: source name is the repository's file:// URL and subdirectory
    submitted = mlflow.run(str(repo / "sub"), parameters={"name": "n", "data": str(tmp_path)},
                           env_manager="local")
    tags = mlflow.get_run(submitted.run_id).data.tags
    assert tags["mlflow.source.name"] == f"file://{repo}#sub"
    assert tags["mlflow.source.git.commit"] == commits["first"]
    assert "mlflow.source.git.repoURL" not in tags
    assert tags["cwd"] == str(repo / "sub")
    # a version of a local repository
    submitted = mlflow.run(f"{repo}#sub", version="feature",
                           parameters={"name": "n", "data": str(tmp_path)}, env_manager="local")
    tags = mlflow.get_run(submitted.run_id).data.tags
    assert tags["version"] == "feature"
    assert tags["mlflow.source.git.commit"] == commits["second"]
    assert tags["mlflow.source.git.branch"] == "feature"
    if IS_AIOMLFLOW:  # MLflow checks the version out in the user's own working tree
        assert _git(repo, "rev-parse", "--abbrev-ref", "HEAD") == "main"
    with pytest.raises(_exceptions(mlflow).ExecutionException,
                       match="Setting a version is only supported for Git project URIs"):
        mlflow.run(str(_write_project(tmp_path / "plain")), version="main", env_manager="local")
    with pytest.raises(_exceptions(mlflow).ExecutionException,
                       match="'.' is not allowed in project subdirectory paths"):
        mlflow.run(f"{repo}#../sub", env_manager="local")


def test_experiment_and_run_options(project_env, tmp_path, monkeypatch):
    mlflow = project_env
    project = _write_project(tmp_path / "proj")
    params = {"name": "n", "data": str(project)}
    submitted = mlflow.run(str(project), parameters=params, experiment_name="projects-exp",
                           run_name="my-run", env_manager="local")
    run = mlflow.get_run(submitted.run_id)
    experiment = mlflow.get_experiment_by_name("projects-exp")
    assert run.info.experiment_id == experiment.experiment_id
    assert json.loads(run.data.tags["env"])["MLFLOW_EXPERIMENT_ID"] == experiment.experiment_id
    assert run.info.run_name == "my-run" and run.data.tags["mlflow.runName"] == "my-run"
    other = mlflow.create_experiment("other")
    submitted = mlflow.run(str(project), parameters=params, experiment_id=other,
                           env_manager="local")
    assert mlflow.get_run(submitted.run_id).info.experiment_id == other
    mlflow.set_experiment("projects-exp")
    with mlflow.start_run() as parent:
        submitted = mlflow.run(str(project), parameters=params, env_manager="local")
    run = mlflow.get_run(submitted.run_id)
    assert run.info.experiment_id == experiment.experiment_id
    assert run.data.tags["mlflow.parentRunId"] == parent.info.run_id
    with pytest.raises(mlflow.MlflowException,
                       match="Specify only one of 'experiment_name' or 'experiment_id'"):
        mlflow.run(str(project), parameters=params, experiment_name="x", experiment_id=other,
                   env_manager="local")


def test_existing_run_id(project_env, tmp_path):
    mlflow = project_env
    project = _write_project(tmp_path / "proj")
    created = mlflow.MlflowClient().create_run("0")
    submitted = mlflow.run(str(project), parameters={"name": "n", "data": str(project)},
                           run_id=created.info.run_id, env_manager="local")
    assert submitted.run_id == created.info.run_id
    run = mlflow.get_run(created.info.run_id)
    assert run.info.status == "FINISHED" and run.data.metrics == {"m": 1.5}
    assert run.data.params == {}  # an existing run is used as it is
    # the local backend's backend_config key names it too
    submitted = mlflow.run(str(project), parameters={"name": "n", "data": str(project)},
                           backend_config={"_mlflow_local_backend_run_id": created.info.run_id},
                           env_manager="local")
    assert submitted.run_id == created.info.run_id


@skip_on_mlflow("interop: an aiomlflow parent with a real mlflow child")
def test_real_mlflow_child_logs_into_the_run(project_env, tmp_path, monkeypatch):
    mlflow = project_env
    monkeypatch.setenv("MLFLOW_DISABLE_TELEMETRY", "true")
    project = _write_project(tmp_path / "proj", mlproject=None)
    (project / "real_child.py").write_text(
        "import mlflow\n"
        "assert mlflow.__name__ == 'mlflow'\n"
        "with mlflow.start_run():\n    mlflow.log_metric('real', 2.0)\n"
        "    mlflow.set_tag('by', 'mlflow')\n")
    submitted = mlflow.run(str(project), entry_point="real_child.py", env_manager="local")
    run = mlflow.get_run(submitted.run_id)
    assert run.info.status == "FINISHED"
    assert run.data.metrics == {"real": 2.0} and run.data.tags["by"] == "mlflow"


def _records_of_real_mlflow(tmp_path, cases) -> list:
    """What real mlflow's mlflow.run records for each (project, version), in one process."""
    store = fresh_store(tmp_path / "real.db")
    script = tmp_path / "real.py"
    script.write_text(textwrap.dedent(f"""\
        import json, mlflow
        mlflow.set_tracking_uri({store!r})
        out = []
        for project, version in {cases!r}:
            submitted = mlflow.run(project, version=version, env_manager="local",
                                   parameters={{"name": "a b", "data": {str(tmp_path)!r}, "x": 1}})
            run = mlflow.get_run(submitted.run_id)
            out.append({{"status": run.info.status, "tags": run.data.tags,
                        "params": run.data.params}})
        print(json.dumps(out))
        """))
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}
    env.update(MLFLOW_DISABLE_TELEMETRY="true", DO_NOT_TRACK="true")
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          timeout=120, cwd=tmp_path, env=env)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


@skip_on_mlflow("compares aiomlflow with real mlflow")
def test_tags_and_params_match_real_mlflow(project_env, tmp_path, monkeypatch):
    mlflow = project_env
    ours_root, theirs_root = tmp_path / "ours", tmp_path / "theirs"
    for root in (ours_root, theirs_root):
        _git_repo(root / "repo")  # the same commits (fixed dates) in both
        _write_project(root / "plain")
    remote = "https://git.example.invalid/team/repo.git"
    monkeypatch.setenv("GIT_CONFIG_COUNT", "1")
    monkeypatch.setenv("GIT_CONFIG_KEY_0", f"url.{ours_root / 'repo'}.insteadOf")
    monkeypatch.setenv("GIT_CONFIG_VALUE_0", remote)
    cases = [("{root}/plain", None), ("{root}/repo/sub", None), ("{root}/repo#sub", "feature"),
             (remote + "#sub", "feature"), (remote + "#sub", None)]
    theirs_all = _records_of_real_mlflow(
        tmp_path, [(uri.format(root=theirs_root), version) for uri, version in cases])
    volatile = {"mlflow.runName", "argv", "env", "cwd"}
    for (uri, version), theirs in zip(cases, theirs_all):
        submitted = mlflow.run(uri.format(root=ours_root), version=version, env_manager="local",
                               parameters={"name": "a b", "data": str(tmp_path), "x": 1})
        run = mlflow.get_run(submitted.run_id)
        text = json.dumps({k: v for k, v in theirs["tags"].items() if k not in volatile},
                          sort_keys=True).replace(str(theirs_root), str(ours_root))
        assert json.dumps({k: v for k, v in run.data.tags.items() if k not in volatile},
                          sort_keys=True) == text, (uri, version)
        assert run.data.params == theirs["params"]
        assert run.info.status == theirs["status"] == "FINISHED"
        assert run.data.metrics == {"m": 1.5}


def test_unsupported_options_raise(project_env, tmp_path):
    mlflow = project_env
    project = str(_write_project(tmp_path / "proj"))
    params = {"name": "n", "data": project}
    with pytest.raises(mlflow.MlflowException, match="Invalid value for `env_manager`: pip"):
        mlflow.run(project, parameters=params, env_manager="pip")
    if IS_MLFLOW:
        return  # the rest is what aiomlflow does not support (MLflow runs them)
    local = {"env_manager": "local"}
    for kwargs, expected in (
            ({"backend": "databricks", **local}, "backend='databricks' is not supported"),
            ({"backend": "kubernetes", **local}, "backend='kubernetes' is not supported"),
            ({"docker_args": {"gpus": "all"}, **local}, "docker_args: docker environments"),
            ({"build_image": True, **local}, "build_image: docker environments"),
            ({"docker_auth": {"username": "u"}, **local}, "docker_auth: docker environments"),
            ({"env_manager": "conda"}, "python_env project cannot be executed using conda"),
            ({"env_manager": "virtualenv"}, "env_manager='virtualenv' is not supported"),
            ({"env_manager": "uv"}, "env_manager='uv' is not supported"),
            # MLflow's choice for a project declaring no environment: virtualenv
            ({}, "env_manager='virtualenv'.*Pass env_manager='local'")):
        with pytest.raises(mlflow.MlflowException, match=expected):
            mlflow.run(project, parameters=params, **kwargs)
    with pytest.raises(_exceptions(mlflow).ExecutionException,
                       match="Got unsupported execution mode nowhere"):
        mlflow.run(project, parameters=params, backend="nowhere", env_manager="local")
    conda = _write_project(tmp_path / "conda_proj")
    (conda / "conda.yaml").write_text("name: x\ndependencies: [python]\n")
    with pytest.raises(mlflow.MlflowException, match="env_manager='conda'.*conda.yaml"):
        mlflow.run(str(conda), parameters=params)
    assert mlflow.get_run(mlflow.run(str(conda), parameters=params, env_manager="local")
                          .run_id).info.status == "FINISHED"
    docker = _write_project(tmp_path / "docker_proj", MLPROJECT + "docker_env:\n  image: x\n")
    with pytest.raises(mlflow.MlflowException, match="docker environment"):
        mlflow.run(str(docker), parameters=params, env_manager="local")
    assert mlflow.search_runs(experiment_ids=["0"])["status"].tolist() == ["FINISHED"]


@skip_on_mlflow("aiomlflow checks backend_config for the local backend")
def test_backend_config(project_env, tmp_path):
    mlflow = project_env
    project = str(_write_project(tmp_path / "proj"))
    params = {"name": "n", "data": project}
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"USE_CONDA": False}))
    for bad, expected in ((str(config), r"backend_config keys \['USE_CONDA'\]"),
                          ({"cluster": 1}, r"backend_config keys \['cluster'\]"),
                          ("config.yaml", "backend_config must be a dict or the path"),
                          (str(tmp_path / "missing.json"), "Error when attempting to load")):
        with pytest.raises(mlflow.MlflowException, match=expected) as info:
            mlflow.run(project, parameters=params, backend_config=bad, env_manager="local")
        assert info.value.error_code == "INVALID_PARAMETER_VALUE"
    config.write_text("{}")
    submitted = mlflow.run(project, parameters=params, backend_config=str(config),
                           env_manager="local")
    assert mlflow.get_run(submitted.run_id).info.status == "FINISHED"


@skip_on_mlflow("aiomlflow's import cost")
def test_import_stays_cheap():
    code = ("import sys, aiomlflow\n"
            "assert 'yaml' not in sys.modules and 'aiomlflow.projects' not in sys.modules\n"
            "assert callable(aiomlflow.run) and 'aiomlflow.projects' in sys.modules\n"
            "from aiomlflow.exceptions import ExecutionException, MlflowException\n"
            "assert issubclass(ExecutionException, MlflowException)\n"
            "from aiomlflow.projects.submitted_run import LocalSubmittedRun, SubmittedRun\n"
            "assert issubclass(LocalSubmittedRun, SubmittedRun)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=dict(os.environ, PYTHONPATH=_SOURCE_ROOT))
    assert done.returncode == 0, done.stderr



EXAMPLE_MLPROJECT = textwrap.dedent("""\
    name: tutorial
    python_env: python_env.yaml
    entry_points:
      main:
        parameters:
          alpha: {type: float, default: 0.5}
          l1_ratio: {type: float, default: 0.1}
        command: "python train.py {alpha} {l1_ratio}"
    """)

EXAMPLE_TRAIN = textwrap.dedent("""\
    import sys
    import aiomlflow as mlflow
    alpha, l1_ratio = float(sys.argv[1]), float(sys.argv[2])
    with mlflow.start_run():
        print("Elasticnet model (alpha={:f}, l1_ratio={:f}):".format(alpha, l1_ratio))
        mlflow.log_param("alpha", alpha)
        mlflow.log_metric("rmse", 0.788347345611717)
    """)


@skip_on_mlflow("real mlflow builds the project's virtualenv (network)")
def test_reference_example(project_env, tmp_path, monkeypatch, capfd):
    """The reference's example, on a stand-in for github.com/mlflow/mlflow-example served
    by git from a local repository."""
    mlflow = project_env
    repo = tmp_path / "mlflow-example"
    repo.mkdir()
    (repo / "MLproject").write_text(EXAMPLE_MLPROJECT)
    (repo / "python_env.yaml").write_text("python: '3.11'\ndependencies: [mlflow]\n")
    (repo / "train.py").write_text(EXAMPLE_TRAIN)
    _git(tmp_path, "init", "-q", "-b", "master", str(repo))
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "example")
    project_uri = "https://github.com/mlflow/mlflow-example"
    monkeypatch.setenv("GIT_CONFIG_COUNT", "1")
    monkeypatch.setenv("GIT_CONFIG_KEY_0", f"url.{repo}.insteadOf")
    monkeypatch.setenv("GIT_CONFIG_VALUE_0", project_uri)
    params = {"alpha": 0.5, "l1_ratio": 0.01}
    # As written the example asks for the project's python_env: a virtualenv
    with pytest.raises(mlflow.MlflowException,
                       match="env_manager='virtualenv'.*python_env.yaml.*env_manager='local'"):
        mlflow.run(project_uri, parameters=params)
    submitted = mlflow.run(project_uri, parameters=params, env_manager="local")
    out, err = capfd.readouterr()
    assert "Elasticnet model (alpha=0.500000, l1_ratio=0.010000):" in out
    assert f"aiomlflow.projects: === Run (ID '{submitted.run_id}') succeeded ===" in err
    run = mlflow.get_run(submitted.run_id)
    assert run.data.params == {"alpha": "0.5", "l1_ratio": "0.01"}
    assert run.data.tags["mlflow.source.name"] == project_uri
    assert run.data.tags["mlflow.source.git.repoURL"] == project_uri
