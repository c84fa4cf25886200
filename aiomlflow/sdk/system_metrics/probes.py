"""What a system-metrics sample reads, and how samples become one logged step.

``Sampler`` is what the engine's system-metrics worker (workers/system_metrics.py)
drives, one per run: ``open`` (may block: NVML start-up, so the worker runs it in a
thread), ``read`` (the host through psutil: /proc reads and a statvfs, tens of
microseconds, run on the loop), ``read_devices`` (None, or the NVML calls, which may
block on a busy driver, run in a thread), ``take`` (the rows of one step) and
``close``.

Names and units are MLflow 3.17.2's (the MLflow UI's system-metrics tab shows them):
megabytes are 10^6 bytes; CPU, memory, disk and GPU values are averaged over the
samples of a step and rounded to one decimal; the network counters are the bytes
moved since sampling started, as read at the step's last sample.
"""

from __future__ import annotations

import logging
import os

_logger = logging.getLogger("aiomlflow")

PREFIX = "system/"
# Cumulative since sampling started: a step reports the last value, not a mean.
CUMULATIVE = frozenset({"network_receive_megabytes", "network_transmit_megabytes"})
HOST_NAMES = (
    "cpu_utilization_percentage",
    "system_memory_usage_megabytes",
    "system_memory_usage_percentage",
    "disk_usage_percentage",
    "disk_usage_megabytes",
    "disk_available_megabytes",
    "network_receive_megabytes",
    "network_transmit_megabytes",
)
GPU_NAMES = (
    "memory_usage_percentage",
    "memory_usage_megabytes",
    "utilization_percentage",
    "power_usage_watts",
    "power_usage_percentage",
)


def metric_prefix(node_id: str | None) -> str:
    """``system/``, or ``system/<node_id>/`` on a node of a multi-node job."""
    return f"{PREFIX}{node_id}/" if node_id else PREFIX


def _cpu_busy_total(times) -> tuple[float, float]:
    """(busy, total) CPU seconds of all cores from ``psutil.cpu_times()``: idle and
    I/O wait count as not busy; guest time is already inside user time on Linux."""
    total = sum(times)
    total -= getattr(times, "guest", 0.0) + getattr(times, "guest_nice", 0.0)
    idle = times.idle + getattr(times, "iowait", 0.0)
    return total - idle, total


class HostProbe:
    """CPU, memory, root-disk and network readings through psutil.

    CPU utilisation is measured between this probe's own readings (not through
    ``psutil.cpu_percent``, whose one shared reference point any other caller in the
    process would move)."""

    def __init__(self, psutil):
        self._psutil = psutil
        self._cpu = _cpu_busy_total(psutil.cpu_times())
        self._failed: set[str] = set()
        try:
            net = psutil.net_io_counters()
        except Exception:
            net = None
        self._net_start = None if net is None else (net.bytes_recv, net.bytes_sent)

    def read(self, into: dict) -> None:
        """Add one reading of every host metric to ``into``."""
        psutil = self._psutil
        if "cpu" not in self._failed:
            try:
                busy, total = _cpu_busy_total(psutil.cpu_times())
                last_busy, last_total = self._cpu
                self._cpu = (busy, total)
                spent = total - last_total
                into["cpu_utilization_percentage"] = (
                    min(100.0, max(0.0, 100.0 * (busy - last_busy) / spent)) if spent > 0 else 0.0)
            except Exception as exc:
                self._give_up("cpu", exc)
        if "memory" not in self._failed:
            try:
                memory = psutil.virtual_memory()
                into["system_memory_usage_megabytes"] = memory.used / 1e6
                into["system_memory_usage_percentage"] = memory.used / memory.total * 100
            except Exception as exc:
                self._give_up("memory", exc)
        if "disk" not in self._failed:
            try:
                disk = psutil.disk_usage(os.sep)
                into["disk_usage_percentage"] = disk.percent
                into["disk_usage_megabytes"] = disk.used / 1e6
                into["disk_available_megabytes"] = disk.free / 1e6
            except Exception as exc:
                self._give_up("disk", exc)
        if self._net_start is not None and "network" not in self._failed:
            try:
                net = psutil.net_io_counters()
                into["network_receive_megabytes"] = (net.bytes_recv - self._net_start[0]) / 1e6
                into["network_transmit_megabytes"] = (net.bytes_sent - self._net_start[1]) / 1e6
            except Exception as exc:
                self._give_up("network", exc)

    def _give_up(self, group: str, exc: Exception) -> None:
        # a reading that fails once (a container without /proc/net/dev, ...) is skipped
        # from then on, with one warning instead of one per sample
        self._failed.add(group)
        _logger.warning("System metrics: cannot read %s usage (%s: %s); it is not logged.",
                        group, type(exc).__name__, exc)


class GpuProbe:
    """Memory, utilisation and power of every NVIDIA GPU, through NVML (nvidia-ml-py)."""

    def __init__(self, nvml):
        nvml.nvmlInit()
        try:
            count = nvml.nvmlDeviceGetCount()
            self._handles = [nvml.nvmlDeviceGetHandleByIndex(i) for i in range(count)]
        except BaseException:
            nvml.nvmlShutdown()
            raise
        self._nvml = nvml
        self._warned: set[str] = set()

    def __len__(self) -> int:
        return len(self._handles)

    def read(self, into: dict) -> None:
        """Add one reading of every GPU metric to ``into`` (may block on the driver)."""
        nvml = self._nvml
        for i, handle in enumerate(self._handles):
            name = f"gpu_{i}_"
            try:
                memory = nvml.nvmlDeviceGetMemoryInfo(handle)
                into[name + "memory_usage_percentage"] = memory.used / memory.total * 100
                into[name + "memory_usage_megabytes"] = memory.used / 1e6
            except nvml.NVMLError as exc:
                self._warn("memory", exc)
            try:
                into[name + "utilization_percentage"] = float(
                    nvml.nvmlDeviceGetUtilizationRates(handle).gpu)
            except nvml.NVMLError as exc:
                self._warn("utilization", exc)
            try:
                milliwatts = nvml.nvmlDeviceGetPowerUsage(handle)
                limit = nvml.nvmlDeviceGetEnforcedPowerLimit(handle)
                into[name + "power_usage_watts"] = milliwatts / 1000
                into[name + "power_usage_percentage"] = milliwatts / limit * 100
            except (nvml.NVMLError, ZeroDivisionError) as exc:
                self._warn("power", exc)

    def _warn(self, what: str, exc: Exception) -> None:
        if what not in self._warned:  # once per reading and run, not once per sample
            self._warned.add(what)
            _logger.warning("System metrics: cannot read GPU %s (%s); it is not logged.",
                            what, exc)

    def close(self) -> None:
        try:
            self._nvml.nvmlShutdown()  # NVML counts its users: this undoes our nvmlInit
        except Exception:
            pass


def _nvidia_driver_present() -> bool:
    return os.path.exists("/proc/driver/nvidia/version")


def open_gpus() -> GpuProbe | None:
    """A probe over this machine's NVIDIA GPUs, or None (no GPU, no driver, or no
    nvidia-ml-py: a warning naming the extra only if an NVIDIA driver is there)."""
    try:
        import pynvml
    except ImportError:
        log = _logger.warning if _nvidia_driver_present() else _logger.debug
        log("System metrics: GPU metrics need the optional package 'nvidia-ml-py'; install "
            "it with `pip install 'aiomlflow[system]'`.")
        return None
    try:
        probe = GpuProbe(pynvml)
    except Exception as exc:  # NVMLError: no driver, no GPU, no permission
        _logger.debug("System metrics: no NVIDIA GPU metrics (%s).", exc)
        return None
    if not len(probe):
        probe.close()
        return None
    return probe


class Averages:
    """The readings of one step's samples, and their averages."""

    __slots__ = ("_sums", "_counts", "_latest")

    def __init__(self):
        self._sums: dict[str, float] = {}
        self._counts: dict[str, int] = {}
        self._latest: dict[str, float] = {}

    def add(self, reading: dict) -> None:
        sums, counts = self._sums, self._counts
        for name, value in reading.items():
            if name in CUMULATIVE:
                self._latest[name] = value
            else:
                sums[name] = sums.get(name, 0.0) + value
                counts[name] = counts.get(name, 0) + 1

    def take(self) -> dict[str, float]:
        """name → value of the step: means rounded to one decimal, cumulative values
        as last read; then start over."""
        values = {name: round(total / self._counts[name], 1) for name, total in self._sums.items()}
        values.update(self._latest)
        self._sums, self._counts, self._latest = {}, {}, {}
        return values


class Sampler:
    """One run's probes and pending readings, driven by the engine's worker."""

    def __init__(self, psutil, prefix: str):
        self._host = HostProbe(psutil)
        self._gpus: GpuProbe | None = None
        self._prefix = prefix
        self._pending = Averages()
        self.samples = 0  # samples read since the last step was taken
        self.read_devices = None  # set by open() when there are GPUs to read

    def open(self) -> None:
        """Find the GPUs (NVML start-up may take a while: call it off the loop)."""
        self._gpus = open_gpus()
        if self._gpus is not None:
            self.read_devices = self._read_gpus

    def read(self) -> None:
        """One sample of the host (non-blocking); ``read_devices``, when set, adds the
        GPUs' readings to the same sample."""
        reading: dict = {}
        self._host.read(reading)
        self._pending.add(reading)
        self.samples += 1

    def _read_gpus(self) -> None:
        reading: dict = {}
        self._gpus.read(reading)
        self._pending.add(reading)

    def take(self, step: int, timestamp: int) -> list[tuple]:
        """The ``(key, value, timestamp, step)`` rows of one step, averaged over the
        samples read since the last one."""
        prefix = self._prefix
        self.samples = 0
        return [(prefix + name, float(value), timestamp, step)
                for name, value in self._pending.take().items()]

    def close(self) -> None:
        """Release the GPUs (NVML)."""
        gpus, self._gpus = self._gpus, None
        self.read_devices = None
        if gpus is not None:
            gpus.close()
