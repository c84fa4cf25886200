"""aiomlflow.Image and the image conversions behind log_image, differential against
real mlflow 3.17.2 (``mlflow.Image``, ``mlflow.tracking.multimedia`` and
``MlflowClient.log_image`` with its storage stubbed out)."""

from __future__ import annotations

import contextlib
import os
import pathlib
import subprocess
import sys
import uuid
import warnings
from unittest import mock

import numpy as np
import pytest
from PIL import Image as PILImage

import mlflow
import mlflow.tracking.client as mlflow_client_module
from mlflow.tracking import multimedia
from mlflow.utils.mlflow_tags import MLFLOW_LOGGED_IMAGES

import aiomlflow
from aiomlflow.sdk.artifacts import image as ours

RNG = np.random.default_rng(1234)


def outcome(fn, *args, **kwargs):
    """What a call shows its caller: ("ok", result) or (exception type, message), and
    the warnings it emitted as (category, message)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = ("ok", fn(*args, **kwargs))
        except Exception as exc:  # noqa: BLE001 - the exception is the observation
            result = (type(exc), str(exc))
    return result, [(w.category, str(w.message)) for w in caught]


def pixels(pil):
    return pil.mode, pil.size, pil.tobytes()


def ours_convert(array):
    return ours.array_to_pil(ours.prepare_array(array))


def quiet(fn, *args):
    """Call real mlflow, hiding Pillow's deprecation of getdata() it triggers."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return fn(*args)


class MlflowLogImage:
    """Real ``MlflowClient.log_image`` with artifact writes captured in memory and
    set_tag recorded: no store, no run."""

    def __init__(self, tmp_path):
        self.client = mlflow.MlflowClient.__new__(mlflow.MlflowClient)
        self.files: dict[str, bytes] = {}
        self.tags: list[tuple] = []
        self._tmp = tmp_path
        self.client._log_artifact_helper = self._helper
        self.client.set_tag = lambda run_id, key, value, synchronous=None: \
            self.tags.append((key, value))

    @contextlib.contextmanager
    def _helper(self, run_id, artifact_file):
        local = self._tmp / f"{len(self.files)}_{os.path.basename(artifact_file)}"
        yield str(local)
        self.files[artifact_file] = local.read_bytes()

    def __call__(self, image, file_uuid=None, **kwargs):
        file_uuid = file_uuid or uuid.uuid4()
        with mock.patch.object(mlflow_client_module.uuid, "uuid4", return_value=file_uuid):
            self.client.log_image("run", image, synchronous=True, **kwargs)
        return self.files


@pytest.fixture
def mlflow_log_image(tmp_path):
    return MlflowLogImage(tmp_path)


# --------------------------------------------------------------------- valid arrays

def _float_image(shape, dtype=np.float64):
    return RNG.random(shape).astype(dtype)


VALID_ARRAYS = {
    "bool 2-D": RNG.random((6, 5)) > 0.5,
    "bool HxWx1": RNG.random((6, 5, 1)) > 0.5,
    "uint8 2-D": RNG.integers(0, 256, (6, 5), dtype=np.uint8),
    "uint8 HxWx1": RNG.integers(0, 256, (6, 5, 1), dtype=np.uint8),
    "uint8 HxWx3": RNG.integers(0, 256, (6, 5, 3), dtype=np.uint8),
    "uint8 HxWx4": RNG.integers(0, 256, (6, 5, 4), dtype=np.uint8),
    "int64 in range HxWx3": RNG.integers(0, 256, (6, 5, 3)),
    "int8 in range": RNG.integers(0, 128, (6, 5), dtype=np.int8),
    "uint16 in range HxWx4": RNG.integers(0, 256, (4, 3, 4), dtype=np.uint16),
    "int64 edges 0 and 255": np.array([[0, 255], [255, 0]]),
    "float64 in 0-1 HxWx3": _float_image((6, 5, 3)),
    "float32 in 0-1 HxWx4": _float_image((6, 5, 4), np.float32),
    "float16 in 0-1 2-D": _float_image((6, 5), np.float16),
    "float64 edges 0 and 1": np.array([[0.0, 1.0], [0.5, 0.999]]),
    "float64 out of range (rescaled)": _float_image((6, 5, 3)) * 10 - 3,
    "float16 out of range (rescaled)": (_float_image((6, 5)) * 4 - 1).astype(np.float16),
    "float32 out of range HxWx1": (_float_image((6, 5, 1)) * 2).astype(np.float32) + 0.5,
    "constant float out of range (NaN)": np.full((3, 3), 7.0),
    "float with NaN": np.array([[np.nan, 0.5], [0.25, 1.0]]),
    "big-endian float": _float_image((4, 4)).astype(">f4"),
    "Fortran order": np.asfortranarray(RNG.integers(0, 256, (6, 5, 3), dtype=np.uint8)),
    "strided view": RNG.integers(0, 256, (12, 10, 3), dtype=np.uint8)[::2, ::-2],
}


@pytest.mark.parametrize("array", VALID_ARRAYS.values(), ids=VALID_ARRAYS.keys())
def test_array_conversion_matches_mlflow(array):
    (theirs_kind, theirs), theirs_warnings = outcome(multimedia.convert_to_pil_image, array)
    (ours_kind, mine), ours_warnings = outcome(ours_convert, array)
    assert theirs_kind == ours_kind == "ok"
    assert pixels(mine) == pixels(theirs)
    assert ours_warnings == theirs_warnings


@pytest.mark.parametrize("array", VALID_ARRAYS.values(), ids=VALID_ARRAYS.keys())
def test_image_from_array_matches_mlflow_image(array):
    (_, theirs), theirs_warnings = outcome(mlflow.Image, array)
    (_, mine), ours_warnings = outcome(aiomlflow.Image, array)
    assert ours_warnings == theirs_warnings
    assert mine.size == theirs.size
    assert np.array_equal(mine.to_array(), theirs.to_array())
    assert mine.to_list() == quiet(theirs.to_list)


def test_out_of_range_float_warning_points_at_the_callers_line():
    with pytest.warns(UserWarning, match=r"Float pixel values out of acceptable range") as rec:
        aiomlflow.Image(np.array([[-1.0, 2.0]]))
    assert rec[0].filename == __file__


def test_prepare_array_returns_a_private_uint8_copy():
    for array in (np.zeros((4, 4, 3), np.uint8), np.zeros((4, 4, 1), np.uint8),
                  np.zeros((4, 4), bool), np.zeros((4, 4)), np.zeros((4, 4), np.int64)):
        prepared = ours.prepare_array(array)
        assert prepared.dtype == np.uint8 and prepared.flags.c_contiguous
        assert not np.shares_memory(prepared, array)
        before = prepared.copy()
        array[...] = 1  # the caller reuses its buffer right away
        assert np.array_equal(prepared, before)


def test_prepare_array_rejects_non_arrays_and_array_to_pil_rejects_unprepared():
    with pytest.raises(TypeError, match="numpy.ndarray"):
        ours.prepare_array([[0, 1]])
    with pytest.raises(ValueError, match="prepare_array"):
        ours.array_to_pil(np.zeros((2, 2, 3), np.float64))
    with pytest.raises(ValueError, match="prepare_array"):
        ours.array_to_pil(np.zeros((2, 2, 1), np.uint8))


def test_import_is_cheap_and_prepare_array_needs_no_pillow():
    code = (
        "import sys\n"
        "import aiomlflow\n"
        "assert aiomlflow.Image is not None\n"
        "assert 'numpy' not in sys.modules and 'PIL' not in sys.modules, sorted(sys.modules)\n"
        "import numpy as np\n"
        "from aiomlflow.sdk.artifacts.image import prepare_array, check_image_key, "
        "time_series_files, thumbnail_size\n"
        "prepare_array(np.zeros((4, 4, 3)))\n"
        "check_image_key('a/b')\n"
        "time_series_files('a/b', 1, 2, '0' * 32)\n"
        "thumbnail_size((100, 50))\n"
        "assert 'PIL' not in sys.modules\n"
    )
    env = {**os.environ, "PYTHONPATH": str(pathlib.Path(__file__).parents[1])}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr


# --------------------------------------------------------------------- bad arrays

BAD_ARRAYS = {
    "int64 negative": np.array([[-1, 5], [3, 4]]),
    "int64 above 255": np.array([[0, 256]]),
    "uint16 above 255 HxWx3": np.full((2, 2, 3), 300, np.uint16),
    "HxWx2": np.zeros((3, 3, 2), np.uint8),
    "HxWx5": np.zeros((3, 3, 5)),
    "4-D": np.zeros((2, 3, 3, 3), np.uint8),
    "1-D": np.zeros(5, np.uint8),
    "0-D": np.array(0.5),
    "complex": np.zeros((2, 2), complex),
    "object": np.array([[object(), None]], dtype=object),
    "strings": np.array([["a", "b"]]),
    "datetime": np.zeros((2, 2), "datetime64[s]"),
    "empty uint8": np.zeros((0, 3), np.uint8),
    "empty float HxWx3": np.zeros((0, 2, 3)),
    "empty bool": np.zeros((2, 0), bool),
    "empty HxWx1": np.zeros((0, 0, 1), np.int64),
}


@pytest.mark.parametrize("array", BAD_ARRAYS.values(), ids=BAD_ARRAYS.keys())
def test_bad_arrays_raise_what_mlflow_raises(array):
    theirs = outcome(multimedia.convert_to_pil_image, array)
    assert theirs[0][0] in (TypeError, ValueError)
    assert outcome(ours.prepare_array, array) == theirs
    assert outcome(ours.to_pil_image, array) == theirs
    assert outcome(aiomlflow.Image, array) == outcome(mlflow.Image, array)


LISTS = {
    "2-D ints": [[0, 128], [255, 64]],
    "RGB triples": [[[255, 0, 0], [0, 255, 0]], [[0, 0, 255], [10, 20, 30]]],
    "RGBA floats": [[[0.1, 0.2, 0.3, 1.0]], [[0.0, 0.5, 1.0, 0.5]]],
    "bools": [[True, False], [False, True]],
    "floats out of range": [[-2.0, 3.0], [0.0, 1.0]],
    "ints out of range": [[0, 300]],
    "ragged": [[0, 1], [2]],
    "strings": [["a", "b"]],
    "1-D": [0, 1, 2],
    "HxWx2": [[[0, 1], [2, 3]]],
    "empty": [],
}


@pytest.mark.parametrize("pixel_list", LISTS.values(), ids=LISTS.keys())
def test_image_from_list_matches_mlflow(pixel_list):
    (theirs_kind, theirs), theirs_warnings = outcome(mlflow.Image, pixel_list)
    (ours_kind, mine), ours_warnings = outcome(aiomlflow.Image, pixel_list)
    assert ours_warnings == theirs_warnings
    if theirs_kind != "ok":
        assert (ours_kind, mine) == (theirs_kind, theirs)
        return
    assert ours_kind == "ok"
    assert pixels(mine.to_pil()) == pixels(theirs.to_pil())
    assert mine.to_list() == quiet(theirs.to_list)


# --------------------------------------------------------------------- PIL and files

@pytest.mark.parametrize("mode", ["L", "RGB", "RGBA"])
def test_image_from_pil_matches_mlflow(mode):
    bands = len(mode)
    data = RNG.integers(0, 256, (7, 9, bands) if bands > 1 else (7, 9), dtype=np.uint8)
    pil = PILImage.fromarray(data)
    assert pil.mode == mode
    mine, theirs = aiomlflow.Image(pil), mlflow.Image(pil)
    assert mine.to_pil() is pil  # held, not copied, as in mlflow
    assert mine.size == theirs.size == (9, 7)
    assert np.array_equal(mine.to_array(), theirs.to_array())
    assert np.array_equal(mine.to_array(), data)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no Pillow deprecation warning from ours
        values = mine.to_list()
    assert values == quiet(theirs.to_list)
    assert len(values) == 63 and type(values[0]) is (tuple if bands > 1 else int)


@pytest.mark.parametrize("mode", ["L", "RGB", "RGBA"])
def test_resize_save_and_reload_match_mlflow(mode, tmp_path):
    pil = PILImage.fromarray(RNG.integers(0, 256, (20, 30, len(mode)), dtype=np.uint8)
                             .squeeze())
    mine, theirs = aiomlflow.Image(pil), mlflow.Image(pil)
    small, small_ref = mine.resize((11, 5)), theirs.resize((11, 5))
    assert isinstance(small, aiomlflow.Image) and small is not mine
    assert small.size == (11, 5) and mine.size == (30, 20) and mine.to_pil().size == (30, 20)
    assert pixels(small.to_pil()) == pixels(small_ref.to_pil())

    for ext in ("png", "webp", "bmp"):
        if ext == "bmp" and mode == "RGBA":
            continue
        small.save(str(tmp_path / f"ours.{ext}"))
        small_ref.save(str(tmp_path / f"theirs.{ext}"))
        assert (tmp_path / f"ours.{ext}").read_bytes() == (tmp_path / f"theirs.{ext}").read_bytes()
    reloaded = aiomlflow.Image(str(tmp_path / "ours.png"))
    assert pixels(reloaded.to_pil()) == pixels(small.to_pil())
    assert reloaded.to_list() == small.to_list()


def test_image_from_path_matches_mlflow(tmp_path):
    path = tmp_path / "picture.png"
    PILImage.fromarray(RNG.integers(0, 256, (8, 6, 3), dtype=np.uint8)).save(path)
    theirs = mlflow.Image(str(path))
    for source in (str(path), path):  # os.PathLike too (mlflow: str only)
        mine = aiomlflow.Image(source)
        assert mine.size == theirs.size == (6, 8)
        assert np.array_equal(mine.to_array(), theirs.to_array())
        assert mine.to_list() == quiet(theirs.to_list)


def test_bad_paths_raise_what_mlflow_raises(tmp_path):
    missing = str(tmp_path / "missing.png")
    not_an_image = tmp_path / "notes.png"
    not_an_image.write_text("not an image")
    for path in (missing, str(not_an_image)):
        theirs = outcome(mlflow.Image, path)
        assert theirs[0][0] is not None and theirs[0][0] != "ok"
        assert outcome(aiomlflow.Image, path) == theirs


@pytest.mark.parametrize("value", [(1, 2), 3, 2.5, {"a": 1}, b"abc", None],
                         ids=["tuple", "int", "float", "dict", "bytes", "None"])
def test_unsupported_types_raise_mlflows_type_error(value, mlflow_log_image):
    image_error = outcome(mlflow.Image, value)
    assert image_error[0][0] is TypeError
    assert outcome(aiomlflow.Image, value) == image_error

    log_image_error = outcome(mlflow_log_image, value, key="k")
    assert log_image_error[0][0] is TypeError
    assert outcome(ours.to_pil_image, value) == log_image_error


def test_image_of_an_image_and_log_images_list_error(mlflow_log_image):
    mine = aiomlflow.Image([[0, 1]])
    with pytest.raises(TypeError, match=r"Unsupported image object type: <class "
                                        r"'aiomlflow\.sdk\.artifacts\.image\.Image'>"):
        aiomlflow.Image(mine)
    # log_image takes no lists and no paths
    for value in ([[0, 1]], "image.png"):
        assert outcome(ours.to_pil_image, value) == outcome(mlflow_log_image, value, key="k")


def test_to_pil_image_accepts_what_log_image_accepts():
    array = RNG.integers(0, 256, (5, 4, 3), dtype=np.uint8)
    pil = PILImage.fromarray(array)
    assert pixels(ours.to_pil_image(array)) == pixels(multimedia.convert_to_pil_image(array))
    assert ours.to_pil_image(pil) is pil
    wrapped = aiomlflow.Image(pil)
    assert ours.to_pil_image(wrapped) is pil
    with pytest.warns(UserWarning, match="Rescaling") as rec:
        ours.to_pil_image(np.array([[5.0, -5.0]]))
    assert rec[0].filename == __file__


# --------------------------------------------------------------------- thumbnails

@pytest.mark.parametrize("size", [(512, 256), (256, 512), (1000, 4), (4, 1000), (100, 100),
                                  (10, 7), (255, 256), (300, 299), (1, 1)])
@pytest.mark.parametrize("mode", ["L", "RGB", "RGBA"])
def test_thumbnail_matches_mlflow(size, mode):
    pil = PILImage.new(mode, size, "white" if mode == "L" else (10, 200, 30, 128)[:len(mode)])
    pil.putpixel((0, 0), 0 if mode == "L" else (0,) * len(mode))
    theirs = multimedia.compress_image_size(pil)
    assert ours.thumbnail_size(size) == theirs.size
    assert max(theirs.size) == ours.COMPRESSED_IMAGE_SIZE == multimedia.COMPRESSED_IMAGE_SIZE
    assert pixels(ours.thumbnail(pil)) == pixels(theirs)


@pytest.mark.parametrize("size", [(1000, 1), (1, 2000), (0, 5)])
def test_thumbnail_of_an_extreme_aspect_ratio_fails_like_mlflow(size):
    pil = PILImage.new("L", size)
    theirs = outcome(multimedia.compress_image_size, pil)
    assert theirs[0][0] is ValueError
    assert outcome(ours.thumbnail, pil) == theirs
    assert outcome(ours.thumbnail_size, size) == theirs  # no Pillow needed to know


# --------------------------------------------------------------------- log_image files

@pytest.mark.parametrize("key", ["dogs", "train/samples/dogs", "a b.c-d_e", "/lead/", "..",
                                 "dogs\n"])
def test_time_series_files_match_mlflows_names(key, mlflow_log_image):
    file_uuid = uuid.uuid4()
    written = mlflow_log_image(np.zeros((2, 2), np.uint8), file_uuid=file_uuid, key=key,
                               step=42, timestamp=1712345678901)
    expected = ours.time_series_files(key, 42, 1712345678901, file_uuid)
    assert list(written) == list(expected)
    for form in (file_uuid.hex, str(file_uuid), file_uuid.urn):
        assert ours.time_series_files(key, 42, 1712345678901, form) == expected
    assert all("/" not in name[len("images/"):] for name in expected)


def test_time_series_step_and_timestamp_are_written_as_given(mlflow_log_image):
    file_uuid = uuid.UUID(int=7)
    written = mlflow_log_image(np.zeros((2, 2), np.uint8), file_uuid=file_uuid, key="k",
                               step=-3, timestamp=5)
    assert list(written) == list(ours.time_series_files("k", -3, 5, file_uuid)) == [
        "images/k+step+-3+timestamp+5+00000000-0000-0000-0000-000000000007.png",
        "images/k+step+-3+timestamp+5+00000000-0000-0000-0000-000000000007+compressed.webp",
    ]


@pytest.mark.parametrize("key", ["a#b", "a:b", "naïve", "", "a\\b", "a\nb", "a%b", "a+b"])
def test_invalid_keys_raise_mlflows_error(key, mlflow_log_image):
    theirs = outcome(mlflow_log_image, np.zeros((2, 2), np.uint8), key=key, step=1)
    assert theirs[0][0] is ValueError
    assert outcome(ours.check_image_key, key) == theirs
    assert outcome(ours.time_series_files, key, 1, 2, uuid.uuid4()) == theirs


def test_non_string_key_raises_like_mlflow(mlflow_log_image):
    theirs = outcome(mlflow_log_image, np.zeros((2, 2), np.uint8), key=5)
    assert theirs[0][0] is TypeError
    assert outcome(ours.check_image_key, 5) == theirs


@pytest.mark.parametrize("mode", ["L", "RGB", "RGBA", "bool mask", "float"])
def test_encoded_files_are_byte_identical_to_mlflows(mode, mlflow_log_image):
    source = {
        "L": RNG.integers(0, 256, (40, 70), dtype=np.uint8),
        "RGB": RNG.integers(0, 256, (300, 200, 3), dtype=np.uint8),
        "RGBA": RNG.integers(0, 256, (33, 33, 4), dtype=np.uint8),
        "bool mask": RNG.random((50, 60)) > 0.5,
        "float": RNG.random((30, 20, 3)),
    }[mode]
    file_uuid = uuid.uuid4()
    written = mlflow_log_image(source, file_uuid=file_uuid, key="k", step=1, timestamp=2)
    png_name, webp_name = ours.time_series_files("k", 1, 2, file_uuid)
    full = ours.array_to_pil(ours.prepare_array(source))
    assert ours.encode(full, "png") == written[png_name]
    assert ours.encode(ours.thumbnail(full), "webp") == written[webp_name]
    assert mlflow_log_image.tags == [(MLFLOW_LOGGED_IMAGES, True)]


def test_logged_images_tag():
    assert ours.LOGGED_IMAGES_TAG == MLFLOW_LOGGED_IMAGES == "mlflow.loggedImages"
    assert ours.LOGGED_IMAGES_TAG_VALUE == str(True)  # MlflowClient.set_tag stores str()


def test_encode_other_formats_and_unknown_format():
    pil = PILImage.new("RGB", (4, 3), (1, 2, 3))
    assert ours.encode(pil, "PNG") == ours.encode(pil, "png")
    assert PILImage.open(__import__("io").BytesIO(ours.encode(pil, "jpeg"))).format == "JPEG"
    with pytest.raises(ValueError, match="'nope'"):
        ours.encode(pil, "nope")


@pytest.mark.parametrize("artifact_file", ["a.png", "dir/b.JPG", "c.webp", "d.xyz", "noext",
                                           "dir.png/e"])
def test_image_format_for_artifact_files(artifact_file, mlflow_log_image):
    pil = PILImage.new("RGB", (4, 3))
    theirs = outcome(mlflow_log_image, pil, artifact_file=artifact_file)
    mine = outcome(ours.image_format_for, artifact_file)
    if theirs[0][0] == "ok":
        assert mine[0][0] == "ok"
        saved = mlflow_log_image.files[artifact_file]
        assert ours.encode(pil, mine[0][1]) == saved
    else:
        assert mine == theirs
