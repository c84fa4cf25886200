"""Artifact operations by run id: validate and snapshot in the caller, run on the engine.

Everything a call needs is checked and captured before it returns — paths, local files,
the bytes of a dict, text or figure, a copy of an image's pixels — so bad input fails
before anything is queued and the caller may change or delete its objects at once.
The I/O (copies, uploads, PNG encoding, a table's read-append-write) is a job on the
engine's artifact worker (workers/artifacts.py).

When a call waits: ``log_artifact(s)`` always (the caller may delete its files as soon
as the call returns); in-memory content (text, dicts, figures, tables, images) per its
``synchronous`` argument, where None reads MLFLOW_ENABLE_ASYNC_LOGGING as for metrics.
"""

from __future__ import annotations

import errno
import os

from ...batches import BATCH
from ...config import synchronous_mode
from ...utils.time import get_current_time_millis as now_ms
from . import paths, roots


def _submit(engine, run_id: str, key: str, job, nbytes: int, wait: bool):
    return engine.artifacts.submit(roots.run_root(engine, run_id), key, job, nbytes, wait)


# ----------------------------------------------------------------------------- files
# By artifact root (a run's, or a logged model's: sdk/models/artifacts.py), then by run.
def log_file_to(engine, root_uri: str, local_path, artifact_path: str | None) -> None:
    """One local file (or a directory, as a subdirectory) under ``artifact_path`` of the
    artifact root ``root_uri``; waits until it is stored."""
    local_path = os.fspath(local_path)
    directory = paths.check_dir(artifact_path)
    if os.path.isdir(local_path):
        name = os.path.basename(os.path.normpath(os.path.abspath(local_path)))
        log_tree_to(engine, root_uri, local_path, paths.join(directory, name))
        return
    if not os.path.isfile(local_path):
        raise FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT), local_path)
    dest = paths.join(directory, os.path.basename(local_path))

    async def upload(store):
        await store.upload_file(local_path, dest)

    engine.artifacts.submit(root_uri, dest, upload, 0, True)


def log_tree_to(engine, root_uri: str, local_dir, artifact_path: str | None) -> None:
    """Every file under ``local_dir``, keeping its layout, under ``artifact_path`` of the
    artifact root ``root_uri``.  A missing directory logs nothing, as in MLflow."""
    from ...transports.artifacts.trees import upload_tree

    local_dir = os.fspath(local_dir)
    directory = paths.check_dir(artifact_path)

    async def upload(store):
        await upload_tree(store, local_dir, directory)

    engine.artifacts.submit(root_uri, directory or "", upload, 0, True)


def log_bytes_to(engine, root_uri: str, data: bytes, artifact_file: str, wait: bool) -> None:
    """Write ``data`` as ``artifact_file`` under the artifact root ``root_uri``."""
    path = paths.check_file(artifact_file)

    async def upload(store):
        await store.upload_bytes(data, path)

    engine.artifacts.submit(root_uri, path, upload, len(data), wait)


def log_file(engine, run_id: str, local_path, artifact_path: str | None) -> None:
    """log_artifact: one local file (or a directory, as a subdirectory) under artifact_path."""
    log_file_to(engine, roots.run_root(engine, run_id), local_path, artifact_path)


def log_tree(engine, run_id: str, local_dir, artifact_path: str | None) -> None:
    """log_artifacts: every file under ``local_dir``, keeping its layout, under
    artifact_path.  A missing directory logs nothing, as in MLflow."""
    log_tree_to(engine, roots.run_root(engine, run_id), local_dir, artifact_path)


def log_bytes(engine, run_id: str, data: bytes, artifact_file: str,
              synchronous: bool | None) -> None:
    """Write ``data`` as run-relative ``artifact_file``."""
    log_bytes_to(engine, roots.run_root(engine, run_id), data, artifact_file,
                 synchronous_mode(synchronous))


# ----------------------------------------------------------------------------- images
def log_image_file(engine, run_id: str, image, artifact_file: str,
                   synchronous: bool | None) -> None:
    """log_image(image, artifact_file): the image as one file, format by extension."""
    from . import snapshots as images

    snapshot = images.snapshot(image)
    path = paths.check_file(artifact_file)
    fmt = images.check_format(path)

    async def upload(store):
        import anyio.to_thread

        data = await anyio.to_thread.run_sync(images.encode_file, snapshot, fmt)
        await store.upload_bytes(data, path)

    _submit(engine, run_id, path, upload, images.snapshot_bytes(snapshot),
            synchronous_mode(synchronous))


_images_tagged: set = set()  # (tracking uri, run id) whose mlflow.loggedImages tag is set


def log_image_step(engine, run_id: str, image, key: str, step: int | None,
                   timestamp: int | None, synchronous: bool | None) -> None:
    """log_image(image, key=, step=, timestamp=): one point of an image time series —
    the PNG and its WebP thumbnail under ``images/``, and the run's mlflow.loggedImages
    tag (set once per run by this process)."""
    from . import snapshots as images

    snapshot = images.snapshot(image)
    images.check_image_key(key)
    step = step or 0
    timestamp = timestamp or now_ms()
    import uuid  # with platform, ~2 ms: loaded by the first image, not `import aiomlflow`

    png_path, webp_path = images.time_series_files(key, step, timestamp, str(uuid.uuid4()))
    wait = synchronous_mode(synchronous)

    async def upload(store):
        import anyio.to_thread

        png, webp = await anyio.to_thread.run_sync(images.encode_series, snapshot)
        await store.upload_bytes(png, png_path)
        await store.upload_bytes(webp, webp_path)

    _submit(engine, run_id, png_path, upload, images.snapshot_bytes(snapshot), wait)
    tagged = (engine.tracking_uri, run_id)
    if tagged not in _images_tagged:
        seq = engine.submit(BATCH, run_id, (), (), ((images.LOGGED_IMAGES_TAG, images.LOGGED_IMAGES_TAG_VALUE),))
        engine.finish(seq, wait)
        _images_tagged.add(tagged)


# ----------------------------------------------------------------------------- tables
_tables_tag: dict = {}  # (tracking uri, run id) → this process's mlflow.loggedArtifacts value


def log_table(engine, run_id: str, data, artifact_file: str,
              synchronous: bool | None) -> None:
    """log_table: the table in MLflow's JSON split format, appended to an existing file
    of the same name; image cells become image files beside it."""
    from . import tables

    tables.check_table_file(artifact_file)
    path = paths.check_file(artifact_file)
    frame, image_files = tables.extract_images(tables.table_frame(data), artifact_file)
    wait = synchronous_mode(synchronous)
    for image_path, image in image_files:
        log_image_file(engine, run_id, image, image_path, wait)

    async def append(store):
        import anyio.to_thread

        existing = await stored_or_none(store, path)
        content = await anyio.to_thread.run_sync(tables.append_table, existing, frame, path)
        await store.upload_bytes(content, path)

    _submit(engine, run_id, path, append, 0, wait)
    tagged = (engine.tracking_uri, run_id)
    current = _tables_tag.get(tagged)
    if current is None:
        current = engine.read("get_run", run_id).data.tags.get(tables.MLFLOW_LOGGED_ARTIFACTS)
    value = tables.logged_artifacts_tag(current, artifact_file)
    _tables_tag[tagged] = value
    if value != current:
        seq = engine.submit(BATCH, run_id, (), (), ((tables.MLFLOW_LOGGED_ARTIFACTS, value),))
        engine.finish(seq, wait)


async def stored_or_none(store, path: str):
    """The bytes of ``path`` in ``store``, or None when there is no such file."""
    from ...exceptions import MlflowException

    try:
        return await store.read_bytes(path)
    except MlflowException as exc:
        if exc.error_code == "RESOURCE_DOES_NOT_EXIST":
            return None
        raise


def forget_runs() -> None:
    """Forget per-run state (tests; a forked child)."""
    _images_tagged.clear()
    _tables_tag.clear()


# ----------------------------------------------------------------------------- content
def log_text(engine, run_id: str, text, artifact_file: str) -> None:
    """log_text: ``text`` as a UTF-8 file."""
    from . import content

    paths.check_file(artifact_file)
    log_bytes(engine, run_id, content.text_bytes(text), artifact_file, None)


def log_dict(engine, run_id: str, dictionary, artifact_file: str) -> None:
    """log_dict: JSON, or YAML for a .yml/.yaml file."""
    from . import content

    paths.check_file(artifact_file)
    log_bytes(engine, run_id, content.dict_bytes(dictionary, artifact_file), artifact_file,
              None)


def log_figure(engine, run_id: str, figure, artifact_file: str, save_kwargs) -> None:
    """log_figure: a matplotlib or plotly figure, rendered now, format by extension."""
    from . import content

    paths.check_file(artifact_file)
    log_bytes(engine, run_id, content.figure_bytes(figure, artifact_file, save_kwargs),
              artifact_file, None)


def log_image(engine, run_id: str, image, artifact_file, key, step, timestamp,
              synchronous) -> None:
    """log_image in either of its modes: ``artifact_file``, or ``key``/``step``/``timestamp``."""
    if artifact_file is not None and any(arg is not None for arg in (key, step, timestamp)):
        raise TypeError(
            "The `artifact_file` parameter cannot be used in conjunction with `key`, "
            "`step`, or `timestamp` parameters. Please ensure that `artifact_file` is "
            "specified alone, without any of these conflicting parameters.")
    if artifact_file is None and key is None:
        raise TypeError(
            "Invalid arguments: Please specify exactly one of `artifact_file` or `key`. Use "
            "`key` to log dynamic image charts or `artifact_file` for saving static images. ")
    if artifact_file is not None:
        log_image_file(engine, run_id, image, artifact_file, synchronous)
    else:
        log_image_step(engine, run_id, image, key, step, timestamp, synchronous)


def load_table(engine, experiment_id: str, artifact_file: str, run_ids, extra_columns):
    """load_table: the table ``artifact_file`` of ``run_ids`` (or of every run of the
    experiment that logged it), concatenated, with ``extra_columns`` from each run's
    search_runs row."""
    from ..fluent import search_runs
    from ..search.frame import runs_to_dataframe
    from . import reads, tables

    path = paths.check_file(artifact_file)
    filter_string = tables.load_table_filter(artifact_file, run_ids)
    engine.flush(raise_errors=False)  # the tags that mark the runs having the table
    runs = search_runs([experiment_id], filter_string, output_format="list")
    tables.warn_missing_runs(run_ids, len(runs))
    frame = runs_to_dataframe(runs)
    per_run = [(row, reads.read_or_none(engine, run.info.artifact_uri, path))
               for run, (_, row) in zip(runs, frame.iterrows())]
    return tables.combine_tables(per_run, artifact_file, extra_columns)
