"""The "View run" links MLflow prints when a run on a tracking server ends.

MLflow's client fetches the run to print them; we print from what this process already
knows of the run (it created or fetched it), so ending a run never waits on a read,
which matters while the server is down and the end goes to the journal.
"""

from __future__ import annotations

import sys

from ..config import env_bool
from ..redact import redact_url

# run id -> (experiment id, run name) of runs on tracking servers that this process
# created or fetched; bounded, since a long-lived service may create runs without end
_known: dict[str, tuple[str, str]] = {}
_MAX_KNOWN = 10_000


def _is_server(tracking_uri: str) -> bool:
    return tracking_uri.startswith(("http://", "https://"))


def remember(tracking_uri: str, run) -> None:
    """Note the experiment and name of ``run`` (a Run), if it lives on a tracking server."""
    if _is_server(tracking_uri):
        if len(_known) >= _MAX_KNOWN:
            _known.clear()
        _known[run.info.run_id] = (run.info.experiment_id, run.info.run_name)


def renamed(run_id: str, name: str) -> None:
    """Keep the name of a known run current after a rename."""
    known = _known.get(run_id)
    if known is not None:
        _known[run_id] = (known[0], name)


def print_links(tracking_uri: str, run_id: str) -> None:
    """Print MLflow's run and experiment links for a run that is ending, to stdout."""
    known = _known.get(run_id)  # only runs on tracking servers are known
    if known is None:
        return
    try:
        if env_bool("MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT", False):
            return
    except ValueError:
        pass  # an unreadable switch must not stop the run from ending
    experiment_id, run_name = known
    experiment_url = f"{redact_url(tracking_uri).rstrip('/')}/#/experiments/{experiment_id}"
    sys.stdout.write(f"🏃 View run {run_name} at: {experiment_url}/runs/{run_id}\n")
    sys.stdout.write(f"🧪 View experiment at: {experiment_url}\n")
