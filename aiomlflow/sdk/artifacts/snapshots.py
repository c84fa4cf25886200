"""An image captured at the call, encoded later on a worker thread.

``snapshot`` runs in the caller: it checks the image (type, dtype, shape, range) and
copies its pixels, so the caller may reuse its buffer at once.  The PIL conversion and
the PNG/WebP encoding — the expensive part — run in the artifact job.
"""

from __future__ import annotations

import io
import os
import sys

from . import image as images

LOGGED_IMAGES_TAG = images.LOGGED_IMAGES_TAG
check_image_key = images.check_image_key
time_series_files = images.time_series_files


def _is_pil_image(obj) -> bool:
    module = sys.modules.get("PIL.Image")
    return module is not None and isinstance(obj, module.Image)


def snapshot(image):
    """A private copy of ``image`` (numpy array, PIL image or mlflow.Image)."""
    np = sys.modules.get("numpy")
    if np is not None and isinstance(image, np.ndarray):
        return images.prepare_array(image)
    if isinstance(image, images.Image):
        return image.to_pil().copy()
    if _is_pil_image(image):
        return image.copy()
    return images.to_pil_image(image)  # raises MLflow's TypeError for other types


def snapshot_bytes(snap) -> int:
    """Memory a snapshot holds, for the artifact queue's byte bound."""
    nbytes = getattr(snap, "nbytes", None)
    if nbytes is not None:
        return int(nbytes)
    width, height = snap.size
    return width * height * len(snap.getbands())


def _pil(snap):
    return snap if _is_pil_image(snap) else images.array_to_pil(snap)


def encode_series(snap) -> tuple[bytes, bytes]:
    """(PNG of the image, WebP of its thumbnail): one step of an image time series."""
    pil = _pil(snap)
    return images.encode(pil, "png"), images.encode(images.thumbnail(pil), "webp")


def check_format(artifact_file: str) -> str:
    """The PIL format an image file name asks for; ValueError for an unknown extension
    (raised by the call, before anything is queued)."""
    from ...utils.optional import require

    pil_image = require("PIL.Image", "mlflow.log_image")
    ext = os.path.splitext(artifact_file)[1].lower()
    try:
        return pil_image.registered_extensions()[ext]
    except KeyError:
        raise ValueError(f"unknown file extension: {ext}") from None


def encode_file(snap, fmt: str) -> bytes:
    """The image in PIL format ``fmt`` (what ``image.save(path)`` writes)."""
    buffer = io.BytesIO()
    _pil(snap).save(buffer, format=fmt)
    return buffer.getvalue()
