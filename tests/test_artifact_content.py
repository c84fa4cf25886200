"""The content of log_dict / log_text / log_figure / log_table files and load_table's
result, differential against real mlflow 3.17.2.

Real mlflow logs into a SQLite store (artifacts under ./mlruns of the store's
directory); the bytes it wrote are compared with what aiomlflow.sdk.artifacts.content
and .tables produce for the same input, and every bad input must raise the same
exception type and message.  One store serves the whole module (creating MLflow's
schema takes seconds); each test logs into an experiment of its own.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import itertools
import json
import os
import re
import sys
import types
import urllib.parse
import uuid
from datetime import datetime
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from aiomlflow.exceptions import MlflowException as OurMlflowException
from aiomlflow.sdk.artifacts import content, tables
from conftest import IS_MLFLOW, fresh_store

pytestmark = pytest.mark.skipif(IS_MLFLOW, reason="compares aiomlflow with mlflow")

PIL_Image = pytest.importorskip("PIL.Image")
matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def store_dir(tmp_path_factory):
    """The SQLite store real mlflow logs to, created once for the module."""
    directory = tmp_path_factory.mktemp("mlflow-store")
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(directory)
        fresh_store(directory / "mlflow.db")
    return directory


@pytest.fixture
def ref(store_dir, monkeypatch, request):
    """Real mlflow, on the module's store, in an experiment of this test's own."""
    import mlflow
    import mlflow.tracking._tracking_service.utils as tracking_utils
    import mlflow.tracking.fluent as fluent

    monkeypatch.chdir(store_dir)
    for key in list(os.environ):
        if key.startswith("MLFLOW_"):
            monkeypatch.delenv(key)
    mlflow.set_tracking_uri(f"sqlite:///{store_dir}/mlflow.db")
    mlflow.set_experiment(request.node.name)
    yield mlflow
    while mlflow.active_run() is not None:
        mlflow.end_run()
    fluent._active_experiment_id = None
    tracking_utils._tracking_uri = None
    # mlflow.set_experiment exports the experiment to the environment: take it back
    for key in ("MLFLOW_TRACKING_URI", "MLFLOW_EXPERIMENT_ID", "MLFLOW_EXPERIMENT_NAME"):
        os.environ.pop(key, None)


def artifact_path(run, path):
    uri = run.info.artifact_uri
    if uri.startswith("file:"):
        uri = urllib.parse.unquote(urllib.parse.urlparse(uri).path)
    return os.path.join(uri, path)


def written(run, path) -> bytes:
    """The bytes real mlflow wrote for ``path`` of ``run``."""
    with open(artifact_path(run, path), "rb") as f:
        return f.read()


def same_error(ours, theirs):
    """Both callables raise, with the same exception type and message (and error code)."""
    with pytest.raises(Exception) as expected:
        theirs()
    with pytest.raises(Exception) as got:
        ours()
    expected, got = expected.value, got.value
    if type(expected).__module__.startswith("mlflow"):
        assert type(got).__name__ == type(expected).__name__
        assert got.error_code == expected.error_code
    else:
        assert type(got) is type(expected)
    assert str(got) == str(expected)
    return got


@contextlib.contextmanager
def fixed_uuids():
    """uuid.uuid4 → 1, 2, 3, ... inside the block, so both sides name image files alike
    (only around log_table: run ids come from uuid4 too)."""
    counter = itertools.count(1)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(uuid, "uuid4", lambda: uuid.UUID(int=next(counter)))
        yield


# --------------------------------------------------------------------------- log_text


TEXTS = ["text1", "", "<h1>header</h1>", "line1\nline2\r\nline3\n", "héllo wörld ☃ 😀\t"]


def test_text_bytes_are_what_mlflow_writes(ref):
    with ref.start_run() as run:
        for i, text in enumerate(TEXTS):
            ref.log_text(text, f"dir/text{i}.txt")
    for i, text in enumerate(TEXTS):
        assert content.text_bytes(text) == written(run, f"dir/text{i}.txt")
    assert content.text_bytes("é") == "é".encode()


@pytest.mark.parametrize("value", [5, None, b"bytes", ["a"], "lone \ud800 surrogate"])
def test_text_bytes_bad_values_raise_as_mlflow(ref, value):
    with ref.start_run():
        same_error(lambda: content.text_bytes(value), lambda: ref.log_text(value, "t.txt"))


# --------------------------------------------------------------------------- log_dict


NESTED = {
    "zeta": 1, "alpha": [1, 2.5, None, True, {"inner": "x"}], "ünïcode": "日本語 😀",
    "nested": {"b": {"c": [[], {}]}, "a": "line\nbreak"}, "float": 1e-7, "big": 2 ** 70,
}
DICT_FILES = ["data.json", "dir/data.yml", "data.yaml", "data", "data.txt", "data.YAML",
              "dir.yml/data.json"]


@pytest.mark.parametrize("dictionary", [{"k": "v"}, NESTED, {}, [1, "two"]],
                         ids=["simple", "nested", "empty", "list"])
def test_dict_bytes_are_what_mlflow_writes(ref, dictionary):
    with ref.start_run() as run:
        for name in DICT_FILES:
            ref.log_dict(dictionary, name)
    for name in DICT_FILES:
        assert content.dict_bytes(dictionary, name) == written(run, name), name


def test_dict_bytes_stringify_what_json_cannot_encode(ref):
    # JSON writes str(obj); YAML (PyYAML's full dumper) tags Python objects
    dictionary = {"when": datetime(2024, 1, 2, 3, 4, 5), "amount": Decimal("1.50"),
                  1: "int key", None: "none key"}
    with ref.start_run() as run:
        ref.log_dict(dictionary, "d.json")
        ref.log_dict({"when": datetime(2024, 1, 2), "amount": Decimal("1.50")}, "d.yaml")
    assert content.dict_bytes(dictionary, "d.json") == written(run, "d.json")
    assert b'"when": "2024-01-02 03:04:05"' in written(run, "d.json")
    assert content.dict_bytes({"when": datetime(2024, 1, 2), "amount": Decimal("1.50")},
                              "d.yaml") == written(run, "d.yaml")


def test_dict_bytes_bad_values_raise_as_mlflow(ref):
    circular: dict = {}
    circular["self"] = circular
    with ref.start_run():
        for bad in [{(1, 2): "tuple key"}, circular]:
            same_error(lambda: content.dict_bytes(bad, "d.json"),
                       lambda: ref.log_dict(bad, "d.json"))


def test_yaml_without_pyyaml_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "yaml", None)
    with pytest.raises(ImportError, match=r"aiomlflow\[yaml\]") as error:
        content.dict_bytes({"k": "v"}, "d.yml")
    assert "mlflow.log_dict with a YAML file" in str(error.value)
    # JSON needs no PyYAML
    assert content.dict_bytes({"k": "v"}, "d.json") == b'{\n  "k": "v"\n}'


# --------------------------------------------------------------------------- log_figure


@pytest.fixture
def figure(monkeypatch):
    # fixed dates and ids, so that vector formats are byte-comparable
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    monkeypatch.setitem(matplotlib.rcParams, "svg.hashsalt", "aiomlflow-tests")
    fig, ax = plt.subplots(figsize=(4, 3))
    ax.plot([0, 1, 2], [2, 3, 1], label="héllo")
    ax.legend()
    yield fig
    plt.close(fig)


def png_facts(data: bytes):
    image = PIL_Image.open(io.BytesIO(data))
    return image.size, image.info.get("dpi"), np.asarray(image).tobytes()


@pytest.mark.parametrize("name,save_kwargs", [
    ("figure.png", None),
    ("dir/figure.png", {"dpi": 37}),
    ("tight.png", {"bbox_inches": "tight", "dpi": 50, "transparent": True}),
    ("upper.PNG", {}),
    ("figure.svg", None),
    ("figure.pdf", {"metadata": {"Title": "t"}}),
    ("figure.jpg", {"pil_kwargs": {"quality": 50}}),
    ("as_svg.png", {"format": "svg"}),
    ("no_extension", {"format": "png"}),
])
def test_matplotlib_figure_bytes_are_what_mlflow_writes(ref, figure, name, save_kwargs):
    kwargs_before = None if save_kwargs is None else dict(save_kwargs)
    with ref.start_run() as run:
        ref.log_figure(figure, name, save_kwargs=save_kwargs)
    ours = content.figure_bytes(figure, name, save_kwargs)
    theirs = written(run, name)
    assert ours == theirs
    if name.lower().endswith(".png") and "format" not in (save_kwargs or {}):
        assert png_facts(ours) == png_facts(theirs)
    assert save_kwargs == kwargs_before


def test_matplotlib_png_pixel_size_follows_dpi(figure):
    size, dpi, _ = png_facts(content.figure_bytes(figure, "f.png", {"dpi": 50}))
    assert size == (200, 150)
    assert dpi == pytest.approx((50, 50), abs=0.05)  # stored per metre


def test_matplotlib_eps_differs_only_by_the_title_comment(ref, figure):
    # MLflow saves to a file, and matplotlib names a PostScript file in a DSC comment
    with ref.start_run() as run:
        ref.log_figure(figure, "figure.eps")
    theirs = written(run, "figure.eps").splitlines()
    ours = content.figure_bytes(figure, "figure.eps").splitlines()
    assert [line for line in theirs if line not in ours] == [b"%%Title: figure.eps"]
    assert [line for line in ours if line not in theirs] == []


def test_figure_bad_inputs_raise_as_mlflow(ref, figure):
    with ref.start_run():
        for bad in [object(), "figure", figure.axes[0]]:
            same_error(lambda: content.figure_bytes(bad, "f.png"),
                       lambda: ref.log_figure(bad, "f.png"))
        same_error(lambda: content.figure_bytes(figure, "f.foo"),
                   lambda: ref.log_figure(figure, "f.foo"))
        same_error(lambda: content.figure_bytes(figure, "f.png", {"nonsense": 1}),
                   lambda: ref.log_figure(figure, "f.png", save_kwargs={"nonsense": 1}))
        # no extension: MLflow's savefig writes "<name>.png", so its log_artifact finds
        # no file; the type is MLflow's, the message says why
        for name in ["figure", "dir/figure.", ".png"]:
            with pytest.raises(FileNotFoundError):
                ref.log_figure(figure, name)
            with pytest.raises(FileNotFoundError, match="no file extension") as error:
                content.figure_bytes(figure, name)
            assert repr(name) in str(error.value)


def test_save_kwargs_must_be_a_mapping(figure):
    with pytest.raises(TypeError, match="save_kwargs must be a mapping.*list"):
        content.figure_bytes(figure, "f.png", ["dpi"])


class FakePlotlyFigure:
    """Stands in for plotly.graph_objects.Figure: records how it was asked to write,
    treating a path or a file object as plotly does."""

    def write_html(self, file, **kwargs):
        html = "<html>\n" + json.dumps(kwargs, sort_keys=True) + "\nü</html>"
        if isinstance(file, str):
            with open(file, "w", encoding="utf-8") as f:
                f.write(html)
        else:
            file.write(html)

    def write_image(self, file, format=None, **kwargs):
        if isinstance(file, str) and format is None:
            format = os.path.splitext(file)[1].lstrip(".")
        data = f"{format} {json.dumps(kwargs, sort_keys=True)}".encode()
        if isinstance(file, str):
            with open(file, "wb") as f:
                f.write(data)
        else:
            file.write(data)


@pytest.fixture
def fake_plotly(monkeypatch):
    plotly = types.ModuleType("plotly")
    graph_objects = types.ModuleType("plotly.graph_objects")
    graph_objects.Figure = FakePlotlyFigure
    plotly.graph_objects = graph_objects
    monkeypatch.setitem(sys.modules, "plotly", plotly)
    monkeypatch.setitem(sys.modules, "plotly.graph_objects", graph_objects)
    return FakePlotlyFigure()


@pytest.mark.parametrize("name,save_kwargs", [
    ("figure.html", None),
    ("dir/figure.html", {"include_plotlyjs": True, "full_html": False}),
    ("figure.png", None),
    ("figure.jpeg", {"scale": 2}),
    ("figure.svg", {"format": "pdf", "width": 100}),
    ("figure.webp", None),
    ("figure.pdf", None),
])
def test_plotly_calls_are_what_mlflow_makes(ref, fake_plotly, name, save_kwargs):
    # the plotly branch (defaults, extension routing) against mlflow's, with a fake figure
    kwargs_before = None if save_kwargs is None else dict(save_kwargs)
    with ref.start_run() as run:
        # a copy: mlflow sets its defaults into the caller's dict
        ref.log_figure(fake_plotly, name, save_kwargs=kwargs_before and dict(kwargs_before))
    assert content.figure_bytes(fake_plotly, name, save_kwargs) == written(run, name)
    assert save_kwargs == kwargs_before  # ours leaves it alone


def test_plotly_bad_extension_and_auto_open(ref, fake_plotly):
    with ref.start_run():
        for name in ["figure.jpg", "figure", "figure.HTML"]:
            same_error(lambda: content.figure_bytes(fake_plotly, name),
                       lambda: ref.log_figure(fake_plotly, name))
    # mlflow would open a browser on a temporary file it deletes right away
    with pytest.raises(ValueError, match="auto_open"):
        content.figure_bytes(fake_plotly, "f.html", {"auto_open": True})


def test_plotly_absent(ref, monkeypatch):
    monkeypatch.delitem(sys.modules, "plotly", raising=False)
    # not imported: nothing can be a plotly figure, and nothing imports plotly
    with ref.start_run():
        same_error(lambda: content.figure_bytes(object(), "f.html"),
                   lambda: ref.log_figure(object(), "f.html"))
    assert "plotly" not in sys.modules
    # marked missing (None in sys.modules): both fail to import it; ours names the extra
    monkeypatch.setitem(sys.modules, "plotly", None)
    with ref.start_run():
        with pytest.raises(ImportError):
            ref.log_figure(object(), "f.html")
    with pytest.raises(ImportError, match=r"aiomlflow\[figures\]"):
        content.figure_bytes(object(), "f.html")


def test_real_plotly_html(ref):
    go = pytest.importorskip("plotly.graph_objects")
    figure = go.Figure(go.Scatter(x=[0, 1], y=[2, 3]))
    with ref.start_run() as run:
        ref.log_figure(figure, "figure.html")
    ours = content.figure_bytes(figure, "figure.html").decode()
    theirs = written(run, "figure.html").decode()
    div_id = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
    assert div_id.sub("ID", ours) == div_id.sub("ID", theirs)
    assert "cdn.plot.ly" in ours


# --------------------------------------------------------------------------- log_table


TABLE_DICT = {
    "inputs": ["What is MLflow?", "What is Databricks?"],
    "outputs": ["MLflow is ...", "Databricks is ..."],
    "toxicity": [0.0, 0.0],
}


def our_table(data, name, existing=None):
    """What aiomlflow writes for log_table(data, name) given the file's current bytes."""
    tables.check_table_file(name)
    frame, files = tables.extract_images(tables.table_frame(data), name)
    return tables.append_table(existing, frame, name), files


TABLES = {
    "dict": TABLE_DICT,
    "frame": pd.DataFrame(TABLE_DICT),
    "scalar_dict": {"inputs": "What is MLflow?", "score": 1.5, "ok": True},
    "ragged_dict": {"a": [1, 2], "b": [3]},
    "mixed": pd.DataFrame({
        "int": [1, 2, 3], "float": [1.5, np.nan, -0.0], "text": ["x", None, "é 😀"],
        "when": pd.to_datetime(["2024-01-01 00:00:00", "2024-02-03 04:05:06.789", None], format="ISO8601"),
        "lists": [[1, 2], [], None], "flag": [True, False, True],
    }),
    "dicts": {"d": [{"k": "v"}, {"k": "w"}], "n": [1, 2]},
    "empty": pd.DataFrame({"a": pd.Series([], dtype=object)}),
    "empty_str": pd.DataFrame({"a": pd.Series([], dtype="str"), "b": pd.Series([], dtype=int)}),
    "strings_only": pd.DataFrame({"s": ["a", "b"], "S": pd.array(["c", None], dtype="string")}),
}


@pytest.mark.parametrize("name", ["table.json", "dir/table.parquet"])
@pytest.mark.parametrize("key", list(TABLES))
def test_table_bytes_are_what_mlflow_writes(ref, key, name):
    with ref.start_run() as run:
        ref.log_table(TABLES[key], name)
    ours, files = our_table(TABLES[key], name)
    assert ours == written(run, name)
    assert files == []


@pytest.mark.parametrize("name", ["t.json", "t.parquet"])
def test_append_is_what_mlflow_writes(ref, name):
    second = pd.DataFrame({"inputs": ["Third?"], "outputs": ["..."], "toxicity": [0.5]})
    other_columns = {"inputs": ["Fourth?"], "extra": [7], "when": ["2024-01-01"]}
    steps = [TABLE_DICT, second, other_columns, {"toxicity": 1}]
    existing = None
    with ref.start_run() as run:
        for data in steps:
            ref.log_table(data, name)
            existing, _ = our_table(data, name, existing)
            assert existing == written(run, name)
    frame = tables.read_table(existing, name)
    assert list(frame.columns) == ["inputs", "outputs", "toxicity", "extra", "when"]
    assert len(frame) == 5


def test_table_frame_does_not_share_the_callers_frame():
    frame = pd.DataFrame({"a": [1, 2]})
    snapshot = tables.table_frame(frame)
    frame.loc[0, "a"] = 99
    assert snapshot["a"].tolist() == [1, 2]


def image_cells():
    small = PIL_Image.fromarray(np.arange(10 * 20 * 3, dtype=np.uint8).reshape(10, 20, 3))
    tall = PIL_Image.fromarray(
        (np.indices((300, 123)).sum(axis=0) % 256).astype(np.uint8), mode="L")
    rgba = PIL_Image.new("RGBA", (64, 64), (10, 200, 30, 128))
    return small, tall, rgba


@pytest.mark.parametrize("name", ["dir/images.json", "images.parquet"])
def test_image_cells_are_what_mlflow_writes(ref, name):
    small, tall, rgba = image_cells()
    data = {"inputs": ["a", "b", "c"], "image": [small, tall, rgba],
            "wrapped": [ref.Image(small), ref.Image(tall), ref.Image(rgba)]}
    with ref.start_run() as run, fixed_uuids():
        ref.log_table(data, name)
    with fixed_uuids():
        ours, files = our_table(data, name)
    assert ours == written(run, name)
    cells = tables.read_table(ours, name)["image"]
    stem = os.path.splitext(name)[0]
    assert cells[0] == {
        "type": "image",
        "filepath": f"table_images/{stem}/00000000-0000-0000-0000-000000000001.png",
        "compressed_filepath": f"table_images/{stem}/00000000-0000-0000-0000-000000000001.webp",
    }
    assert len(files) == 12
    for entry in files:
        path, image = entry  # a pair
        encoded = io.BytesIO()
        image.save(encoded, format=entry.format)
        assert encoded.getvalue() == written(run, path), path
    assert {entry.format for entry in files} == {"PNG", "WEBP"}
    # thumbnails: the longer edge scaled to 256, up or down
    thumbs = [PIL_Image.open(io.BytesIO(written(run, p))).size
              for p, _ in files if p.endswith(".webp")]
    assert thumbs[:3] == [(256, 128), (104, 256), (256, 256)]


def test_image_cells_of_our_image_class():
    image_module = pytest.importorskip("aiomlflow.sdk.artifacts.image")
    small, _, _ = image_cells()
    with fixed_uuids():
        frame, files = tables.extract_images(
            pd.DataFrame({"image": [image_module.Image(small)]}), "t.json")
    assert frame["image"][0]["filepath"].endswith("1.png")
    assert np.array_equal(np.asarray(files[0].image), np.asarray(small))


def test_extract_images_leaves_the_frame_alone():
    small, _, _ = image_cells()
    frame = pd.DataFrame({"image": [small], "n": [1]})
    out, files = tables.extract_images(frame, "t.json")
    assert frame["image"][0] is small
    assert out["image"][0]["type"] == "image" and len(files) == 2


def test_appending_images(ref):
    small, tall, _ = image_cells()
    with ref.start_run() as run, fixed_uuids():
        ref.log_table({"image": [small]}, "t.json")
        ref.log_table({"image": [tall], "k": [1]}, "t.json")
    with fixed_uuids():
        first, _ = our_table({"image": [small]}, "t.json")
        ours, _ = our_table({"image": [tall], "k": [1]}, "t.json", first)
    assert ours == written(run, "t.json")


def test_logged_artifacts_tag_is_what_mlflow_sets(ref):
    with ref.start_run() as run:
        ref.log_table(TABLE_DICT, "a.json")
        after_one = ref.get_run(run.info.run_id).data.tags[tables.MLFLOW_LOGGED_ARTIFACTS]
        ref.log_table(TABLE_DICT, "dir/b.parquet")
        after_two = ref.get_run(run.info.run_id).data.tags[tables.MLFLOW_LOGGED_ARTIFACTS]
        ref.log_table(TABLE_DICT, "a.json")
        after_again = ref.get_run(run.info.run_id).data.tags[tables.MLFLOW_LOGGED_ARTIFACTS]
    from mlflow.utils.mlflow_tags import MLFLOW_LOGGED_ARTIFACTS

    assert tables.MLFLOW_LOGGED_ARTIFACTS == MLFLOW_LOGGED_ARTIFACTS
    ours_one = tables.logged_artifacts_tag(None, "a.json")
    assert ours_one == after_one
    ours_two = tables.logged_artifacts_tag(ours_one, "dir/b.parquet")
    assert ours_two == after_two
    assert tables.logged_artifacts_tag(ours_two, "a.json") is ours_two == after_again
    assert json.loads(after_two) == [{"path": "a.json", "type": "table"},
                                     {"path": "dir/b.parquet", "type": "table"}]


FORBIDDEN_NAMES = ['a"b.json', "a'b.json", "a,b.json", "a:b.json", "a[b.json", "a]b.json",
                   "a{b.json", "a}b.json", "{a:b}.json"]


@pytest.mark.parametrize("name", FORBIDDEN_NAMES + ["t.csv", "t", "t.JSON", "json"])
def test_bad_table_file_raises_as_mlflow(ref, name):
    with ref.start_run():
        same_error(lambda: our_table(TABLE_DICT, name), lambda: ref.log_table(TABLE_DICT, name))


@pytest.mark.parametrize("data", [[1, 2], "text", None, pd.Series([1]), np.array([1])],
                         ids=["list", "str", "none", "series", "array"])
def test_bad_table_data_raises_as_mlflow(ref, data):
    with ref.start_run():
        error = same_error(lambda: our_table(data, "t.json"),
                           lambda: ref.log_table(data, "t.json"))
    assert error.error_code == "INVALID_PARAMETER_VALUE"
    assert isinstance(error, OurMlflowException)


def test_mixed_image_column_raises_as_mlflow(ref):
    small, _, _ = image_cells()
    data = {"image": [small, "not an image"]}
    with ref.start_run():
        same_error(lambda: our_table(data, "t.json"), lambda: ref.log_table(data, "t.json"))


def test_unwritable_table_raises_as_mlflow(ref):
    # pandas cannot write a complex-valued column as JSON ("Unsupported UTF-8 sequence")
    # nor a column of mixed int / str cells as parquet
    cases = [({"c": ["\ud800"]}, "t.json"), ({"m": [1, "a"]}, "t.parquet")]
    with ref.start_run():
        for data, name in cases:
            error = same_error(lambda: our_table(data, name), lambda: ref.log_table(data, name))
            assert str(error).startswith("Failed to save")


def test_pandas_absent_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(ImportError, match=r"aiomlflow\[pandas\]"):
        tables.table_frame({"a": [1]})
    with pytest.raises(ImportError, match=r"aiomlflow\[pandas\]"):
        tables.read_table(b"{}", "t.json")


# --------------------------------------------------------------------------- load_table


def log_tables(ref):
    """Three runs with "t.json" (one with other columns, one with a run_id column), one
    with only another table; metrics, params and a tag on some."""
    runs = []
    for i, data in enumerate([
        TABLE_DICT,
        {"inputs": ["Other?"], "score": [3]},
        {"inputs": ["Clash?"], "run_id": ["mine"]},
    ]):
        with ref.start_run(run_name=f"run-{i}") as run:
            ref.log_table(data, "t.json")
            if i == 1:
                ref.log_metric("m", 0.5)
                ref.log_param("p", "v")
        runs.append(run)
    with ref.start_run() as other:
        ref.log_table(TABLE_DICT, "other.json")
    return runs, other


def our_load(ref, artifact_file, run_ids=None, extra_columns=None, output_format="pandas"):
    """load_table assembled from our pieces, over the store real mlflow wrote, in the
    active experiment as mlflow.load_table."""
    experiment_id = ref.tracking.fluent._get_experiment_id()
    filter_string = tables.load_table_filter(artifact_file, run_ids)
    found = ref.search_runs(experiment_ids=[experiment_id], filter_string=filter_string,
                            output_format=output_format)
    tables.warn_missing_runs(run_ids, len(found))
    entries = ([row for _, row in found.iterrows()] if output_format == "pandas" else found)
    per_run = []
    for entry in entries:
        run = ref.get_run(entry["run_id"] if output_format == "pandas" else entry.info.run_id)
        path = artifact_path(run, artifact_file)
        per_run.append((entry, open(path, "rb").read() if os.path.isfile(path) else None))
    return tables.combine_tables(per_run, artifact_file, extra_columns)


@pytest.mark.parametrize("output_format", ["pandas", "list"])
@pytest.mark.parametrize("extra_columns", [
    None, ["run_id"],
    ["run_id", "experiment_id", "status", "start_time", "artifact_uri", "metrics.m",
     "params.p", "tags.mlflow.runName"],
])
def test_load_table_is_what_mlflow_loads(ref, output_format, extra_columns):
    runs, _ = log_tables(ref)
    theirs = ref.load_table("t.json", extra_columns=extra_columns)
    ours = our_load(ref, "t.json", extra_columns=extra_columns, output_format=output_format)
    pd.testing.assert_frame_equal(ours, theirs)
    if extra_columns:
        # the table that has a run_id column keeps it; its run's id goes to run_id_
        clash = ours["run_id_"].notna()
        assert ours["run_id"][clash].tolist() == ["mine"]
        assert ours["run_id_"][clash].tolist() == [runs[2].info.run_id]
        assert set(ours["run_id"][~clash]) == {runs[0].info.run_id, runs[1].info.run_id}


def test_load_table_of_some_runs(ref, library_log):
    runs, other = log_tables(ref)
    run_ids = [runs[0].info.run_id, other.info.run_id]
    captured = []
    search_runs = ref.search_runs

    def recording(*args, **kwargs):
        captured.append(kwargs["filter_string"])
        return search_runs(*args, **kwargs)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(ref, "search_runs", recording)
        theirs = ref.load_table("t.json", run_ids=run_ids, extra_columns=["run_id"])
    assert tables.load_table_filter("t.json", run_ids) == captured[0]
    library_log.clear()
    ours = our_load(ref, "t.json", run_ids=run_ids, extra_columns=["run_id"])
    pd.testing.assert_frame_equal(ours, theirs)
    assert "Not all runs have the specified table artifact" in library_log.text


def test_combine_tables_with_run_ids_and_infos(ref):
    runs, _ = log_tables(ref)
    data = [(run, written(run, "t.json")) for run in runs]
    by_id = tables.combine_tables([(run.info.run_id, d) for run, d in data], "t.json",
                                  ["run_id"])
    by_info = tables.combine_tables([(ref.get_run(run.info.run_id).info, d) for run, d in data],
                                    "t.json", ["run_id", "status"])
    ids = [runs[0].info.run_id] * 2 + [runs[1].info.run_id, runs[2].info.run_id]
    assert by_id["run_id"].tolist() == by_info["run_id"].tolist() == ids[:3] + ["mine"]
    assert by_id["run_id_"].tolist()[3] == by_info["run_id_"].tolist()[3] == ids[3]
    assert by_info["status"].tolist() == ["FINISHED"] * 4
    with pytest.raises(KeyError):
        tables.combine_tables([(runs[0].info.run_id, data[0][1])], "t.json", ["status"])


def test_load_table_conflicting_column_warns(ref, library_log):
    log_tables(ref)
    our_load(ref, "t.json", extra_columns=["run_id"])
    warnings = [r.getMessage() for r in library_log.records if r.name.startswith("aiomlflow")]
    assert warnings == ["Column name run_id already exists in the table. Resolving the "
                        "conflict, by appending an underscore to the column name."]


def test_load_table_bad_extra_column_raises_as_mlflow(ref):
    log_tables(ref)
    for bad in [["nope"], ["run_id", "metrics.absent"], ["run_name"]]:
        same_error(lambda: our_load(ref, "t.json", extra_columns=bad),
                   lambda: ref.load_table("t.json", extra_columns=bad))


def test_load_table_missing_file_raises_as_mlflow(ref):
    runs, _ = log_tables(ref)
    os.remove(artifact_path(runs[1], "t.json"))
    error = same_error(lambda: our_load(ref, "t.json"), lambda: ref.load_table("t.json"))
    assert error.error_code == "RESOURCE_DOES_NOT_EXIST"
    assert runs[1].info.run_id in str(error)


def test_load_table_no_runs_raises_as_mlflow(ref):
    log_tables(ref)
    for name in ["absent.json", "t.parquet"]:
        error = same_error(lambda: our_load(ref, name), lambda: ref.load_table(name))
        assert error.error_code == "RESOURCE_DOES_NOT_EXIST"
    same_error(lambda: tables.combine_tables([], "t.json"), lambda: ref.load_table("x.json"))


@pytest.mark.parametrize("name", FORBIDDEN_NAMES)
def test_load_table_forbidden_characters_raise_as_mlflow(ref, name):
    same_error(lambda: tables.load_table_filter(name), lambda: ref.load_table(name))


def test_read_table_unsupported_extension():
    with pytest.raises(ValueError, match=r"Unsupported file type in t\.csv\. Expected "
                                         r"\.json or \.parquet"):
        tables.read_table(b"a,b", "t.csv")


def test_real_plotly_static_image(ref):
    go = pytest.importorskip("plotly.graph_objects")
    figure = go.Figure(go.Scatter(x=[0, 1], y=[2, 3]))
    with ref.start_run() as run:
        if importlib.util.find_spec("kaleido") is None:
            # without the image engine both fail alike
            same_error(lambda: content.figure_bytes(figure, "f.png"),
                       lambda: ref.log_figure(figure, "f.png"))
            return
        ref.log_figure(figure, "f.png", save_kwargs={"width": 300, "height": 200})
    ours = content.figure_bytes(figure, "f.png", {"width": 300, "height": 200})
    assert png_facts(ours)[0] == png_facts(written(run, "f.png"))[0] == (300, 200)
