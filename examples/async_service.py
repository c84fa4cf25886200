"""An aiohttp web service that logs per-request latency and status with aiomlflow.aio.

Each worker process holds one run for its lifetime (``run_name=worker-<pid>``) and logs,
per request, ``latency_ms`` and ``status`` with ``synchronous=False``: an append to the
engine's queue, no I/O on the request's path.  The run ends FINISHED when the worker
stops.

Run it:
    python examples/async_service.py serve --port 8080 [--workers 2] [--no-logging]
    python examples/async_service.py load --url http://127.0.0.1:8080 --requests 5000
    python examples/async_service.py bench      # serve + load, logging on vs off; p99s
    python examples/async_service.py bench --rate 0   # the same, closed loop at saturation

Logs go to the default tracking URI (``sqlite:///mlflow.db`` in the working directory);
open them with ``mlflow ui --backend-store-uri sqlite:///mlflow.db``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

EXPERIMENT = "aiomlflow-example-async-service"


# ------------------------------------------------------------------ the service
def make_app(logging_on: bool):
    from aiohttp import web

    import aiomlflow as mlflow

    aio = mlflow.aio
    routes = web.RouteTableDef()
    state = {"step": 0, "run_id": None}  # this worker's run and request count

    @routes.get("/work")
    async def work(request):
        # the request's own work: a short await (a database, another service) and a
        # little CPU
        await asyncio.sleep(random.uniform(0.001, 0.004))
        total = sum(i * i for i in range(300))
        if random.random() < 0.01:
            raise web.HTTPServiceUnavailable(text="try again")
        return web.json_response({"ok": True, "total": total})

    @web.middleware
    async def track(request, handler):
        start = time.perf_counter()
        status = 500
        try:
            response = await handler(request)
            status = response.status
            return response
        except web.HTTPException as exc:
            status = exc.status
            raise
        finally:
            if logging_on:
                state["step"] += 1
                step = state["step"]
                run_id = state["run_id"]
                latency_ms = (time.perf_counter() - start) * 1000
                await aio.log_metric("latency_ms", latency_ms, step=step, run_id=run_id,
                                     synchronous=False)
                await aio.log_metric("status", float(status), step=step, run_id=run_id,
                                     synchronous=False)

    async def start_logging(app):
        if logging_on:
            await aio.set_experiment(EXPERIMENT)
            run = await aio.start_run(run_name=f"worker-{os.getpid()}",
                                      tags={"service": "async_service"})
            state["run_id"] = run.info.run_id
            await aio.log_params({"pid": os.getpid(), "logging": logging_on})

    async def stop_logging(app):
        if logging_on:
            await aio.end_run()  # waits for the run's pending metrics
            print(f"worker {os.getpid()}: {state['step']} requests logged to run "
                  f"{state['run_id']}", file=sys.stderr)

    app = web.Application(middlewares=[track])
    app.add_routes(routes)
    app.on_startup.append(start_logging)
    app.on_cleanup.append(stop_logging)
    return app


def serve(port: int, workers: int, logging_on: bool) -> None:
    """Serve on 127.0.0.1:port with ``workers`` processes sharing one listening socket."""
    from aiohttp import web

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    sock.listen(1024)
    children = []
    for _ in range(workers - 1):
        pid = os.fork()
        if pid == 0:
            children = []
            break
        children.append(pid)
    try:
        web.run_app(make_app(logging_on), sock=sock, print=None, handle_signals=True)
    finally:
        for pid in children:
            os.kill(pid, signal.SIGTERM)
        for pid in children:
            os.waitpid(pid, 0)


# ------------------------------------------------------------------ the load
async def load(url: str, requests: int, concurrency: int, rate: float = 0.0) -> dict:
    """Send ``requests`` GETs to url/work; latency stats.

    ``rate`` 0: closed loop, ``concurrency`` clients back to back (the service at
    saturation: latency then mostly measures throughput).  ``rate`` > 0: open loop,
    requests sent on a fixed schedule (as users arrive), each latency counted from its
    scheduled time, so a stalled service cannot hide its stall by slowing the load.
    """
    import aiohttp

    latencies: list[float] = []
    statuses: dict[int, int] = {}

    async def one(session, scheduled: float):
        async with session.get(url + "/work") as response:
            await response.read()
            statuses[response.status] = statuses.get(response.status, 0) + 1
        latencies.append((time.perf_counter() - scheduled) * 1000)

    connector = aiohttp.TCPConnector(limit=concurrency if rate <= 0 else 0)
    async with aiohttp.ClientSession(connector=connector) as session:
        start = time.perf_counter()
        if rate <= 0:
            remaining = iter(range(requests))

            async def client():
                for _ in remaining:
                    await one(session, time.perf_counter())

            await asyncio.gather(*(client() for _ in range(concurrency)))
        else:
            tasks = []
            for i in range(requests):
                scheduled = start + i / rate
                delay = scheduled - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                tasks.append(asyncio.ensure_future(one(session, scheduled)))
            await asyncio.gather(*tasks)
        elapsed = time.perf_counter() - start
    latencies.sort()
    return {"requests": len(latencies), "rps": len(latencies) / elapsed,
            "p50_ms": statistics.median(latencies),
            "p99_ms": latencies[max(0, int(len(latencies) * 0.99) - 1)],
            "statuses": statuses}


def _wait_ready(url: str, timeout: float = 30.0) -> None:
    import urllib.request

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url + "/work", timeout=1).read()
            return
        except Exception:
            time.sleep(0.1)
    raise RuntimeError(f"service at {url} did not start")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def bench(requests: int, concurrency: int, workers: int, rounds: int, rate: float) -> None:
    """Serve and load the service with logging on and off (alternating rounds); print
    the best p99 of each (the machine is shared: best-of filters its noise)."""
    results = {True: [], False: []}
    for _ in range(rounds):
        for logging_on in (False, True):
            port = _free_port()
            url = f"http://127.0.0.1:{port}"
            cmd = [sys.executable, os.path.abspath(__file__), "serve", "--port", str(port),
                   "--workers", str(workers)] + ([] if logging_on else ["--no-logging"])
            server = subprocess.Popen(cmd)
            try:
                _wait_ready(url)
                asyncio.run(load(url, min(200, requests), concurrency, rate))  # warm-up
                results[logging_on].append(asyncio.run(load(url, requests, concurrency, rate)))
            finally:
                server.send_signal(signal.SIGINT)
                server.wait(60)
    for logging_on in (False, True):
        best = min(results[logging_on], key=lambda r: r["p99_ms"])
        print(f"logging {'on ' if logging_on else 'off'}: p50 {best['p50_ms']:.2f} ms, "
              f"p99 {best['p99_ms']:.2f} ms, {best['rps']:.0f} req/s "
              f"(p99 of each round: {[round(r['p99_ms'], 2) for r in results[logging_on]]})")
    on = min(r["p99_ms"] for r in results[True])
    off = min(r["p99_ms"] for r in results[False])
    print(f"p99 with logging / without: {on / off:.1%} (target: within 110%)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p_serve = sub.add_parser("serve")
    p_serve.add_argument("--port", type=int, default=8080)
    p_serve.add_argument("--workers", type=int, default=1)
    p_serve.add_argument("--no-logging", action="store_true")
    p_load = sub.add_parser("load")
    p_load.add_argument("--url", default="http://127.0.0.1:8080")
    p_load.add_argument("--requests", type=int, default=5000)
    p_load.add_argument("--concurrency", type=int, default=32)
    p_load.add_argument("--rate", type=float, default=0.0,
                        help="requests/s on a fixed schedule (0: closed loop)")
    p_bench = sub.add_parser("bench")
    p_bench.add_argument("--requests", type=int, default=5000)
    p_bench.add_argument("--concurrency", type=int, default=32)
    p_bench.add_argument("--workers", type=int, default=1)
    p_bench.add_argument("--rounds", type=int, default=3)
    p_bench.add_argument("--rate", type=float, default=1000.0,
                         help="requests/s on a fixed schedule (0: closed loop at saturation)")
    args = parser.parse_args()
    if args.command == "serve":
        serve(args.port, args.workers, not args.no_logging)
    elif args.command == "load":
        print(asyncio.run(load(args.url, args.requests, args.concurrency, args.rate)))
    else:
        bench(args.requests, args.concurrency, args.workers, args.rounds, args.rate)


if __name__ == "__main__":
    main()
