"""An image captured at the call, encoded later on a worker thread.

``snapshot`` runs in the caller: it checks the image (type, dtype, shape, range) and
copies its pixels, so the caller may reuse its buffer at once.  The PIL conversion and
the PNG/WebP encoding — the expensive part — run in the artifact job.
"""

from __future__ import annotations

import io
import sys

from . import image as images

from ...utils.optional import require

LOGGED_IMAGES_TAG = images.LOGGED_IMAGES_TAG
LOGGED_IMAGES_TAG_VALUE = images.LOGGED_IMAGES_TAG_VALUE
check_image_key = images.check_image_key
check_format = images.image_format_for
time_series_files = images.time_series_files
# frames from prepare_array up to the user's call (prepare_array, snapshot, log_image_*,
# operations.log_image, the fluent or client log_image): its warning points there
_USER_FRAME = 6


def _is_pil_image(obj) -> bool:
    module = sys.modules.get("PIL.Image")
    return module is not None and isinstance(obj, module.Image)


def snapshot(image):
    """A private copy of ``image`` (numpy array, PIL image or mlflow.Image)."""
    np = sys.modules.get("numpy")
    if np is not None and isinstance(image, np.ndarray):
        prepared = images.prepare_array(image, stacklevel=_USER_FRAME)
        require("PIL.Image", "mlflow.log_image")  # the encoding needs it: fail now
        return prepared
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


def encode_file(snap, fmt: str) -> bytes:
    """The image in PIL format ``fmt`` (what ``image.save(path)`` writes)."""
    buffer = io.BytesIO()
    _pil(snap).save(buffer, format=fmt)
    return buffer.getvalue()
