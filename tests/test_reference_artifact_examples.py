"""The artifact examples of the API reference, run unchanged.

Copied as text from the reference (``shared/seed/000_a0d6af5c2fb3ad62.txt``) and run
with ``import mlflow`` bound to the module under test (aiomlflow, or real mlflow with
``AIOMLFLOW_TESTS_TARGET=mlflow``), over every transport.  What each example logged is
then read back — by the module under test and by real mlflow's client — and checked.
"""

from __future__ import annotations

import json
import pathlib
import re

import pytest

from conftest import IS_AIOMLFLOW
from test_reference_examples import REFERENCE, _norm, _printed

@pytest.fixture
def transport(artifact_transport):
    """Every store of artifacts: local (SQLite), a server with a file:// artifact root,
    and a server proxying them (mlflow-artifacts:/ uploads)."""
    return artifact_transport


# fmt: off
EXAMPLES = {
    'image': r'''
import mlflow
import numpy as np
from PIL import Image

# Create an image as a numpy array
image = np.zeros((100, 100, 3), dtype=np.uint8)
image[:, :50] = [255, 128, 0]
# Create an Image object
image_obj = mlflow.Image(image)
# Convert the Image object to a list of pixel values
pixel_values = image_obj.to_list()
''',
    'get_artifact_uri': r'''
import tempfile

import mlflow

features = "rooms, zipcode, median_price, school_rating, transport"
with tempfile.NamedTemporaryFile("w") as tmp_file:
    tmp_file.write(features)
    tmp_file.flush()

    # Log the artifact in a directory "features" under the root artifact_uri/features
    with mlflow.start_run():
        mlflow.log_artifact(tmp_file.name, artifact_path="features")

        # Fetch the artifact uri root directory
        artifact_uri = mlflow.get_artifact_uri()
        print(f"Artifact uri: {artifact_uri}")

        # Fetch a specific artifact uri
        artifact_uri = mlflow.get_artifact_uri(artifact_path="features/features.txt")
        print(f"Artifact uri: {artifact_uri}")
''',
    'load_table_run_ids': r'''
import mlflow

table_dict = {
    "inputs": ["What is MLflow?", "What is Databricks?"],
    "outputs": ["MLflow is ...", "Databricks is ..."],
    "toxicity": [0.0, 0.0],
}

with mlflow.start_run() as run:
    # Log the dictionary as a table
    mlflow.log_table(data=table_dict, artifact_file="qabot_eval_results.json")
    run_id = run.info.run_id

loaded_table = mlflow.load_table(
    artifact_file="qabot_eval_results.json",
    run_ids=[run_id],
    # Append a column containing the associated run ID for each row
    extra_columns=["run_id"],
)
''',
    'load_table_all_runs': r'''
# Loads the table with the specified name for all runs in the given
# experiment and joins them together
import mlflow

table_dict = {
    "inputs": ["What is MLflow?", "What is Databricks?"],
    "outputs": ["MLflow is ...", "Databricks is ..."],
    "toxicity": [0.0, 0.0],
}

with mlflow.start_run():
    # Log the dictionary as a table
    mlflow.log_table(data=table_dict, artifact_file="qabot_eval_results.json")

loaded_table = mlflow.load_table(
    "qabot_eval_results.json",
    # Append the run ID and the parent run ID to the table
    extra_columns=["run_id"],
)
''',
    'log_artifact': r'''
import tempfile
from pathlib import Path

import mlflow

# Create a features.txt artifact file
features = "rooms, zipcode, median_price, school_rating, transport"
with tempfile.TemporaryDirectory() as tmp_dir:
    path = Path(tmp_dir, "features.txt")
    path.write_text(features)
    # With artifact_path=None write features.txt under
    # root artifact_uri/artifacts directory
    with mlflow.start_run():
        mlflow.log_artifact(path)
''',
    'log_artifacts': r'''
import json
import tempfile
from pathlib import Path

import mlflow

# Create some files to preserve as artifacts
features = "rooms, zipcode, median_price, school_rating, transport"
data = {"state": "TX", "Available": 25, "Type": "Detached"}
with tempfile.TemporaryDirectory() as tmp_dir:
    tmp_dir = Path(tmp_dir)
    with (tmp_dir / "data.json").open("w") as f:
        json.dump(data, f, indent=2)
    with (tmp_dir / "features.json").open("w") as f:
        f.write(features)
    # Write all files in `tmp_dir` to root artifact_uri/states
    with mlflow.start_run():
        mlflow.log_artifacts(tmp_dir, artifact_path="states")
''',
    'log_dict': r'''
import mlflow

dictionary = {"k": "v"}

with mlflow.start_run():
    # Log a dictionary as a JSON file under the run's root artifact directory
    mlflow.log_dict(dictionary, "data.json")

    # Log a dictionary as a YAML file in a subdirectory of the run's root artifact directory
    mlflow.log_dict(dictionary, "dir/data.yml")

    # If the file extension doesn't exist or match any of [".json", ".yaml", ".yml"],
    # JSON format is used.
    mlflow.log_dict(dictionary, "data")
    mlflow.log_dict(dictionary, "data.txt")
''',
    'log_figure_matplotlib': r'''
import mlflow
import matplotlib.pyplot as plt

fig, ax = plt.subplots()
ax.plot([0, 1], [2, 3])

with mlflow.start_run():
    mlflow.log_figure(fig, "figure.png")
''',
    'log_figure_plotly': r'''
import mlflow
from plotly import graph_objects as go

fig = go.Figure(go.Scatter(x=[0, 1], y=[2, 3]))

with mlflow.start_run():
    mlflow.log_figure(fig, "figure.html")
''',
    'log_image_numpy_step': r'''
import mlflow
import numpy as np

image = np.random.randint(0, 256, size=(100, 100, 3), dtype=np.uint8)

with mlflow.start_run():
    mlflow.log_image(image, key="dogs", step=3)
''',
    'log_image_pil_step': r'''
import mlflow
from PIL import Image

image = Image.new("RGB", (100, 100))

with mlflow.start_run():
    mlflow.log_image(image, key="dogs", step=3)
''',
    'log_image_mlflow_image_step': r'''
import mlflow
from PIL import Image

# If you have a preexisting saved image
Image.new("RGB", (100, 100)).save("image.png")

image = mlflow.Image("image.png")
with mlflow.start_run() as run:
    mlflow.log_image(run.info.run_id, image, key="dogs", step=3)
''',
    'log_image_numpy_file': r'''
import mlflow
import numpy as np

image = np.random.randint(0, 256, size=(100, 100, 3), dtype=np.uint8)

with mlflow.start_run():
    mlflow.log_image(image, "image.png")
''',
    'log_image_pil_file': r'''
import mlflow
from PIL import Image

image = Image.new("RGB", (100, 100))

with mlflow.start_run():
    mlflow.log_image(image, "image.png")
''',
    'log_table_dict': r'''
import mlflow

table_dict = {
    "inputs": ["What is MLflow?", "What is Databricks?"],
    "outputs": ["MLflow is ...", "Databricks is ..."],
    "toxicity": [0.0, 0.0],
}
with mlflow.start_run():
    # Log the dictionary as a table
    mlflow.log_table(data=table_dict, artifact_file="qabot_eval_results.json")
''',
    'log_table_dataframe': r'''
import mlflow
import pandas as pd

table_dict = {
    "inputs": ["What is MLflow?", "What is Databricks?"],
    "outputs": ["MLflow is ...", "Databricks is ..."],
    "toxicity": [0.0, 0.0],
}
df = pd.DataFrame.from_dict(table_dict)
with mlflow.start_run():
    # Log the df as a table
    mlflow.log_table(data=df, artifact_file="qabot_eval_results.json")
''',
    'log_text': r'''
import mlflow

with mlflow.start_run():
    # Log text to a file under the run's root artifact directory
    mlflow.log_text("text1", "file1.txt")

    # Log text in a subdirectory of the run's root artifact directory
    mlflow.log_text("text2", "dir/file2.txt")

    # Log HTML text
    mlflow.log_text("<h1>header</h1>", "index.html")
''',
}
# fmt: on

GET_ARTIFACT_URI_OUTPUT = r'''
Artifact uri: file:///.../0/a46a80f1c9644bd8f4e5dd5553fffce/artifacts
Artifact uri: file:///.../0/a46a80f1c9644bd8f4e5dd5553fffce/artifacts/features/features.txt
'''


def run_example(module, name: str, capsys, cwd=None) -> tuple[dict, str]:
    capsys.readouterr()
    code = re.sub(r"^import mlflow[ \t]*$", "", EXAMPLES[name][1:], flags=re.M)
    ns = {"mlflow": module, "__name__": "__main__"}
    exec(compile(code, f"<reference:{name}>", "exec"), ns)
    flush_artifacts(module)
    return ns, _printed(capsys)


def flush_artifacts(module) -> None:
    """Wait for asynchronously logged artifacts (log_image's time series)."""
    if IS_AIOMLFLOW:
        module.flush_artifact_async_logging()
        return
    # mlflow's flush_artifact_async_logging starts a run when none is active; flush the
    # last run's artifact repository instead
    run = module.last_active_run()
    repo = run and module.tracking.fluent._get_artifact_repo(run.info.run_id)
    if repo is not None:
        repo.flush_async_logging()


def test_examples_are_verbatim_copies_of_the_reference():
    if not REFERENCE.exists():
        pytest.skip(f"reference text not found at {REFERENCE}")
    ref = REFERENCE.read_text(encoding="utf-8")
    for name, code in EXAMPLES.items():
        assert code[1:].rstrip("\n") in ref, name
    assert GET_ARTIFACT_URI_OUTPUT[1:].rstrip("\n") in ref


def files_of(mlflow, run_id: str, path: str | None = None) -> dict:
    """{path: size} of every file under ``path`` of the run, recursively, as the module
    under test lists them."""
    client = mlflow.MlflowClient()
    found = {}
    for info in client.list_artifacts(run_id, path):
        if info.is_dir:
            found.update(files_of(mlflow, run_id, info.path))
        else:
            found[info.path] = info.file_size
    return found


def real_files_of(tracking_uri: str, run_id: str, path: str | None = None) -> dict:
    """The same listing made by real mlflow's client."""
    import mlflow as real

    client = real.MlflowClient(tracking_uri)
    found = {}
    for info in client.list_artifacts(run_id, path):
        if info.is_dir:
            found.update(real_files_of(tracking_uri, run_id, info.path))
        else:
            found[info.path] = info.file_size
    return found


def last_run(mlflow):
    return mlflow.last_active_run()


def assert_same_listing(mlflow, transport, run_id):
    ours = files_of(mlflow, run_id)
    assert ours == real_files_of(transport, run_id)
    return ours


def read_text(mlflow, run_id: str, path: str) -> str:
    return pathlib.Path(mlflow.MlflowClient().download_artifacts(run_id, path)).read_text()


# ------------------------------------------------------------------ the examples


def test_image(mlflow, capsys):
    ns, _ = run_example(mlflow, "image", capsys)
    pixels = ns["pixel_values"]
    # PIL's flat pixel sequence, row by row
    assert len(pixels) == 100 * 100
    assert tuple(pixels[0]) == (255, 128, 0) and tuple(pixels[99]) == (0, 0, 0)


def test_get_artifact_uri(mlflow, transport, capsys):
    ns, out = run_example(mlflow, "get_artifact_uri", capsys)
    assert _norm(out) == _norm(GET_ARTIFACT_URI_OUTPUT)
    root, specific = [line.split(": ", 1)[1] for line in out.splitlines()]
    run = last_run(mlflow)
    assert root == run.info.artifact_uri
    assert specific == root + "/features/features.txt"
    name = pathlib.Path(ns["tmp_file"].name).name
    assert assert_same_listing(mlflow, transport, run.info.run_id) == {
        f"features/{name}": len(ns["features"])}


def test_load_table_with_run_ids(mlflow, transport, capsys):
    ns, _ = run_example(mlflow, "load_table_run_ids", capsys)
    table = ns["loaded_table"]
    assert list(table.columns) == ["inputs", "outputs", "toxicity", "run_id"]
    assert table["inputs"].tolist() == ns["table_dict"]["inputs"]
    assert table["run_id"].tolist() == [ns["run_id"]] * 2


def test_load_table_of_all_runs(mlflow, transport, capsys):
    run_example(mlflow, "load_table_run_ids", capsys)
    ns, _ = run_example(mlflow, "load_table_all_runs", capsys)
    table = ns["loaded_table"]
    assert len(table) == 4 and table["run_id"].nunique() == 2
    assert table["toxicity"].tolist() == [0.0] * 4


def test_log_artifact(mlflow, transport, capsys):
    ns, _ = run_example(mlflow, "log_artifact", capsys)
    run_id = last_run(mlflow).info.run_id
    assert assert_same_listing(mlflow, transport, run_id) == {"features.txt": len(ns["features"])}
    assert read_text(mlflow, run_id, "features.txt") == ns["features"]


def test_log_artifacts(mlflow, transport, capsys):
    ns, _ = run_example(mlflow, "log_artifacts", capsys)
    run_id = last_run(mlflow).info.run_id
    listing = assert_same_listing(mlflow, transport, run_id)
    assert sorted(listing) == ["states/data.json", "states/features.json"]
    assert json.loads(read_text(mlflow, run_id, "states/data.json")) == ns["data"]


def test_log_dict(mlflow, transport, capsys):
    run_example(mlflow, "log_dict", capsys)
    run_id = last_run(mlflow).info.run_id
    listing = assert_same_listing(mlflow, transport, run_id)
    assert sorted(listing) == ["data", "data.json", "data.txt", "dir/data.yml"]
    assert json.loads(read_text(mlflow, run_id, "data.json")) == {"k": "v"}
    assert read_text(mlflow, run_id, "dir/data.yml") == "k: v\n"
    assert json.loads(read_text(mlflow, run_id, "data.txt")) == {"k": "v"}


def test_log_figure_matplotlib(mlflow, transport, capsys):
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    run_example(mlflow, "log_figure_matplotlib", capsys)
    run_id = last_run(mlflow).info.run_id
    assert list(assert_same_listing(mlflow, transport, run_id)) == ["figure.png"]
    from PIL import Image

    with Image.open(mlflow.MlflowClient().download_artifacts(run_id, "figure.png")) as png:
        assert png.format == "PNG" and png.size == (640, 480)


def test_log_figure_plotly(mlflow, transport, capsys):
    pytest.importorskip("plotly")
    run_example(mlflow, "log_figure_plotly", capsys)
    run_id = last_run(mlflow).info.run_id
    assert list(assert_same_listing(mlflow, transport, run_id)) == ["figure.html"]
    assert "plotly" in read_text(mlflow, run_id, "figure.html")


def _image_series_files(listing: dict) -> list[str]:
    return sorted(listing)


@pytest.mark.parametrize("name", ["log_image_numpy_step", "log_image_pil_step"])
def test_log_image_time_series(mlflow, transport, capsys, name):
    run_example(mlflow, name, capsys)
    run = mlflow.get_run(last_run(mlflow).info.run_id)
    listing = assert_same_listing(mlflow, transport, run.info.run_id)
    webp, png = sorted(listing)  # "+compressed.webp" sorts before ".png"
    assert re.fullmatch(r"images/dogs\+step\+3\+timestamp\+\d{13}\+[0-9a-f-]{36}\.png", png)
    assert webp == png[:-len(".png")] + "+compressed.webp"
    assert run.data.tags["mlflow.loggedImages"] == "True"
    image = mlflow.artifacts.load_image(f"{run.info.artifact_uri}/{png}")
    assert image.size == (100, 100)


def test_log_image_example_with_run_id_first_raises_as_in_mlflow(mlflow, transport, capsys,
                                                                 tmp_path, monkeypatch):
    # The reference's example passes the run id where the image goes: MLflow rejects
    # the call (an artifact_file and a key at once) with a TypeError, so must we.
    monkeypatch.chdir(tmp_path)
    with pytest.raises(TypeError, match="`artifact_file` parameter cannot be used"):
        run_example(mlflow, "log_image_mlflow_image_step", capsys)
    assert (tmp_path / "image.png").exists()


@pytest.mark.parametrize("name", ["log_image_numpy_file", "log_image_pil_file"])
def test_log_image_file(mlflow, transport, capsys, name):
    ns, _ = run_example(mlflow, name, capsys)
    run = last_run(mlflow)
    assert list(assert_same_listing(mlflow, transport, run.info.run_id)) == ["image.png"]
    image = mlflow.artifacts.load_image(f"{run.info.artifact_uri}/image.png")
    assert image.size == (100, 100) and image.mode == "RGB"
    import numpy as np

    expected = np.asarray(ns["image"], dtype=np.uint8)
    assert (np.asarray(image) == expected).all()


@pytest.mark.parametrize("name", ["log_table_dict", "log_table_dataframe"])
def test_log_table(mlflow, transport, capsys, name):
    ns, _ = run_example(mlflow, name, capsys)
    run = mlflow.get_run(last_run(mlflow).info.run_id)
    assert list(assert_same_listing(mlflow, transport, run.info.run_id)) == [
        "qabot_eval_results.json"]
    stored = json.loads(read_text(mlflow, run.info.run_id, "qabot_eval_results.json"))
    assert stored["columns"] == ["inputs", "outputs", "toxicity"]
    assert stored["data"][0] == ["What is MLflow?", "MLflow is ...", 0.0]
    assert json.loads(run.data.tags["mlflow.loggedArtifacts"]) == [
        {"path": "qabot_eval_results.json", "type": "table"}]


def test_log_text(mlflow, transport, capsys):
    run_example(mlflow, "log_text", capsys)
    run_id = last_run(mlflow).info.run_id
    assert assert_same_listing(mlflow, transport, run_id) == {
        "dir/file2.txt": 5, "file1.txt": 5, "index.html": 15}
    assert read_text(mlflow, run_id, "index.html") == "<h1>header</h1>"
