"""Images as MLflow 3.17.2 handles them: ``aiomlflow.Image`` and the conversions behind
``log_image``.

Converting an array is split in two so a training loop pays only for the cheap half:
``prepare_array`` (numpy only: validation, scaling, a private copy) runs in the caller's
thread and raises every error MLflow raises; ``array_to_pil`` (Pillow) runs later on a
worker. Together they give the pixels of MLflow's ``convert_to_pil_image``.

Importing this module is cheap: numpy, Pillow and uuid are imported on first use.
"""

from __future__ import annotations

import io
import os
import re
import warnings

from aiomlflow.utils.optional import require

TYPE_CHECKING = False  # typing stays out of `import aiomlflow` (annotations only)
if TYPE_CHECKING:
    from typing import Any

    import numpy
    import PIL.Image

# The tag log_image sets on a run (value ``True``, stored as the string "True") so the
# MLflow UI shows its image charts.
LOGGED_IMAGES_TAG = "mlflow.loggedImages"
LOGGED_IMAGES_TAG_VALUE = "True"

# Longest side of the WebP preview log_image writes beside each full image.
COMPRESSED_IMAGE_SIZE = 256

# MLflow checks keys with re.match and this pattern; `$` also matches before a final
# newline, and MLflow accepts such a key, so we keep the same test.
_KEY_PATTERN = re.compile(r"^[a-zA-Z0-9_\-./ ]+$")

_DTYPE_KINDS = {
    "b": "bool",
    "i": "signed integer",
    "u": "unsigned integer",
    "f": "floating",
}


def _pil(feature: str):
    return require("PIL.Image", feature)


# --------------------------------------------------------------------------- arrays

def prepare_array(array: "numpy.ndarray", *, stacklevel: int = 2) -> "numpy.ndarray":
    """Validate ``array`` as an image and return a new C-contiguous uint8 array (H×W,
    H×W×3 or H×W×4) that ``array_to_pil`` turns into a PIL image.

    MLflow's rules: dtype bool, integer in [0, 255] (else ValueError) or float in
    [0, 1] (else rescaled by min/max with a UserWarning); shape H×W, H×W×1, H×W×3 or
    H×W×4. Raises MLflow's TypeError/ValueError. Never imports Pillow; the result
    never shares memory with ``array``. ``stacklevel`` is passed to the warning.
    """
    import numpy as np

    if not isinstance(array, np.ndarray):
        raise TypeError(f"prepare_array expects a numpy.ndarray, got {type(array)}")
    kind = array.dtype.kind
    if kind not in _DTYPE_KINDS:
        raise TypeError(f"Invalid array data type: '{array.dtype}'. "
                        f"Must be one of {list(_DTYPE_KINDS.values())}")
    if array.ndim not in (2, 3):
        raise ValueError(
            f"`image` must be a 2D or 3D array but got image shape: {array.shape}")
    if array.ndim == 3:
        channels = array.shape[2]
        if channels not in (1, 3, 4):
            raise ValueError(
                f"Invalid channel length: {channels}. Must be one of [1, 3, 4]")
        if channels == 1:
            # PIL has no H×W×1 mode: grey images are H×W
            array = array[:, :, 0]

    if array.size == 0:
        # MLflow fails here, in numpy's min(); keep its error
        array.min()

    if kind == "b":
        out = array.astype(np.uint8, order="C")
        out *= 255
        return out
    if array.dtype == np.uint8:
        return array.astype(np.uint8, order="C")

    low, high = array.min(), array.max()
    if kind in "iu":
        if low < 0 or high > 255:
            raise ValueError(
                "Integer pixel values out of acceptable range [0, 255]. "
                f"Found minimum value {low} and maximum value {high}. "
                "Ensure all pixel values are within the specified range.")
        return array.astype(np.uint8, order="C")

    if low < 0 or high > 1:
        warnings.warn(
            "Float pixel values out of acceptable range [0.0, 1.0]. "
            f"Found minimum value {low} and maximum value {high}. "
            "Rescaling values to [0.0, 1.0] with min/max scaler.",
            stacklevel=stacklevel)
        # same arithmetic, in the array's own dtype, as MLflow: identical pixels
        array = (array - low) / (high - low)
    return (array * 255).astype(np.uint8, order="C")


def array_to_pil(prepared: "numpy.ndarray") -> "PIL.Image.Image":
    """The PIL image (mode L, RGB or RGBA) of an array returned by ``prepare_array``."""
    import numpy as np

    shape = getattr(prepared, "shape", ())
    if (not isinstance(prepared, np.ndarray) or prepared.dtype != np.uint8
            or not (len(shape) == 2 or (len(shape) == 3 and shape[2] in (3, 4)))):
        raise ValueError("array_to_pil expects an array returned by prepare_array "
                         "(uint8, H×W, H×W×3 or H×W×4)")
    return _pil("Converting an array to an image").fromarray(prepared)


# --------------------------------------------------------------------------- Image

class Image:
    """``mlflow.Image``: an image held as a PIL image, built from a numpy array, a PIL
    image, a path to an image file (str or os.PathLike) or a (nested) list of pixel
    values. Arrays and lists follow ``log_image``'s dtype and shape rules."""

    def __init__(self, image: "numpy.ndarray | PIL.Image.Image | str | list[Any]"):
        import numpy as np

        pil_image = _pil("`aiomlflow.Image`")
        if isinstance(image, (str, os.PathLike)):
            # lazy, as in MLflow: the file is read when the pixels are first needed
            self.image = pil_image.open(image)
        elif isinstance(image, (list, np.ndarray)):
            # stacklevel 3: the warning points at the caller's `Image(...)`
            self.image = array_to_pil(prepare_array(np.asarray(image), stacklevel=3))
        elif isinstance(image, pil_image.Image):
            self.image = image
        else:
            raise TypeError(
                f"Unsupported image object type: {type(image)}. "
                "`image` must be one of numpy.ndarray, "
                "PIL.Image.Image, or a filepath to an image.")
        self.size = self.image.size

    def to_list(self) -> list:
        """The pixel values, row after row: ints for one band, tuples for several."""
        flattened = getattr(self.image, "get_flattened_data", None)
        if flattened is None:  # Pillow < 12.1
            return list(self.image.getdata())
        # Pillow >= 12.1 deprecates getdata(); same values, no warning
        return list(flattened())

    def to_array(self) -> "numpy.ndarray":
        """The pixel values as a numpy array (H×W or H×W×bands)."""
        import numpy as np

        return np.array(self.image)

    def to_pil(self) -> "PIL.Image.Image":
        """The PIL image itself (not a copy)."""
        return self.image

    def save(self, path: str) -> None:
        """Save to ``path``; the format follows its extension, as PIL's ``save``."""
        self.image.save(path)

    def resize(self, size: tuple[int, int]) -> "Image":
        """A new Image resized to ``size`` (width, height); this one is unchanged."""
        return Image(self.image.resize(size))


def to_pil_image(image: Any, *, stacklevel: int = 2) -> "PIL.Image.Image":
    """The PIL image of what ``log_image`` accepts: a numpy array (converted), an
    ``Image`` or a PIL image (returned as is). Anything else raises log_image's
    TypeError. ``stacklevel`` is passed to the out-of-range float warning."""
    import numpy as np

    if isinstance(image, np.ndarray):
        return array_to_pil(prepare_array(image, stacklevel=stacklevel + 1))
    if isinstance(image, Image):
        return image.to_pil()
    if not isinstance(image, _pil("log_image").Image):
        raise TypeError(
            f"Unsupported image object type: {type(image)}. "
            "`image` must be one of numpy.ndarray, "
            "PIL.Image.Image, and mlflow.Image.")
    return image


# --------------------------------------------------------------------------- files

def thumbnail_size(size: tuple[int, int],
                   max_size: int = COMPRESSED_IMAGE_SIZE) -> tuple[int, int]:
    """The size of MLflow's preview of an image of ``size``: the longer side becomes
    ``max_size`` (also for smaller images), the other keeps the aspect ratio, rounded
    down. Raises, as PIL's resize would, when a side comes out as 0, so callers can
    fail before queueing."""
    width, height = size
    if width > height:
        new = (max_size, int(height * (max_size / width)))
    else:
        new = (int(width * (max_size / height)), max_size)
    if new != tuple(size) and min(new) <= 0:
        raise ValueError("height and width must be > 0")
    return new


def thumbnail(image: "PIL.Image.Image") -> "PIL.Image.Image":
    """MLflow's compressed preview of ``image`` (see ``thumbnail_size``), a new image."""
    return image.resize(thumbnail_size(image.size))


def image_format_for(path: str) -> str:
    """The PIL format name ``Image.save(path)`` picks from ``path``'s extension
    ("PNG" for "dir/a.png"); PIL's ValueError for an unknown extension."""
    ext = os.path.splitext(os.fspath(path))[1].lower()
    try:
        return _pil("Saving an image").registered_extensions()[ext]
    except KeyError:
        raise ValueError(f"unknown file extension: {ext}") from None


def encode(image: "PIL.Image.Image", fmt: str) -> bytes:
    """The bytes PIL's ``image.save`` writes in format ``fmt`` ("png", "webp", or any
    format name PIL can save, case-insensitive) with default options."""
    pil_image = _pil("Saving an image")
    name = fmt.upper()
    pil_image.init()
    if name not in pil_image.SAVE:
        raise ValueError(f"Pillow cannot save images in format {fmt!r}")
    buffer = io.BytesIO()
    image.save(buffer, format=name)
    return buffer.getvalue()


def check_image_key(key: str) -> None:
    """Raise log_image's ValueError unless ``key`` has only alphanumerics, ``_``,
    ``-``, ``.``, spaces and ``/``."""
    if not _KEY_PATTERN.match(key):
        raise ValueError(
            "The `key` parameter may only contain alphanumerics, underscores (_), "
            "dashes (-), periods (.), spaces ( ), and slashes (/)."
            f"The provided key `{key}` contains invalid characters.")


def time_series_files(key: str, step: int, timestamp: int, uuid_hex) -> tuple[str, str]:
    """Run-relative paths of one ``log_image(key=, step=, timestamp=)`` image: the full
    PNG and its WebP thumbnail, in MLflow 3.17.2's scheme
    ``images/<key with / as ~>+step+<step>+timestamp+<ms>+<uuid>[+compressed].<ext>``.

    ``uuid_hex`` is a uuid.UUID or any string uuid.UUID parses (32 hex digits
    included); it is written in the hyphenated form MLflow writes. ``step`` and
    ``timestamp`` are written as given: log_image's defaults (``step or 0``,
    ``timestamp or`` now, so 0 means now) are the caller's. Validates ``key``."""
    import uuid

    check_image_key(key)
    file_id = uuid_hex if isinstance(uuid_hex, uuid.UUID) else uuid.UUID(uuid_hex)
    # "/" would make subdirectories; MLflow writes "~" instead
    stem = f"images/{key.replace('/', '~')}+step+{step}+timestamp+{timestamp}+{file_id}"
    return f"{stem}.png", f"{stem}+compressed.webp"
