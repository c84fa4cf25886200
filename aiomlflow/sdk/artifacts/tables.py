"""log_table and load_table, the logic without the I/O.

What MLflow 3.17.2 does, split into steps the artifact worker strings together:

log_table(data, artifact_file):
    check_table_file(artifact_file)             # before anything, in the caller
    frame = table_frame(data)                   # a snapshot the caller may not change
    frame, files = extract_images(frame, artifact_file)
    ...write each of ``files`` (TableImage.format tells how)...
    new = append_table(existing_bytes_or_None, frame, artifact_file)
    ...write ``new`` as artifact_file...
    tag = logged_artifacts_tag(run's current tag value or None, artifact_file)
    ...set MLFLOW_LOGGED_ARTIFACTS to ``tag`` unless it equals the current value...

load_table(artifact_file, run_ids, extra_columns):
    filter_string = load_table_filter(artifact_file, run_ids)   # also checks the name
    runs = search_runs(experiment_ids=[...], filter_string=filter_string)  # start_time DESC
    warn_missing_runs(run_ids, len(runs))
    combine_tables([(run, bytes of artifact_file or None), ...], artifact_file,
                   extra_columns)

pandas is imported only when a table is built or read.
"""

from __future__ import annotations

import io
import json
import logging
import os
import posixpath
import sys
import uuid
from typing import Any, NamedTuple

from aiomlflow.exceptions import RESOURCE_DOES_NOT_EXIST, MlflowException
from aiomlflow.utils.optional import require

_logger = logging.getLogger(__name__)

# The run tag listing a run's tables; the MLflow UI's evaluation view reads it.
MLFLOW_LOGGED_ARTIFACTS = "mlflow.loggedArtifacts"

# Characters a table's artifact_file may not contain: load_table puts the name into a
# LIKE filter string, where these would break the quoting.
FORBIDDEN_CHARACTERS = ('"', "'", ",", ":", "[", "]", "{", "}")

# Side length (px) the longer edge of an image cell's thumbnail is scaled to.
THUMBNAIL_SIZE = 256

TABLE_IMAGES_DIR = "table_images"


def _pandas(feature: str):
    return require("pandas", feature)


def check_artifact_file_string(artifact_file: str) -> None:
    """Raise MLflow's ValueError when ``artifact_file`` contains a forbidden character
    (``" ' , : [ ] { }``), naming the first one found in that order."""
    for char in FORBIDDEN_CHARACTERS:
        if char in artifact_file:
            raise ValueError(f"The artifact_file contains forbidden character: {char}")


def check_table_file(artifact_file: str) -> None:
    """log_table's checks of ``artifact_file``: no forbidden character, and a ``.json``
    or ``.parquet`` extension; ValueError with MLflow's message otherwise."""
    check_artifact_file_string(artifact_file)
    if not artifact_file.endswith((".json", ".parquet")):
        raise ValueError(
            f"Invalid artifact file path '{artifact_file}'. Please ensure the file you are "
            "trying to log as a table has a file name with either '.json' "
            "or '.parquet' extension.")


def table_frame(data) -> Any:
    """The DataFrame log_table stores for ``data``, a dict or a DataFrame.

    A dict of columns becomes a DataFrame; a dict pandas cannot read as columns (all
    scalars, or lists of different lengths) becomes one row.  Anything else raises
    MlflowException INVALID_PARAMETER_VALUE.  A DataFrame is copied, so the caller may
    change its own after the call (cell objects themselves are shared).
    """
    pd = _pandas("mlflow.log_table")
    if not isinstance(data, (pd.DataFrame, dict)):
        raise MlflowException.invalid_parameter_value(
            "data must be a pandas.DataFrame or a dictionary")
    if isinstance(data, pd.DataFrame):
        return data.copy()
    try:
        return pd.DataFrame(data)
    except ValueError:
        # "If using all scalar values, you must pass an index", or ragged lists
        return pd.DataFrame([data])


# ----------------------------------------------------------------------------- images


class TableImage(NamedTuple):
    """One image file log_table writes beside a table: ``path`` (run-relative) and the
    ``image`` to save there, in ``format``."""

    path: str
    image: Any

    @property
    def format(self) -> str:
        """The Pillow format name: "PNG" for the full image, "WEBP" for the thumbnail,
        saved with Pillow's defaults for that format (what ``image.save(path)`` does).

        ``image`` is a PIL image, except for cells that were neither PIL images nor had
        ``to_pil()``: those are the user's own object, saved with its ``save(path)``.
        """
        return "WEBP" if self.path.endswith(".webp") else "PNG"


_NOT_LOOKED_UP = object()
_image_class: Any = _NOT_LOOKED_UP


def _our_image_class():
    # image.py is written alongside; until it lands, duck typing alone decides.  Looked
    # up once: the test runs for every cell of every object column.
    global _image_class
    if _image_class is _NOT_LOOKED_UP:
        try:
            from aiomlflow.sdk.artifacts import image as module
        except ImportError:
            module = None
        _image_class = getattr(module, "Image", None)
    return _image_class


def is_image_object(obj) -> bool:
    """Whether log_table treats a cell as an image: MLflow's duck test (callable
    ``save`` and ``resize``, a ``size``), or an aiomlflow Image."""
    if (callable(getattr(obj, "save", None)) and callable(getattr(obj, "resize", None))
            and hasattr(obj, "size")):
        return True
    cls = _our_image_class()
    return cls is not None and isinstance(obj, cls)


def _as_pil(image):
    pil = sys.modules.get("PIL.Image")
    if pil is not None and isinstance(image, pil.Image):
        return image
    to_pil = getattr(image, "to_pil", None)
    return to_pil() if callable(to_pil) else image


def thumbnail(image):
    """``image`` scaled (up or down, aspect kept) so its longer edge is 256 px: the
    ``.webp`` beside each table image.  Uses the image's own ``resize``."""
    from .image import thumbnail_size

    return image.resize(thumbnail_size(image.size, THUMBNAIL_SIZE))


def _has_object_column(frame) -> bool:
    """Whether MLflow looks for images at all (it asks select_dtypes for "object"
    columns).  pandas 3 also counts its "str" columns there, with a deprecation
    warning; they hold no images, so leaving them out changes nothing but the warning."""
    return any(dtype == object for dtype in frame.dtypes)


def extract_images(frame, artifact_file: str) -> tuple[Any, list[TableImage]]:
    """Replace image cells by MLflow's reference dicts; return the new frame and the
    image files to write.

    Every column whose cells are all images (PIL, aiomlflow/mlflow Image, anything with
    save/resize/size) has each cell replaced by ``{"type": "image", "filepath":
    "table_images/<table>/<uuid4>.png", "compressed_filepath": ".../<uuid4>.webp"}``,
    ``<table>`` being ``artifact_file`` without its extension; ``files`` then holds a
    TableImage for the PNG (the image) and for the WEBP (its thumbnail) of each cell.
    A column mixing images and other values raises MLflow's ValueError.  MLflow looks
    for images only when the frame has an object column, as here.  ``frame`` is not
    modified.
    """
    files: list[TableImage] = []
    if not _has_object_column(frame):
        return frame, files
    table_name = os.path.splitext(artifact_file)[0]

    def reference(image):
        stem = posixpath.join(TABLE_IMAGES_DIR, table_name, str(uuid.uuid4()))
        image = _as_pil(image)
        files.append(TableImage(stem + ".png", image))
        files.append(TableImage(stem + ".webp", thumbnail(image)))
        return {"type": "image", "filepath": stem + ".png",
                "compressed_filepath": stem + ".webp"}

    result = frame
    for column in frame.columns:
        flags = frame[column].map(is_image_object)
        if any(flags) and not all(flags):
            raise ValueError(
                f"Column `{column}` contains a mix of images and non-images. "
                "Please ensure that all elements in the column are of the same type.")
        if all(flags):
            if result is frame:
                result = frame.copy()
            result[column] = result[column].map(reference)
    return result, files


# ----------------------------------------------------------------------------- files


def table_bytes(frame, artifact_file: str) -> bytes:
    """The table file: JSON in pandas' "split" orientation without the index, dates
    ISO 8601 (``.json``), or parquet without the index (``.parquet``).

    A frame that cannot be written raises MlflowException ("Failed to save ... as table
    as the data is not JSON serializable. Error: ..."), as in MLflow.
    """
    if not artifact_file.endswith((".json", ".parquet")):
        check_table_file(artifact_file)
    try:
        if artifact_file.endswith(".json"):
            text = frame.to_json(orient="split", index=False, date_format="iso")
            return text.encode("utf-8")
        buffer = io.BytesIO()
        frame.to_parquet(buffer, index=False)
        return buffer.getvalue()
    except Exception as exc:
        raise MlflowException(
            f"Failed to save {frame} as table as the data is not JSON serializable. "
            f"Error: {exc}") from exc


def read_table(data: bytes, artifact_file: str):
    """A stored table file read back as MLflow reads it (``pd.read_json(...,
    orient="split")`` with its type inference, or ``pd.read_parquet``); other
    extensions raise ValueError."""
    pd = _pandas("mlflow.load_table")
    if artifact_file.endswith(".json"):
        return pd.read_json(io.BytesIO(data), orient="split")
    if artifact_file.endswith(".parquet"):
        return pd.read_parquet(io.BytesIO(data))
    raise ValueError(f"Unsupported file type in {artifact_file}. Expected .json or .parquet")


def append_table(existing: bytes | None, frame, artifact_file: str) -> bytes:
    """The table file after log_table: ``frame`` alone when there is no file yet, else
    the existing rows (read back as MLflow reads them) followed by ``frame``'s,
    renumbered; columns are the union, missing cells null."""
    if existing is None:
        return table_bytes(frame, artifact_file)
    pd = _pandas("mlflow.log_table")
    combined = pd.concat([read_table(existing, artifact_file), frame], ignore_index=True)
    return table_bytes(combined, artifact_file)


def logged_artifacts_tag(existing_value: str | None, artifact_file: str) -> str:
    """The ``mlflow.loggedArtifacts`` tag value once ``artifact_file`` is a table of the
    run: a JSON list of ``{"path": ..., "type": "table"}``, each table once.  Returns
    ``existing_value`` itself when it already lists the table (MLflow then leaves the
    tag alone); invalid JSON raises json.JSONDecodeError, as in MLflow."""
    entries = json.loads(existing_value if existing_value is not None else "[]")
    entry = {"path": artifact_file, "type": "table"}
    if entry in entries:
        return existing_value
    entries.append(entry)
    return json.dumps(entries)


# ----------------------------------------------------------------------------- load_table


def load_table_filter(artifact_file: str, run_ids: list[str] | None = None) -> str:
    """The search_runs filter string load_table finds its runs with: the runs whose
    ``mlflow.loggedArtifacts`` tag lists ``artifact_file`` (a LIKE pattern), and among
    ``run_ids`` when given.  Checks ``artifact_file`` for forbidden characters first."""
    check_artifact_file_string(artifact_file)
    pattern = f'"path"%:%"{artifact_file}",%"type"%:%"table"'
    filter_string = f"tags.{MLFLOW_LOGGED_ARTIFACTS} LIKE '%{pattern}%'"
    if run_ids:
        filter_string += f" and attributes.run_id IN ({','.join(map(repr, run_ids))})"
    return filter_string


def warn_missing_runs(run_ids: list[str] | None, runs_found: int) -> None:
    """MLflow's warning when some of the requested runs have no such table."""
    if run_ids and len(run_ids) != runs_found:
        _logger.warning(
            "Not all runs have the specified table artifact. Some runs will be skipped.")


class _NoData:
    metrics: dict = {}
    params: dict = {}
    tags: dict = {}


class _InfoOnly:
    """A RunInfo as a Run without data, for runs_to_dataframe."""

    data = _NoData()

    def __init__(self, info):
        self.info = info


def _run_rows(runs: list) -> list:
    """One search_runs row (a pandas Series) per entry: rows are used as they are, Run
    and RunInfo objects go through search_runs' DataFrame (together, so metric columns
    are the union as in MLflow), a run id string gives a row with only ``run_id``."""
    pd = _pandas("mlflow.load_table")
    objects = [r if hasattr(r, "info") else _InfoOnly(r)
               for r in runs if not isinstance(r, (str, pd.Series))]
    object_rows = iter(())
    if objects:
        from aiomlflow.sdk.search.frame import runs_to_dataframe

        object_rows = (row for _, row in runs_to_dataframe(objects).iterrows())
    rows = []
    for run in runs:
        if isinstance(run, pd.Series):
            rows.append(run)
        elif isinstance(run, str):
            rows.append(pd.Series({"run_id": run}, dtype=object))
        else:
            rows.append(next(object_rows))
    return rows


def combine_tables(per_run: list, artifact_file: str,
                   extra_columns: list[str] | None = None):
    """load_table's result: each run's table, in the order given (search_runs' order,
    start_time descending), one below the other and renumbered.

    ``per_run`` holds ``(run, data)`` pairs: ``run`` a row of search_runs' DataFrame, a
    Run, a RunInfo or a run id; ``data`` the bytes of the run's ``artifact_file``, or
    None when the run has no such file (RESOURCE_DOES_NOT_EXIST "Artifact ... not found
    for run ..."; runs are read in order, so the first problem raises).  Each name in
    ``extra_columns`` is a column of search_runs' DataFrame (run_id, experiment_id,
    status, artifact_uri, start_time, end_time, metrics.*, params.*, tags.*) whose run
    value fills a new column; a name already in the table gets an underscore appended
    (with MLflow's warning); any other name raises KeyError as in MLflow.  No runs at all
    raise RESOURCE_DOES_NOT_EXIST "No runs found with the corresponding table artifact."
    """
    pd = _pandas("mlflow.load_table")
    if not per_run:
        raise MlflowException("No runs found with the corresponding table artifact.",
                              RESOURCE_DOES_NOT_EXIST)
    rows = _run_rows([run for run, _ in per_run])
    tables = []
    for (_, data), row in zip(per_run, rows):
        if data is None:
            raise MlflowException(
                f"Artifact {artifact_file} not found for run {row['run_id']}.",
                RESOURCE_DOES_NOT_EXIST)
        table = read_table(data, artifact_file)
        for column in extra_columns or ():
            if column in table:
                name = f"{column}_"
                _logger.warning(
                    f"Column name {column} already exists in the table. Resolving the "
                    "conflict, by appending an underscore to the column name.")
            else:
                name = column
            table[name] = row[column]
        tables.append(table)
    return pd.concat(tables, ignore_index=True)
