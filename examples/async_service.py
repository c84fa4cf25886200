"""An aiohttp web service that logs per-request latency and status with aiomlflow.aio.

Each worker process holds one run for its lifetime (``run_name=worker-<pid>``) and logs,
per request, ``latency_ms`` and ``status`` with ``synchronous=False``: an append to the
engine's queue, no I/O on the request's path.  The run ends FINISHED when the worker
stops.

Run it:
    python examples/async_service.py serve --port 8080 [--workers 2] [--no-logging]
    python examples/async_service.py load --url http://127.0.0.1:8080 --requests 5000
    python examples/async_service.py bench [--rounds 5] [--requests 8000]

``bench`` serves the service twice (logging off and on, one worker each) and drives
both with the same offered load from a separate driver process, in interleaved rounds:
a steady open-loop load at 75% of the capacity measured in that round (``--fraction``,
or a fixed ``--rate``) and a flat-out closed loop (``--concurrency`` clients).  It
prints p50/p99 latency, throughput and the service's CPU per request for each
configuration (medians over the rounds) and the p99 on/off ratios.

Logs go to the default tracking URI (``sqlite:///mlflow.db`` in the working directory;
``bench`` uses a temporary directory); open them with
``mlflow ui --backend-store-uri sqlite:///mlflow.db``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
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
    scheduled time, so a stalled service cannot hide its stall by slowing the load;
    ``concurrency`` then bounds the open connections.
    """
    import aiohttp

    latencies: list[float] = []
    statuses: dict[int, int] = {}

    async def one(session, scheduled: float):
        async with session.get(url + "/work") as response:
            await response.read()
            statuses[response.status] = statuses.get(response.status, 0) + 1
        latencies.append((time.perf_counter() - scheduled) * 1000)

    connector = aiohttp.TCPConnector(limit=concurrency)
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


def _cpu_seconds(pid: int) -> tuple[float, float]:
    """CPU seconds (user + system) of process ``pid``: its main thread, all its threads."""
    tick = os.sysconf("SC_CLK_TCK")
    main = total = 0.0
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:  # the thread just ended
            continue
        seconds = (int(fields[11]) + int(fields[12])) / tick
        total += seconds
        if tid == str(pid):
            main = seconds
    return main, total


class _Service:
    """One service process (a single worker) for the benchmark."""

    def __init__(self, logging_on: bool, workdir: str):
        self.logging_on = logging_on
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        cmd = [sys.executable, os.path.abspath(__file__), "serve", "--port", str(self.port),
               "--workers", "1"] + ([] if logging_on else ["--no-logging"])
        self.process = subprocess.Popen(cmd, cwd=workdir)
        _wait_ready(self.url)

    def stop(self) -> None:
        self.process.send_signal(signal.SIGINT)
        self.process.wait(60)


def _drive(service: _Service, requests: int, concurrency: int, rate: float) -> dict:
    """One round: the load driver in its own process (so it does not share an
    interpreter, or a GIL, with anything else), the service's CPU counted around it."""
    cmd = [sys.executable, os.path.abspath(__file__), "load", "--url", service.url,
           "--requests", str(requests), "--concurrency", str(concurrency),
           "--rate", str(rate), "--json"]
    driver = subprocess.Popen(cmd, stdout=subprocess.PIPE, stdin=subprocess.PIPE, text=True)
    driver.stdout.readline()  # "ready": aiohttp imported, nothing sent yet
    main0, total0 = _cpu_seconds(service.process.pid)
    driver.stdin.write("go\n")
    driver.stdin.flush()
    result = json.loads(driver.stdout.readline())
    main1, total1 = _cpu_seconds(service.process.pid)
    driver.wait(60)
    n = result["requests"]
    result["main_cpu_us"] = (main1 - main0) / n * 1e6
    result["cpu_us"] = (total1 - total0) / n * 1e6
    return result


def _summary(rounds: list) -> dict:
    return {key: statistics.median(r[key] for r in rounds)
            for key in ("p50_ms", "p99_ms", "rps", "main_cpu_us", "cpu_us")}


def bench(requests: int, concurrency: int, rounds: int, fraction: float,
          rate: float) -> None:
    """Serve the service twice (logging off, logging on: one worker each, both up for
    the whole run) and load them in rounds with the same offered load, off and on back
    to back (alternating which goes first); print per-configuration medians over the
    rounds and the on/off ratios.

    Each round: first the capacity of the logging-off service (closed loop, flat out:
    the machine is shared, so it is measured again each round), then ``steady``, an
    open loop at ``fraction`` of that capacity (or at ``rate``, if given), then
    ``flat out``, a closed loop of ``concurrency`` clients back to back.  The load
    driver is a separate process, so it shares no interpreter or GIL with a service.
    """
    import tempfile

    workdir = tempfile.mkdtemp(prefix="aiomlflow-service-bench-")
    load_before = os.getloadavg()[0]
    services = {False: _Service(False, workdir), True: _Service(True, workdir)}
    names = ("steady", "flat out")
    results = {(name, on): [] for name in names for on in (False, True)}
    capacities, rates = [], []
    try:
        for service in services.values():  # warm-up: connections, code paths, the run
            _drive(service, min(2000, requests), concurrency, 0)
        for i in range(rounds):
            capacities.append(_drive(services[False], requests // 2, concurrency, 0)["rps"])
            rates.append(rate if rate > 0 else round(capacities[-1] * fraction))
            order = (False, True) if i % 2 == 0 else (True, False)
            for name, load_rate in zip(names, (rates[-1], 0.0)):
                for logging_on in order:
                    results[name, logging_on].append(
                        _drive(services[logging_on], requests, concurrency, load_rate))
    finally:
        for service in services.values():
            service.stop()
    print(f"{rounds} rounds of {requests} requests per configuration and load; capacity of "
          f"the logging-off service per round (closed loop, {concurrency} clients): "
          f"{[round(c) for c in capacities]} req/s; machine load average "
          f"{load_before:.1f} at the start, {os.getloadavg()[0]:.1f} at the end "
          f"({os.cpu_count()} CPUs)")
    for name in names:
        if name == "steady":
            what = (f"open loop at {fraction:.0%} of the round's capacity: "
                    f"{[round(r) for r in rates]} req/s" if rate <= 0 else
                    f"open loop at {rate:.0f} req/s")
        else:
            what = f"closed loop, {concurrency} clients"
        print(f"  {name} ({what}), medians over the rounds:")
        summary = {on: _summary(results[name, on]) for on in (False, True)}
        for on in (False, True):
            m = summary[on]
            print(f"    logging {'on ' if on else 'off'}: p50 {m['p50_ms']:.2f} ms, "
                  f"p99 {m['p99_ms']:.2f} ms, {m['rps']:.0f} req/s, service CPU "
                  f"{m['cpu_us']:.0f} us/request ({m['main_cpu_us']:.0f} on its loop thread)"
                  f"; p99 per round {[round(r['p99_ms'], 2) for r in results[name, on]]}")
        ratios = [on["p99_ms"] / off["p99_ms"]
                  for off, on in zip(results[name, False], results[name, True])]
        print(f"    p99 on/off: {summary[True]['p99_ms'] / summary[False]['p99_ms']:.1%} "
              f"(ratio of the medians); per round {[f'{r:.0%}' for r in ratios]}, median "
              f"{statistics.median(ratios):.1%}; p50 on/off "
              f"{summary[True]['p50_ms'] / summary[False]['p50_ms']:.1%}.  Target: p99 on/off "
              "<= 110%")


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
    p_load.add_argument("--json", action="store_true",
                        help="print 'ready', wait for a line on stdin, run, print JSON "
                             "(how bench drives it)")
    p_bench = sub.add_parser("bench")
    p_bench.add_argument("--requests", type=int, default=8000, help="per round")
    p_bench.add_argument("--concurrency", type=int, default=16,
                         help="clients of the flat-out load (and the capacity measurement)")
    p_bench.add_argument("--rounds", type=int, default=5)
    p_bench.add_argument("--fraction", type=float, default=0.75,
                         help="steady load as a fraction of the measured capacity")
    p_bench.add_argument("--rate", type=float, default=0.0,
                         help="steady load in requests/s (default: --fraction of capacity)")
    args = parser.parse_args()
    if args.command == "serve":
        serve(args.port, args.workers, not args.no_logging)
    elif args.command == "load" and args.json:
        print("ready", flush=True)
        sys.stdin.readline()
        result = asyncio.run(load(args.url, args.requests, args.concurrency, args.rate))
        print(json.dumps(result), flush=True)
    elif args.command == "load":
        print(asyncio.run(load(args.url, args.requests, args.concurrency, args.rate)))
    else:
        bench(args.requests, args.concurrency, args.rounds, args.fraction, args.rate)


if __name__ == "__main__":
    main()
