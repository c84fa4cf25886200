"""The REST transport: MLflow 3.17.2's tracking REST API over one pooled aiohttp session.

Every Transport method is one (or a few) ``/api/2.0/mlflow/...`` requests; answers become
the same entities the SQLite transport returns, and the server's errors become
MlflowException with the server's ``error_code`` and ``message``.

Run data (``write_runs``)
    Each run's operations are packed into ``runs/log-batch`` requests within MLflow's
    limits (see :mod:`.packing`) and sent one after another, so the run's order holds;
    different runs are written concurrently (``max_runs_in_flight``).  A 4xx answer
    fails only the operations it concerns: a run-level error (run missing or deleted)
    fails that run's remaining operations; otherwise, when the request carried several
    operations, each of them is re-sent alone (a lone ``log_param`` through
    ``runs/log-parameter``, whose conflict message is MLflow's single-param one), so only
    the bad one fails.

The journal seam
    A request that still fails after the retry window with a *transient* error
    (unreachable server, timeout, 429, 5xx; see :func:`.client.is_transient`) is not
    failed directly: ``write_runs`` awaits ``self._on_undeliverable(run_id, ops, error)``
    with every operation of that run from the first undelivered one onwards, in
    submission order (raw operation tuples, as the engine queued them), and nothing more
    is sent for that run in this call.  The hook returns ``[(seq, exception)]`` for the
    operations it could not take care of; the default fails them all with a clear
    MlflowException.  ``open()`` plugs the journal in (``undeliverable_handler`` =
    ``Spooler.undeliverable``, see :mod:`.journal`), which appends the operations to
    disk and returns ``[]``; ``write_runs`` then goes through the spooler, whose direct
    path is ``_send_runs`` and whose probe is ``ping``.  Replaying an operation that was
    partly delivered is harmless: the server ignores a metric it already has, accepts
    a param re-logged with the same value, and tags are last-writer-wins.
    Queued CALLs (create_run, end_run, ...) raise :class:`.client.ServerUnavailable` (or
    a transient :class:`.client.RestError`) after the retry window.

Traces
    The trace methods (write_traces, get_trace_info, get_traces, search_traces, trace
    tags, delete_traces, link_traces_to_run) live in :mod:`.traces`; traces are not
    journaled.

Ordering of CALLs against the journal
    Only run data is journaled, TERMINATE included (end_run / set_terminated are queued
    as data, so a run ended during or after an outage ends after its replayed data).
    Every other write (create_run, update_run_info, delete_run, restore_run and the
    experiment calls) is a CALL that is never journaled: some return what only the
    server knows (a run, an experiment id), and a caller waits on all of them.  Instead
    ``_write`` waits, while the spooler diverts, until the journal has replayed every
    record appended before the call; if the server is still unreachable the call fails
    with TEMPORARILY_UNAVAILABLE and is not sent, so it never overtakes the journal.
"""

from __future__ import annotations

import asyncio

from ...exceptions import MlflowException
from ...entities import Experiment, Metric, Run, RunInfo
from ...batches import PARAM
from ..base import Transport
from .client import HttpClient, RestError, ServerUnavailable, is_transient
from . import journal
from .spooler import Spooler
from .traces import RestTraceMethods
from .logged_models import RestLoggedModelMethods
from .registry import RestRegistryMethods
from .packing import pack
from .settings import HttpSettings, url_credentials

# MLflow's search page limit (SEARCH_MAX_RESULTS_THRESHOLD).
_MAX_PAGE = 50_000
_VIEW_TYPES = {1: "ACTIVE_ONLY", 2: "DELETED_ONLY", 3: "ALL"}


def _tags(items) -> list[dict]:
    return [{"key": key, "value": value} for key, value in items]


def _token(token):
    if isinstance(token, (bytes, bytearray)):
        return token.decode("ascii")
    return token


class RestTransport(RestLoggedModelMethods, RestRegistryMethods, RestTraceMethods, Transport):
    """Client of an MLflow tracking server (``http://`` / ``https://`` tracking URIs)."""

    #: Runs whose requests are in flight at once in one ``write_runs`` call.
    max_runs_in_flight = 8
    #: Concurrent ``get-history`` reads of ``get_metric_history_bulk``.
    max_reads_in_flight = 8

    def __init__(self, uri: str):
        self.settings = HttpSettings()
        self.settings.use_url_credentials(*url_credentials(uri))
        self._http = HttpClient(uri, self.settings)
        self.uri = self._http.display_url
        #: Optional ``async (run_id, ops, error) -> [(seq, exc)]`` replacing the default
        #: of :meth:`_on_undeliverable` (the journal's entry point).
        self.undeliverable_handler = None
        #: The durability layer (journal.py), behind the Transport delivery hooks.
        self.spool: Spooler | None = None

    async def open(self) -> None:
        """Create the pooled session (no request: a server that is down is not an error
        until something has to be sent)."""
        await self._http.open()
        # What the server cannot take goes to the on-disk journal and is replayed later.
        if journal.SUPPORTED:
            self.spool = Spooler(self.uri, self._send_runs, self.ping)
            if self.undeliverable_handler is None:
                self.undeliverable_handler = self.spool.undeliverable
            await self.spool.open()

    async def close(self) -> None:
        """Close the session; idempotent."""
        if self.spool is not None:
            await self.spool.close()
        await self._close_trace_artifacts()
        await self._http.close()

    def __repr__(self) -> str:
        return f"<RestTransport {self.uri} auth={self.settings.auth_scheme or 'none'}>"

    # ------------------------------------------------------------------ delivery hooks
    def watch_backlog(self, is_full) -> None:
        if self.spool is not None:
            self.spool.backlog = is_full

    @property
    def undelivered(self) -> bool:
        return self.spool is not None and self.spool.diverting

    @property
    def gave_up(self) -> bool:
        return self.spool is not None and self.spool.final

    async def settle(self, timeout, final=False):
        if self.spool is None:
            return True
        return await self.spool.settle(timeout, final)

    def handoff_note(self):
        return None if self.spool is None else self.spool.note()

    # ------------------------------------------------------------------ plumbing
    async def _caught_up(self) -> None:
        """Before a read: let the journal replay what was logged before it (while the
        server answers), so a read after an outage sees the data logged during it."""
        if self.spool is not None and self.spool.diverting:
            await self.spool.settle(warn=False)  # the read reports any outage

    async def _get(self, endpoint: str, **params):
        await self._caught_up()
        # a None argument is left out, so the server answers for the missing parameter
        return await self._http.call(
            "GET", endpoint, params={k: v for k, v in params.items() if v is not None})

    async def _post(self, endpoint: str, body: dict):
        return await self._http.call("POST", endpoint, body)

    async def _write(self, endpoint: str, body: dict | None, method: str = "POST"):
        """POST (or ``method``) a queued CALL (create_run, update_run_info, delete_run,
        experiment and logged-model calls) only once the journal holds nothing journaled
        before it, so it never overtakes data logged during an outage (a delete_run would
        reject the run's metrics, an update_run's status would be overwritten by a replayed
        end_run)."""
        spool = self.spool
        if spool is not None and spool.diverting and not await spool.settle(warn=False):
            # Posting now would reorder it; failing is what a call to an unreachable
            # server does anyway, and the caller may retry once the journal is replayed.
            raise ServerUnavailable(
                f"{endpoint} was not sent to {self.uri}: {spool.journal.pending_ops()} logging "
                f"operation(s) journaled before it are not replayed yet (the server is "
                f"unreachable: {spool.last_error}); they stay in the journal at "
                f"{spool.journal.directory}")
        if method != "POST":
            return await self._http.call(method, endpoint, body)
        return await self._post(endpoint, body)

    # ------------------------------------------------------------------ run data
    async def write_runs(self, batches, durable=None):
        # ``durable`` is optional: the engine completes the operations from the return.
        if self.spool is not None:
            return await self.spool.write_runs(batches)
        return await self._send_runs(batches)

    async def ping(self) -> bool:
        """Whether the server answers now (one request, no retries): the journal's probe."""
        try:
            await self._http.call("GET", "experiments/get", params={"experiment_id": "0"},
                                  retry=False)
        except MlflowException as exc:
            return not is_transient(exc)
        return True

    async def _send_runs(self, batches):
        """Write run data to the server directly (the journal's ``send``)."""
        if len(batches) == 1:
            return await self._write_run(batches[0])
        limit = asyncio.Semaphore(self.max_runs_in_flight)

        async def one(batch):
            async with limit:
                return await self._write_run(batch)

        failures: list = []
        for result in await asyncio.gather(*(one(b) for b in batches)):
            failures.extend(result)
        return failures

    async def _write_run(self, batch) -> list[tuple[int, Exception]]:
        run_id, ops = batch.run_id, batch.ops
        call = self._http.call
        failures: list = []
        start = 0
        while start < len(ops):
            requests = pack(run_id, ops[start:] if start else ops)
            for request in requests:
                try:
                    await call("POST", request.endpoint, request.body)
                except MlflowException as exc:
                    first, last = start + request.ops[0], start + request.ops[-1]
                    if is_transient(exc):
                        failures += await self._undeliverable(run_id, ops[first:], exc)
                        return failures
                    if _is_run_error(exc, run_id):
                        failures += [(op[0], exc) for op in ops[first:]]
                        return failures
                    if first == last and ops[first][1] != PARAM:
                        failures.append((ops[first][0], exc))
                    elif await self._isolate(run_id, ops, first, last, failures):
                        return failures
                    start = last + 1
                    break
            else:
                return failures
        return failures

    async def _isolate(self, run_id, ops, first, last, failures) -> bool:
        """Re-send ops[first..last] one by one; True when the rest went undeliverable."""
        call = self._http.call
        for index in range(first, last + 1):
            op = ops[index]
            for request in pack(run_id, [op], single_param_endpoint=True):
                try:
                    await call("POST", request.endpoint, request.body)
                except MlflowException as exc:
                    if is_transient(exc):
                        failures += await self._undeliverable(run_id, ops[index:], exc)
                        return True
                    failures.append((op[0], exc))
                    break
        return False

    async def _undeliverable(self, run_id, ops, error):
        handler = self.undeliverable_handler or self._on_undeliverable
        return await handler(run_id, ops, error)

    async def _on_undeliverable(self, run_id: str, ops: list, error: MlflowException):
        """Operations of ``run_id`` the server could not take after every retry (the
        journal's seam; see the module docstring).  Default: fail them all."""
        failure = MlflowException(
            f"{len(ops)} logging operation(s) for run {run_id} could not be delivered to "
            f"{self.uri} after {self.settings.max_retries} retries: {error.message}",
            error_code=error.error_code)
        return [(op[0], failure) for op in ops]

    # ------------------------------------------------------------------ runs
    async def create_run(self, experiment_id, user_id, start_time, tags, run_name):
        body = {"experiment_id": str(experiment_id), "user_id": user_id,
                "start_time": start_time, "tags": _tags(tags)}
        if run_name is not None:
            body["run_name"] = run_name
        answer = await self._write("runs/create", body)
        return Run.from_dict(answer.get("run") or {})

    async def get_run(self, run_id):
        answer = await self._get("runs/get", run_id=run_id)
        return Run.from_dict(answer.get("run") or {})

    async def update_run_info(self, run_id, status, end_time, run_name):
        body: dict = {"run_id": run_id}
        if status is not None:
            body["status"] = status
        if end_time is not None:
            body["end_time"] = end_time
        if run_name is not None:
            body["run_name"] = run_name
        answer = await self._write("runs/update", body)
        return RunInfo.from_dict(answer.get("run_info") or {})

    async def delete_run(self, run_id):
        await self._write("runs/delete", {"run_id": run_id})

    async def restore_run(self, run_id):
        await self._write("runs/restore", {"run_id": run_id})

    async def get_metric_history(self, run_id, key):
        return await self._history(run_id, key)

    async def _history(self, run_id, key, max_results=None, with_run_id=False) -> list:
        params = {"run_id": run_id, "metric_key": key}
        metrics: list = []
        token = None
        while True:
            if max_results is not None:
                params["max_results"] = str(max_results - len(metrics))
            if token:
                params["page_token"] = token
            answer = await self._get("metrics/get-history", **params)
            for item in answer.get("metrics") or ():
                if with_run_id:
                    item["run_id"] = run_id
                metrics.append(Metric.from_dict(item))
            token = answer.get("next_page_token")
            if not token or (max_results is not None and len(metrics) >= max_results):
                break
        # MLflow's order (the SQL store's too): timestamp, step, value.
        metrics.sort(key=lambda m: (m.timestamp, m.step, m.value))
        return metrics

    # ------------------------------------------------------------------ experiments
    async def create_experiment(self, name, artifact_location, tags):
        body: dict = {"name": name, "tags": _tags(tags)}
        if artifact_location:
            body["artifact_location"] = artifact_location
        answer = await self._write("experiments/create", body)
        return str(answer["experiment_id"])

    async def get_experiment(self, experiment_id):
        answer = await self._get("experiments/get", experiment_id=str(experiment_id))
        return Experiment.from_dict(answer.get("experiment") or {})

    async def get_experiment_by_name(self, name):
        try:
            answer = await self._get("experiments/get-by-name", experiment_name=name)
        except RestError as exc:
            if exc.error_code == "RESOURCE_DOES_NOT_EXIST":
                return None
            raise
        return Experiment.from_dict(answer.get("experiment") or {})

    async def delete_experiment(self, experiment_id):
        await self._write("experiments/delete", {"experiment_id": str(experiment_id)})

    async def restore_experiment(self, experiment_id):
        await self._write("experiments/restore", {"experiment_id": str(experiment_id)})

    async def rename_experiment(self, experiment_id, new_name):
        await self._write("experiments/update",
                         {"experiment_id": str(experiment_id), "new_name": new_name})

    async def set_experiment_tag(self, experiment_id, key, value):
        await self._write("experiments/set-experiment-tag",
                         {"experiment_id": str(experiment_id), "key": key, "value": value})

    async def delete_experiment_tag(self, experiment_id, key):
        await self._write("experiments/delete-experiment-tag",
                         {"experiment_id": str(experiment_id), "key": key})

    # ------------------------------------------------------------------ search
    async def search_runs(self, query):
        if not query.experiment_ids or not query.stages:
            return [], None
        body: dict = {
            "experiment_ids": [str(e) for e in query.experiment_ids],
            "filter": query.raw_filter or "",
            "run_view_type": _VIEW_TYPES.get(query.view_type, query.view_type),
            "order_by": list(query.raw_order_by),
        }
        items, token = await self._pages("runs/search", body, "runs", query.max_results,
                                          _token(query.page_token))
        return [Run.from_dict(item) for item in items], token

    async def search_experiments(self, query):
        if not query.stages:
            return [], None
        body: dict = {
            "view_type": _VIEW_TYPES.get(query.view_type, query.view_type),
            "filter": query.raw_filter or "",
            "order_by": list(query.raw_order_by),
        }
        items, token = await self._pages("experiments/search", body, "experiments",
                                         query.max_results, _token(query.page_token))
        return [Experiment.from_dict(item) for item in items], token

    async def _pages(self, endpoint, body, field, max_results, token):
        """Up to ``max_results`` items (all of them for None), in pages the server allows;
        returns the items and the token of the page after them."""
        await self._caught_up()
        items: list = []
        while True:
            page = _MAX_PAGE if max_results is None else min(max_results - len(items),
                                                             _MAX_PAGE)
            body["max_results"] = page
            if token:
                body["page_token"] = token
            else:
                body.pop("page_token", None)
            answer = await self._post(endpoint, body)
            items.extend(answer.get(field) or ())
            token = answer.get("next_page_token") or None
            if token is None or (max_results is not None and len(items) >= max_results):
                return items, token

    async def get_metric_history_bulk(self, run_ids, key, max_results=None):
        ids = sorted(set(run_ids))
        limit = asyncio.Semaphore(self.max_reads_in_flight)

        async def one(run_id):
            async with limit:
                try:
                    return await self._history(run_id, key, max_results, with_run_id=True)
                except RestError as exc:
                    if exc.error_code == "RESOURCE_DOES_NOT_EXIST":
                        return []
                    raise

        out: list = []
        for metrics in await asyncio.gather(*(one(run_id) for run_id in ids)):
            out.extend(metrics)
            if max_results is not None and len(out) >= max_results:
                return out[:max_results]
        return out


def _is_run_error(exc: MlflowException, run_id: str) -> bool:
    """Errors about the run itself (missing, not active): every operation of it fails."""
    message = getattr(exc, "server_message", exc.message)
    if exc.error_code == "RESOURCE_DOES_NOT_EXIST":
        return message.startswith("Run with id=")
    if exc.error_code == "INVALID_PARAMETER_VALUE":
        return message.startswith(f"The run {run_id} must be in the 'active' state")
    return False


__all__ = ["RestTransport", "ServerUnavailable", "RestError"]
