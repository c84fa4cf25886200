"""Artifact logging side by side: aiomlflow and real mlflow 3.17.2 in one run.

Cases (every (case, library) pair in a fresh subprocess and working directory, default
local store ``sqlite:///mlflow.db``, every ``MLFLOW_*`` variable removed):

* ``log_image_step``: ``log_image(array, key=..., step=i)`` of a 256×256 RGB uint8
  array in a loop.  Both libraries log the same number of images after the same
  warm-up; the figure is the caller's time per call (the loop), and, for information,
  the time until every image is stored (``flush_artifact_async_logging``).
  Target: aiomlflow's caller time per call ≤ 1/10 of mlflow's.
* ``log_artifact_1gb``: ``log_artifact`` of a 1 GiB file, to the local store and to an
  ``mlflow server --artifacts-destination`` (proxied ``mlflow-artifacts:`` uploads).
  The figure is the peak RSS growth over the process's RSS just before the call
  (VmHWM reset first).  Target: aiomlflow ≤ 64 MB.

    python benchmarks/artifacts.py [--images 200] [--size-mb 1024] [--only log_image_step]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import textwrap

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests"))

from conftest import MlflowServer  # noqa: E402

WARMUP = 5

CHILD_COMMON = textwrap.dedent("""
    import json, os, sys, time

    def rss_kb(field="VmRSS:"):
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field):
                    return int(line.split()[1])

    def reset_peak():
        try:
            with open("/proc/self/clear_refs", "w") as f:
                f.write("5")
            return True
        except OSError:
            return False
""")

IMAGE_CHILD = CHILD_COMMON + textwrap.dedent("""
    lib, n, warmup = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    import numpy as np
    mlflow = __import__(lib)
    image = np.random.default_rng(0).integers(0, 256, size=(256, 256, 3), dtype=np.uint8)
    with mlflow.start_run() as run:
        for step in range(warmup):
            mlflow.log_image(image, key="warmup", step=step)
        flush = (mlflow.flush_artifact_async_logging if lib == "aiomlflow" else
                 mlflow.tracking.fluent._get_artifact_repo(run.info.run_id).flush_async_logging)
        flush()
        t0 = time.perf_counter()
        for step in range(n):
            mlflow.log_image(image, key="sample", step=step)
        loop = time.perf_counter() - t0
        flush()
        total = time.perf_counter() - t0
    print(json.dumps({"loop": loop, "total": total}))
""")

FILE_CHILD = CHILD_COMMON + textwrap.dedent("""
    lib, uri, path = sys.argv[1], sys.argv[2], sys.argv[3]
    mlflow = __import__(lib)
    mlflow.set_tracking_uri(uri)
    with mlflow.start_run() as run:
        mlflow.log_text("warm", "warm.txt")   # start engines, connections, imports
        before = rss_kb()
        exact = reset_peak()
        t0 = time.perf_counter()
        mlflow.log_artifact(path)
        seconds = time.perf_counter() - t0
        peak = rss_kb("VmHWM:")
    size = [f.file_size for f in mlflow.MlflowClient().list_artifacts(run.info.run_id)
            if f.path == os.path.basename(path)][0]
    print(json.dumps({"growth_mb": (peak - before) / 1024, "seconds": seconds,
                      "exact_peak": exact, "stored_bytes": size}))
""")


def _env() -> dict:
    return {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}


def _child(code: str, *args: str, cwd: str) -> dict:
    out = subprocess.run([sys.executable, "-c", code, *args], env=_env(), cwd=cwd,
                         capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(f"child failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def bench_images(n: int) -> bool:
    per_call = {}
    for lib in ("mlflow", "aiomlflow"):
        with tempfile.TemporaryDirectory() as cwd:
            result = _child(IMAGE_CHILD, lib, str(n), str(WARMUP), cwd=cwd)
        per_call[lib] = result["loop"] / n
        print(f"log_image_step  {lib:9s} n={n} (+{WARMUP} warm-up)  caller "
              f"{result['loop'] / n * 1e3:8.3f} ms/call   until stored "
              f"{result['total'] / n * 1e3:8.3f} ms/image")
    ratio = per_call["mlflow"] / per_call["aiomlflow"]
    ok = ratio >= 10
    print(f"log_image_step: aiomlflow caller time is 1/{ratio:.1f} of mlflow's "
          f"(target >= 10x): {'ok' if ok else 'BELOW TARGET'}")
    return ok


def bench_big_file(size_mb: int) -> bool:
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "big.bin")
        with open(path, "wb") as f:  # real data, not a sparse file: the copy reads it all
            block = os.urandom(1 << 20)
            for _ in range(size_mb):
                f.write(block)
        server = MlflowServer(f"sqlite:///{tmp}/server.db", tmp,
                              artifacts_destination=os.path.join(tmp, "served"))
        server.start()
        try:
            for store, uri in (("local", None), ("server", server.url)):
                for lib in ("mlflow", "aiomlflow"):
                    with tempfile.TemporaryDirectory() as cwd:
                        tracking = uri or f"sqlite:///{cwd}/mlflow.db"
                        result = _child(FILE_CHILD, lib, tracking, path, cwd=cwd)
                    assert result["stored_bytes"] == size_mb << 20, result
                    print(f"log_artifact_1gb  {store:6s} {lib:9s} {size_mb} MB in "
                          f"{result['seconds']:6.1f} s  peak RSS growth "
                          f"{result['growth_mb']:7.1f} MB")
                    if lib == "aiomlflow" and result["growth_mb"] > 64:
                        ok = False
        finally:
            server.stop()
    print(f"log_artifact_1gb: aiomlflow peak RSS growth <= 64 MB on both stores: "
          f"{'ok' if ok else 'ABOVE TARGET'}")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--images", type=int, default=200)
    parser.add_argument("--size-mb", type=int, default=1024)
    parser.add_argument("--only", choices=("log_image_step", "log_artifact_1gb"))
    args = parser.parse_args()
    results = []
    if args.only in (None, "log_image_step"):
        results.append(bench_images(args.images))
    if args.only in (None, "log_artifact_1gb"):
        results.append(bench_big_file(args.size_mb))
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
