"""System metrics: the sampling worker, its settings, names and units, and interop.

Runs against aiomlflow by default and, with ``AIOMLFLOW_TESTS_TARGET=mlflow``, against
real mlflow 3.17.2, where the tests marked as design differences are expected to fail.
Sampling every 0.1 s keeps each test around a second.
"""

from __future__ import annotations

import collections
import logging
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time

import pytest

from conftest import IS_AIOMLFLOW, IS_MLFLOW, skip_on_mlflow, xfail_on_mlflow

pytestmark = pytest.mark.timeout(120)

INTERVAL = 0.1
HOST_NAMES = {
    "system/cpu_utilization_percentage",
    "system/system_memory_usage_megabytes",
    "system/system_memory_usage_percentage",
    "system/disk_usage_percentage",
    "system/disk_usage_megabytes",
    "system/disk_available_megabytes",
    "system/network_receive_megabytes",
    "system/network_transmit_megabytes",
}
GPU_NAMES = ("memory_usage_percentage", "memory_usage_megabytes", "utilization_percentage",
             "power_usage_watts", "power_usage_percentage")


@pytest.fixture
def fast(mlflow):
    """The module under test, sampling every 0.1 s (the fixture drops MLFLOW_* after)."""
    mlflow.set_system_metrics_sampling_interval(INTERVAL)
    return mlflow


def system_metrics(mlflow, run_id) -> dict:
    return {k: v for k, v in mlflow.get_run(run_id).data.metrics.items()
            if k.startswith("system/")}


def history(mlflow, run_id, key) -> list:
    return sorted(mlflow.MlflowClient().get_metric_history(run_id, key),
                  key=lambda m: (m.step, m.timestamp))


def sampled_run(mlflow, seconds, **start_kwargs) -> str:
    with mlflow.start_run(**start_kwargs) as run:
        time.sleep(seconds)
    return run.info.run_id


# --------------------------------------------------------------------------- sampling
def test_a_short_run_gets_cpu_and_memory_metrics_at_increasing_steps(fast, transport):
    mlflow = fast  # on the local store and through a real mlflow server
    run_id = sampled_run(mlflow, 1.0, log_system_metrics=True)
    run = mlflow.get_run(run_id)
    names = set(system_metrics(mlflow, run_id))
    assert HOST_NAMES <= names
    assert not {n for n in names - HOST_NAMES if not n.startswith("system/gpu_")}
    cpu = history(mlflow, run_id, "system/cpu_utilization_percentage")
    memory = history(mlflow, run_id, "system/system_memory_usage_megabytes")
    assert len(cpu) >= 3  # ~10 on an idle machine; a loaded one may sample late
    assert [m.step for m in cpu] == list(range(len(cpu)))
    assert [m.step for m in memory] == [m.step for m in cpu]
    assert all(0.0 <= m.value <= 100.0 for m in cpu)
    assert all(m.value > 0 for m in memory)
    timestamps = [m.timestamp for m in cpu]
    assert timestamps == sorted(timestamps)
    assert run.info.start_time <= timestamps[0] and timestamps[-1] <= run.info.end_time
    percent = history(mlflow, run_id, "system/system_memory_usage_percentage")
    assert all(0 < m.value <= 100 for m in percent)
    network = history(mlflow, run_id, "system/network_receive_megabytes")
    assert all(m.value >= 0 for m in network)  # bytes since sampling started


def _counting_memory(monkeypatch):
    """psutil.virtual_memory() reporting k MB used (k % of 100 MB) at its k-th call."""
    import psutil

    calls = []
    memory = collections.namedtuple("svmem", "total available percent used free")

    def virtual_memory():
        calls.append(None)
        k = len(calls)
        return memory(100e6, (100 - k) * 1e6, float(k), k * 1e6, (100 - k) * 1e6)

    monkeypatch.setattr(psutil, "virtual_memory", virtual_memory)
    return calls


def test_samples_before_logging_averages(fast, monkeypatch):
    mlflow = fast
    calls = _counting_memory(monkeypatch)
    mlflow.set_system_metrics_samples_before_logging(3)
    run_id = sampled_run(mlflow, 1.3, log_system_metrics=True)
    n = len(calls)
    steps = history(mlflow, run_id, "system/system_memory_usage_megabytes")
    full = n // 3
    assert full >= 2
    # step s averages samples 3s+1, 3s+2, 3s+3: (k MB at the k-th sample)
    assert [(m.step, m.value) for m in steps[:full]] == [(s, 3.0 * s + 2) for s in range(full)]
    percent = history(mlflow, run_id, "system/system_memory_usage_percentage")
    assert [m.value for m in percent[:full]] == [3.0 * s + 2 for s in range(full)]
    if IS_AIOMLFLOW:  # the samples since the last step are logged at end_run, averaged
        rest = list(range(3 * full + 1, n + 1))
        assert len(steps) == full + (1 if rest else 0)
        if rest:
            assert steps[-1].step == full
            assert steps[-1].value == round(sum(rest) / len(rest), 1)


def test_node_id_prefixes_the_names(fast):
    mlflow = fast
    mlflow.set_system_metrics_node_id("node_0")
    run_id = sampled_run(mlflow, 0.5, log_system_metrics=True)
    names = set(system_metrics(mlflow, run_id))
    assert {n.replace("system/node_0/", "system/") for n in names} >= HOST_NAMES
    assert all(n.startswith("system/node_0/") for n in names)
    steps = history(mlflow, run_id, "system/node_0/cpu_utilization_percentage")
    assert [m.step for m in steps] == list(range(len(steps))) and steps
    mlflow.set_system_metrics_node_id(None)  # back to plain names
    run_id = sampled_run(mlflow, 0.3, log_system_metrics=True)
    assert HOST_NAMES <= set(system_metrics(mlflow, run_id))


def _nothing(mlflow):
    pass


@pytest.mark.parametrize("setup, start_kwargs", [
    (_nothing, {}),
    (_nothing, {"log_system_metrics": False}),
    (lambda mlflow: mlflow.enable_system_metrics_logging(), {"log_system_metrics": False}),
    (lambda mlflow: mlflow.disable_system_metrics_logging(), {}),
    (lambda mlflow: os.environ.__setitem__("MLFLOW_ENABLE_SYSTEM_METRICS_LOGGING", "false"), {}),
], ids=["default", "argument-false", "enabled-but-argument-false", "disabled", "env-false"])
def test_disabled_means_no_system_metrics(fast, setup, start_kwargs):
    mlflow = fast
    setup(mlflow)
    run_id = sampled_run(mlflow, 0.4, **start_kwargs)
    assert system_metrics(mlflow, run_id) == {}


@pytest.mark.parametrize("setup, start_kwargs", [
    (lambda mlflow: mlflow.enable_system_metrics_logging(), {}),
    (lambda mlflow: mlflow.disable_system_metrics_logging(), {"log_system_metrics": True}),
    (lambda mlflow: os.environ.__setitem__("MLFLOW_ENABLE_SYSTEM_METRICS_LOGGING", "true"), {}),
], ids=["enabled", "disabled-but-argument-true", "env-true"])
def test_enabled_by_function_argument_or_environment(fast, setup, start_kwargs):
    mlflow = fast
    setup(mlflow)
    run_id = sampled_run(mlflow, 0.4, **start_kwargs)
    assert HOST_NAMES <= set(system_metrics(mlflow, run_id))


def test_the_setters_write_mlflows_environment_variables(mlflow):
    mlflow.enable_system_metrics_logging()
    assert os.environ["MLFLOW_ENABLE_SYSTEM_METRICS_LOGGING"] == "True"
    mlflow.disable_system_metrics_logging()
    assert os.environ["MLFLOW_ENABLE_SYSTEM_METRICS_LOGGING"] == "False"
    mlflow.set_system_metrics_sampling_interval(0.5)
    assert os.environ["MLFLOW_SYSTEM_METRICS_SAMPLING_INTERVAL"] == "0.5"
    mlflow.set_system_metrics_sampling_interval(None)
    assert "MLFLOW_SYSTEM_METRICS_SAMPLING_INTERVAL" not in os.environ
    mlflow.set_system_metrics_samples_before_logging(3)
    assert os.environ["MLFLOW_SYSTEM_METRICS_SAMPLES_BEFORE_LOGGING"] == "3"
    mlflow.set_system_metrics_samples_before_logging(None)
    assert "MLFLOW_SYSTEM_METRICS_SAMPLES_BEFORE_LOGGING" not in os.environ
    mlflow.set_system_metrics_node_id("node_1")
    assert os.environ["MLFLOW_SYSTEM_METRICS_NODE_ID"] == "node_1"
    mlflow.set_system_metrics_node_id(None)
    assert "MLFLOW_SYSTEM_METRICS_NODE_ID" not in os.environ


@skip_on_mlflow("MLflow accepts any value and fails (or ignores it) when a run starts")
@pytest.mark.parametrize("call", [
    lambda m: m.set_system_metrics_sampling_interval(0),
    lambda m: m.set_system_metrics_sampling_interval(-1),
    lambda m: m.set_system_metrics_sampling_interval("often"),
    lambda m: m.set_system_metrics_sampling_interval(True),
    lambda m: m.set_system_metrics_sampling_interval(float("nan")),
    lambda m: m.set_system_metrics_samples_before_logging(0),
    lambda m: m.set_system_metrics_samples_before_logging(1.5),
    lambda m: m.set_system_metrics_node_id("../up"),
    lambda m: m.set_system_metrics_node_id("a" * 300),
], ids=["interval-0", "interval-negative", "interval-text", "interval-bool", "interval-nan",
        "samples-0", "samples-float", "node-path", "node-long"])
def test_bad_settings_raise_at_the_call(mlflow, call):
    with pytest.raises(mlflow.MlflowException) as info:
        call(mlflow)
    assert info.value.error_code == "INVALID_PARAMETER_VALUE"
    assert not any(k.startswith("MLFLOW_SYSTEM_METRICS") for k in os.environ)


@skip_on_mlflow("MLflow logs an error and starts the run without system metrics")
@pytest.mark.parametrize("name, value", [
    ("MLFLOW_SYSTEM_METRICS_SAMPLING_INTERVAL", "soon"),
    ("MLFLOW_SYSTEM_METRICS_SAMPLES_BEFORE_LOGGING", "0"),
    ("MLFLOW_ENABLE_SYSTEM_METRICS_LOGGING", "perhaps"),
])
def test_a_bad_environment_setting_fails_start_run_before_creating_a_run(
        mlflow, monkeypatch, name, value):
    # (through monkeypatch, which then restores the environment as it was before the test)
    monkeypatch.setenv("MLFLOW_ENABLE_SYSTEM_METRICS_LOGGING", "True")
    monkeypatch.setenv(name, value)
    with pytest.raises(mlflow.MlflowException, match=name) as info:
        mlflow.start_run()
    assert info.value.error_code == "INVALID_PARAMETER_VALUE"
    assert mlflow.active_run() is None
    assert mlflow.search_runs(output_format="list") == []
    with mlflow.start_run(log_system_metrics=False):  # the argument wins over the setting
        pass


# --------------------------------------------------------------------------- lifecycle
@xfail_on_mlflow("MLflow logs nothing for a run shorter than its sampling interval")
def test_the_last_sample_is_logged_at_end_run(mlflow):
    began = time.monotonic()
    run_id = sampled_run(mlflow, 0.2, log_system_metrics=True)  # default interval: 10 s
    assert time.monotonic() - began < 5  # end_run did not wait for the interval
    cpu = history(mlflow, run_id, "system/cpu_utilization_percentage")
    assert [m.step for m in cpu] == [0]
    assert HOST_NAMES <= set(system_metrics(mlflow, run_id))
    assert cpu[0].timestamp <= mlflow.get_run(run_id).info.end_time


def _steps_stay(mlflow, run_id, seconds=0.4) -> list:
    before = history(mlflow, run_id, "system/cpu_utilization_percentage")
    time.sleep(seconds)
    after = history(mlflow, run_id, "system/cpu_utilization_percentage")
    assert len(after) == len(before), "sampling went on after the run ended"
    return after


def test_a_run_ended_by_an_exception_stops_sampling(fast):
    mlflow = fast
    with pytest.raises(ZeroDivisionError):
        with mlflow.start_run(log_system_metrics=True) as run:
            time.sleep(0.5)
            1 / 0
    assert mlflow.get_run(run.info.run_id).info.status == "FAILED"
    assert _steps_stay(mlflow, run.info.run_id)


def test_a_run_ended_from_another_thread_stops_sampling(fast):
    mlflow = fast
    run = mlflow.start_run(log_system_metrics=True)
    time.sleep(0.4)
    ender = threading.Thread(
        target=lambda: mlflow.MlflowClient().set_terminated(run.info.run_id, "KILLED"))
    ender.start()
    ender.join()
    time.sleep(0.3)  # mlflow's monitor notices at its next sample
    steps = _steps_stay(mlflow, run.info.run_id)
    assert steps and mlflow.get_run(run.info.run_id).info.status == "KILLED"
    mlflow.end_run()


def test_a_resumed_run_continues_the_steps(fast):
    mlflow = fast
    run_id = sampled_run(mlflow, 0.5, log_system_metrics=True)
    first = len(history(mlflow, run_id, "system/cpu_utilization_percentage"))
    assert first >= 1
    sampled_run(mlflow, 0.5, run_id=run_id, log_system_metrics=True)
    cpu = history(mlflow, run_id, "system/cpu_utilization_percentage")
    assert len(cpu) > first
    assert [m.step for m in cpu] == list(range(len(cpu)))


def test_nested_runs_are_sampled_each_on_their_own(fast):
    mlflow = fast
    with mlflow.start_run(log_system_metrics=True) as parent:
        with mlflow.start_run(nested=True, log_system_metrics=True) as child:
            time.sleep(0.4)
        time.sleep(0.3)
    for run in (parent, child):
        cpu = history(mlflow, run.info.run_id, "system/cpu_utilization_percentage")
        assert cpu and [m.step for m in cpu] == list(range(len(cpu)))
    # the parent was sampled before, during and after its child
    assert len(history(mlflow, parent.info.run_id, "system/cpu_utilization_percentage")) >= \
        len(history(mlflow, child.info.run_id, "system/cpu_utilization_percentage"))


# --------------------------------------------------------------------------- GPUs, psutil
def test_no_gpu_means_no_gpu_metrics_and_no_error(fast, library_log):
    mlflow = fast
    run_id = sampled_run(mlflow, 0.4, log_system_metrics=True)
    names = set(system_metrics(mlflow, run_id))
    assert HOST_NAMES <= names
    if os.path.exists("/proc/driver/nvidia/version"):
        pytest.skip("this machine has an NVIDIA driver")
    assert not [n for n in names if n.startswith("system/gpu_")]
    assert not [r for r in library_log.records if r.levelno >= logging.WARNING]


class _FakeGpu:
    memory = collections.namedtuple("c_nvmlMemory_t", "total free used")
    rates = collections.namedtuple("c_nvmlUtilization_t", "gpu memory")


def _two_fake_gpus(monkeypatch, pynvml):
    """NVML answering for two GPUs: 2 GB of 8 GB used, 40% busy, 150 W of 300 W."""
    for name, fn in {
        "nvmlInit": lambda *a: None,
        "nvmlShutdown": lambda *a: None,
        "nvmlDeviceGetCount": lambda: 2,
        "nvmlDeviceGetHandleByIndex": lambda i: ("gpu", i),
        "nvmlDeviceGetMemoryInfo": lambda h: _FakeGpu.memory(8e9, 6e9, 2e9),
        "nvmlDeviceGetUtilizationRates": lambda h: _FakeGpu.rates(40, 10),
        "nvmlDeviceGetPowerUsage": lambda h: 150_000,
        "nvmlDeviceGetEnforcedPowerLimit": lambda h: 300_000,
    }.items():
        monkeypatch.setattr(pynvml, name, fn)


def test_gpu_metrics_names_and_units(fast, monkeypatch):
    pynvml = pytest.importorskip("pynvml")
    mlflow = fast
    _two_fake_gpus(monkeypatch, pynvml)
    run_id = sampled_run(mlflow, 0.4, log_system_metrics=True)
    metrics = system_metrics(mlflow, run_id)
    expected = {"memory_usage_percentage": 25.0, "memory_usage_megabytes": 2000.0,
                "utilization_percentage": 40.0, "power_usage_watts": 150.0,
                "power_usage_percentage": 50.0}
    for gpu in (0, 1):
        for name, value in expected.items():
            assert metrics[f"system/gpu_{gpu}_{name}"] == value
    assert not [n for n in metrics if n.startswith("system/gpu_2")]
    steps = history(mlflow, run_id, "system/gpu_1_power_usage_watts")
    assert [m.step for m in steps] == [m.step for m in
                                       history(mlflow, run_id, "system/cpu_utilization_percentage")]


@skip_on_mlflow("MLflow refuses to start the run without psutil")
def test_missing_psutil_warns_once_and_the_run_goes_on(fast, monkeypatch, library_log):
    mlflow = fast
    monkeypatch.setitem(sys.modules, "psutil", None)  # `import psutil` now fails
    for _ in range(2):
        with mlflow.start_run(log_system_metrics=True) as run:
            mlflow.log_metric("loss", 0.5)
            time.sleep(0.3)
        finished = mlflow.get_run(run.info.run_id)
        assert finished.info.status == "FINISHED"
        assert finished.data.metrics == {"loss": 0.5}
    warnings = [r.getMessage() for r in library_log.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1, warnings
    assert "psutil" in warnings[0] and "aiomlflow[system]" in warnings[0]


@skip_on_mlflow("MLflow's monitor warns and stops on a failed write too, but via get_run")
def test_a_failed_write_stops_sampling_and_is_not_raised(fast, library_log, tmp_path):
    mlflow = fast
    run = mlflow.start_run(log_system_metrics=True)
    run_id = run.info.run_id
    time.sleep(0.3)
    # another process deletes the run: the next system metrics cannot be stored
    with sqlite3.connect(tmp_path / "mlflow.db") as db:
        db.execute("UPDATE runs SET lifecycle_stage = 'deleted' WHERE run_uuid = ?", (run_id,))
    deadline = time.monotonic() + 20
    while not any("Failed to log system metrics" in r.getMessage() for r in library_log.records):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    mlflow.flush_async_logging()  # the failure went to the sampler, not to the user
    with sqlite3.connect(tmp_path / "mlflow.db") as db:
        db.execute("UPDATE runs SET lifecycle_stage = 'active' WHERE run_uuid = ?", (run_id,))
    _steps_stay(mlflow, run_id)
    mlflow.end_run()


# --------------------------------------------------------------------------- interop
@pytest.mark.skipif(IS_MLFLOW, reason="interop compares aiomlflow with mlflow")
def test_real_mlflow_reads_the_system_metrics_under_the_same_names(fast, real_mlflow, tmp_path):
    mlflow = fast
    run_id = sampled_run(mlflow, 0.5, log_system_metrics=True)
    ours = system_metrics(mlflow, run_id)
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    client = real_mlflow.MlflowClient(uri)
    theirs = {k: v for k, v in client.get_run(run_id).data.metrics.items()
              if k.startswith("system/")}
    assert theirs == ours
    steps = client.get_metric_history(run_id, "system/cpu_utilization_percentage")
    assert sorted(m.step for m in steps) == list(range(len(steps))) and steps
    # and real mlflow 3.17.2 logs the same host metric names itself
    script = textwrap.dedent(f"""
        import time, mlflow
        mlflow.set_tracking_uri({uri!r})
        mlflow.set_system_metrics_sampling_interval(0.1)
        with mlflow.start_run(log_system_metrics=True) as run:
            time.sleep(1.0)
        print(run.info.run_id)
    """)
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}
    env.update(MLFLOW_DISABLE_TELEMETRY="true", DO_NOT_TRACK="true")
    done = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    their_run = client.get_run(done.stdout.split()[-1])
    their_names = {k for k in their_run.data.metrics if k.startswith("system/")}
    assert {n for n in their_names if not n.startswith("system/gpu_")} == \
        {n for n in ours if not n.startswith("system/gpu_")}


# --------------------------------------------------------------------------- processes
_CHILD = """
import os, sys, time
import {module} as mlflow
mlflow.set_tracking_uri(os.environ["TEST_TRACKING_URI"])
run = mlflow.start_run(log_system_metrics=True)  # default interval: 10 s
print(run.info.run_id, flush=True)
time.sleep(0.3)
if sys.argv[1] == "wait":
    time.sleep(60)
"""


def _child(tmp_path, mode):
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}
    env.update(TEST_TRACKING_URI=f"sqlite:///{tmp_path / 'mlflow.db'}",
               MLFLOW_DISABLE_TELEMETRY="true", DO_NOT_TRACK="true")
    script = tmp_path / "child.py"
    script.write_text(_CHILD.format(module="mlflow" if IS_MLFLOW else "aiomlflow"))
    return subprocess.Popen([sys.executable, str(script), mode], cwd=tmp_path, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _stored(tmp_path, run_id):
    with sqlite3.connect(tmp_path / "mlflow.db") as db:
        status, end_time = db.execute(
            "SELECT status, end_time FROM runs WHERE run_uuid = ?", (run_id,)).fetchone()
        rows = db.execute("SELECT key, step, timestamp FROM metrics WHERE run_uuid = ? "
                          "AND key LIKE 'system/%'", (run_id,)).fetchall()
    return status, end_time, rows


@xfail_on_mlflow("MLflow logs no sample for a run shorter than its interval")
def test_exit_logs_the_last_sample_and_finishes_the_run(tmp_path):
    child = _child(tmp_path, "exit")
    out, err = child.communicate(timeout=60)
    assert child.returncode == 0, err
    status, end_time, rows = _stored(tmp_path, out.split()[0])
    assert status == "FINISHED"
    assert {key for key, _, _ in rows} >= HOST_NAMES
    assert {step for _, step, _ in rows} == {0}
    assert all(ts <= end_time for _, _, ts in rows)


@xfail_on_mlflow("MLflow leaves the run RUNNING and logs no sample on SIGTERM")
def test_sigterm_logs_the_last_sample_and_kills_the_run(tmp_path):
    child = _child(tmp_path, "wait")
    run_id = child.stdout.readline().strip()
    time.sleep(0.5)
    child.send_signal(signal.SIGTERM)
    out, err = child.communicate(timeout=60)
    assert child.returncode == -signal.SIGTERM, err
    status, end_time, rows = _stored(tmp_path, run_id)
    assert status == "KILLED"
    assert {key for key, _, _ in rows} >= HOST_NAMES
    assert {step for _, step, _ in rows} == {0}
    assert all(ts <= end_time for _, _, ts in rows)
