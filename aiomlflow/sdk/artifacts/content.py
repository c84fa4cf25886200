"""What log_text, log_dict and log_figure write, as bytes: no files, no network.

Each function returns the exact content MLflow 3.17.2 puts in the artifact file for the
same arguments, and raises what MLflow raises for bad ones.  MLflow renders into a file
opened in text mode; here the same text goes through an in-memory text wrapper, so the
encoding, its errors and the newline translation are those of a real text file.

figure_bytes renders in the caller's thread on purpose: matplotlib is not thread-safe,
and the figure may be changed or closed as soon as the call returns.
"""

from __future__ import annotations

import io
import json
import os
import posixpath
import sys
from collections.abc import Mapping
from typing import Any

from aiomlflow.utils.optional import require

# The file extensions MLflow saves a plotly figure as an image for (write_image);
# ".html" goes to write_html; anything else is refused.
PLOTLY_IMAGE_EXTENSIONS = (".png", ".jpeg", ".webp", ".svg", ".pdf")


def _text_file_bytes(text: str, encoding: str | None) -> bytes:
    """The bytes ``open(path, "w", encoding=encoding).write(text)`` leaves in a file."""
    raw = io.BytesIO()
    # encoding=None picks the locale's encoding, exactly as open() does
    wrapper = io.TextIOWrapper(raw, encoding=encoding)
    try:
        wrapper.write(text)
        wrapper.flush()
    finally:
        # detach so that closing the wrapper (at garbage collection) leaves raw readable
        wrapper.detach()
    return raw.getvalue()


def text_bytes(text: str) -> bytes:
    """The content of ``log_text(text, ...)``'s file: ``text`` in UTF-8.

    Anything but a str raises the TypeError a text file's write() raises
    ("write() argument must be str, not int"); a str that UTF-8 cannot encode (a lone
    surrogate) raises UnicodeEncodeError, as in MLflow.
    """
    return _text_file_bytes(text, "utf-8")


def dict_bytes(dictionary: Any, artifact_file: str) -> bytes:
    """The content of ``log_dict(dictionary, artifact_file)``'s file.

    YAML (``indent=2``, block style, keys sorted, non-ASCII escaped) when
    ``artifact_file`` ends in ``.yml`` or ``.yaml`` (case-sensitive, as MLflow), JSON
    otherwise (``indent=2``, key order kept, non-ASCII escaped, objects JSON cannot
    encode written as ``str(obj)``).  YAML needs PyYAML.
    """
    extension = os.path.splitext(artifact_file)[1]
    if extension in (".yml", ".yaml"):
        yaml = require("yaml", "mlflow.log_dict with a YAML file")
        text = yaml.dump(dictionary, indent=2, default_flow_style=False)
    else:
        text = json.dumps(dictionary, indent=2, default=str)
    # MLflow opens this file without an encoding: the locale's (the text is ASCII anyway,
    # as both dumpers escape everything else)
    return _text_file_bytes(text, None)


def _is_matplotlib_figure(figure) -> bool:
    # Only when matplotlib is already imported: a matplotlib figure cannot exist
    # otherwise, and a plotly-only environment must not need matplotlib.
    if "matplotlib" not in sys.modules:
        return False
    import matplotlib.figure

    return isinstance(figure, matplotlib.figure.Figure)


def _is_plotly_figure(figure) -> bool:
    if "plotly" not in sys.modules:
        return False
    graph_objects = require("plotly.graph_objects", "mlflow.log_figure with a plotly figure")
    return isinstance(figure, graph_objects.Figure)


def _matplotlib_bytes(figure, artifact_file: str, save_kwargs: Mapping) -> bytes:
    kwargs = dict(save_kwargs)
    if kwargs.get("format") is None:
        # MLflow saves to a file named like the artifact, so matplotlib picks the format
        # from that name's extension
        filename = posixpath.basename(posixpath.normpath(artifact_file))
        extension = os.path.splitext(filename)[1][1:]
        if not extension:
            # MLflow's savefig would write "<name>.png" and then find no file "<name>"
            raise FileNotFoundError(
                f"log_figure cannot choose a format for {artifact_file!r}: it has no file "
                "extension (MLflow fails here with FileNotFoundError, because matplotlib "
                f"saves to {filename.rstrip('.')}.png instead). Add an extension such as "
                "'.png', or pass save_kwargs={'format': ...}.")
        kwargs["format"] = extension
    buffer = io.BytesIO()
    figure.savefig(buffer, **kwargs)
    return buffer.getvalue()


def _plotly_bytes(figure, artifact_file: str, save_kwargs: Mapping) -> bytes:
    extension = os.path.splitext(artifact_file)[1]
    kwargs = dict(save_kwargs)
    if extension == ".html":
        kwargs.setdefault("include_plotlyjs", "cdn")
        kwargs.setdefault("auto_open", False)
        if kwargs["auto_open"]:
            # MLflow would open a browser on a temporary file it deletes right away
            raise ValueError(
                "log_figure does not support save_kwargs={'auto_open': True}: the figure "
                "is rendered in memory and logged, there is no local file to open.")
        text = io.StringIO()
        figure.write_html(text, **kwargs)
        # plotly writes a path with Path.write_text(html, "utf-8")
        return _text_file_bytes(text.getvalue(), "utf-8")
    if extension in PLOTLY_IMAGE_EXTENSIONS:
        if kwargs.get("format") is None:
            kwargs["format"] = extension[1:]  # what write_image infers from a path
        buffer = io.BytesIO()
        figure.write_image(buffer, **kwargs)
        return buffer.getvalue()
    raise TypeError(f"Unsupported file extension for plotly figure: '{extension}'")


def figure_bytes(figure, artifact_file: str, save_kwargs: Mapping[str, Any] | None = None
                 ) -> bytes:
    """The content of ``log_figure(figure, artifact_file, save_kwargs=...)``'s file.

    A matplotlib Figure is saved with ``savefig`` in the format of the file extension
    (or ``save_kwargs["format"]``), ``save_kwargs`` passed through.  A plotly Figure is
    written with ``write_html`` for ``.html`` (plotly.js from the CDN by default) or
    ``write_image`` for .png/.jpeg/.webp/.svg/.pdf; other extensions raise TypeError.
    Other objects raise TypeError("Unsupported figure object type: ..."), as in MLflow.
    ``save_kwargs`` is not modified.
    """
    if _is_matplotlib_figure(figure):
        render = _matplotlib_bytes
    elif _is_plotly_figure(figure):
        render = _plotly_bytes
    else:
        raise TypeError(f"Unsupported figure object type: '{type(figure)}'")
    save_kwargs = save_kwargs or {}
    if not isinstance(save_kwargs, Mapping):
        raise TypeError(f"save_kwargs must be a mapping of keyword arguments, not "
                        f"{type(save_kwargs).__name__}: {save_kwargs!r}")
    return render(figure, artifact_file, save_kwargs)
