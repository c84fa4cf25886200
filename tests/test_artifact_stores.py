"""The artifact stores (transports/artifacts): local directories and a tracking server's
proxied artifact API, checked against real mlflow 3.17.2 on the same data.

* Local: uploads (files, bytes, nested directories, replacement, whole-or-nothing),
  listings and downloads compared with real mlflow's LocalArtifactRepository on the same
  directory, and MLflow's errors for missing artifacts and bad destinations.
* HTTP: the same operations through a real ``mlflow server --artifacts-destination``,
  compared with real mlflow's MlflowArtifactsRepository on the same root, in both
  directions; a 50 MB streamed upload; retries against a small aiohttp server that fails
  on purpose (503, a connection cut mid-body).
* The factory: which store a URI gets, MLflow's mlflow-artifacts host rule, refusals.

aiomlflow only (the stores are ours; real mlflow is the reference).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pathlib
import uuid

import pytest

from conftest import IS_MLFLOW, free_port

pytestmark = [pytest.mark.skipif(IS_MLFLOW, reason="tests of aiomlflow's artifact stores"),
              pytest.mark.anyio]

FAST_RETRIES = {
    "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "3",
    "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR": "0",
    "MLFLOW_HTTP_REQUEST_BACKOFF_JITTER": "0",
    # A broken upload (a body shorter than its Content-Length) fails in seconds, not minutes.
    "MLFLOW_HTTP_REQUEST_TIMEOUT": "5",
}


@pytest.fixture
def anyio_backend():
    return "asyncio"


def rows(infos):
    """FileInfo list (ours or mlflow's) as comparable tuples."""
    return [(info.path, info.is_dir, info.file_size) for info in infos]


def tree(root) -> dict:
    """Every file (with its bytes) and every directory under ``root``."""
    root = pathlib.Path(root)
    out = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        out[rel] = path.read_bytes() if path.is_file() else "<dir>"
    return out


def sha256(path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def local_store(root):
    from aiomlflow.transports.artifacts.local import LocalArtifactStore

    return LocalArtifactStore(str(root))


async def populate(store, tmp_path):
    """The same small tree in any store: nested dirs, a replaced file, odd names."""
    src = tmp_path / "src.bin"
    src.write_bytes(b"\x00\x01binary" * 1000)
    await store.upload_bytes(b"first", "a.txt")
    await store.upload_bytes(b"second version", "a.txt")  # replaces
    await store.upload_file(str(src), "d/e/f.bin")
    await store.upload_bytes(b"g", "d/g.txt")
    await store.upload_bytes("ünï côdé".encode(), "sp ace/ü.txt")
    return src


LISTED = [None, "", "d", "d/", "d/e", "sp ace", "a.txt", "d/g.txt", "nope", "d/nope"]


# --------------------------------------------------------------------------- local


async def test_local_uploads_and_listings_match_mlflow(tmp_path):
    from mlflow.store.artifact.local_artifact_repo import LocalArtifactRepository

    root = tmp_path / "root"
    store = local_store(root)
    src = await populate(store, tmp_path)
    (root / "empty").mkdir()
    (root / ".artifact.uploading.inflight").write_bytes(b"half")  # an upload in flight

    assert (root / "a.txt").read_bytes() == b"second version"
    assert (root / "d" / "e" / "f.bin").read_bytes() == src.read_bytes()
    reference = LocalArtifactRepository(str(root))
    for path in LISTED:
        assert rows(await store.list(path)) == rows(reference.list_artifacts(path)), path
    assert rows(await store.list()) == [("a.txt", False, 14), ("d", True, None),
                                        ("empty", True, None), ("sp ace", True, None)]
    assert rows(await store.list("d")) == [("d/e", True, None), ("d/g.txt", False, 1)]
    # The same directory named by a file:// URI.
    assert rows(await local_store(root.as_uri()).list("d")) == rows(await store.list("d"))
    assert await store.read_bytes("sp ace/ü.txt") == "ünï côdé".encode()


async def test_local_upload_keeps_file_modes_as_mlflow(tmp_path):
    from mlflow.store.artifact.local_artifact_repo import LocalArtifactRepository

    src = tmp_path / "script.sh"
    src.write_bytes(b"#!/bin/sh\n")
    os.chmod(src, 0o750)
    os.utime(src, (1_600_000_000, 1_600_000_000))
    ours, theirs = tmp_path / "ours", tmp_path / "theirs"
    store = local_store(ours)
    await store.upload_file(str(src), "bin/script.sh")
    await store.upload_bytes(b"x", "bin/data.txt")
    LocalArtifactRepository(str(theirs)).log_artifact(str(src), "bin")
    mine, reference = os.stat(ours / "bin" / "script.sh"), os.stat(theirs / "bin" / "script.sh")
    assert (mine.st_mode, mine.st_mtime) == (reference.st_mode, reference.st_mtime)
    (tmp_path / "plain.txt").write_bytes(b"x")  # what open() creates under this umask
    assert os.stat(ours / "bin" / "data.txt").st_mode == os.stat(tmp_path / "plain.txt").st_mode
    assert sorted(os.listdir(ours / "bin")) == ["data.txt", "script.sh"]  # no temp files left


async def test_local_replacement_is_never_seen_half_written(tmp_path):
    import anyio

    old, new = tmp_path / "old.bin", tmp_path / "new.bin"
    old.write_bytes(b"o" * 1_000)
    with open(new, "wb") as handle:
        for _ in range(48):
            handle.write(os.urandom(1 << 20))
    store = local_store(tmp_path / "root")
    await store.upload_file(str(old), "model.bin")
    target = tmp_path / "root" / "model.bin"
    sizes = set()
    done = anyio.Event()

    async def upload():
        await store.upload_file(str(new), "model.bin")
        done.set()

    async with anyio.create_task_group() as group:
        group.start_soon(upload)
        while not done.is_set():
            sizes.add(target.stat().st_size)
            await anyio.sleep(0)
    assert sizes <= {1_000, new.stat().st_size}
    assert sha256(target) == sha256(new)
    assert os.listdir(tmp_path / "root") == ["model.bin"]


async def test_local_downloads_match_mlflow(tmp_path):
    from mlflow.store.artifact.local_artifact_repo import LocalArtifactRepository

    root = tmp_path / "root"
    store = local_store(root)
    await populate(store, tmp_path)
    (root / "d" / "e" / "empty").mkdir()
    reference = LocalArtifactRepository(str(root))
    for i, path in enumerate(["a.txt", "d/g.txt", "d", "d/", "d/e", "", None]):
        ours, theirs = tmp_path / f"ours{i}", tmp_path / f"theirs{i}"
        ours.mkdir()
        theirs.mkdir()
        got = await store.download(path, str(ours))
        want = reference.download_artifacts(path, str(theirs))
        assert os.path.relpath(got, ours) == os.path.relpath(want, theirs), path
        assert tree(ours) == tree(theirs), path
    assert tree(tmp_path / "ours5")["d/e/empty"] == "<dir>"
    # An empty or missing root downloads as nothing, returning the destination.
    nothing = tmp_path / "nothing"
    nothing.mkdir()
    assert await local_store(tmp_path / "missing").download("", str(nothing)) == str(nothing)
    assert os.listdir(nothing) == []


async def test_local_missing_artifacts_and_destinations_raise_as_mlflow(tmp_path):
    from mlflow.exceptions import MlflowException as RealMlflowException
    from mlflow.store.artifact.local_artifact_repo import LocalArtifactRepository

    from aiomlflow.exceptions import MlflowException

    root = tmp_path / "root"
    store = local_store(root)
    await store.upload_bytes(b"x", "d/x.txt")
    reference = LocalArtifactRepository(str(root))
    dest = tmp_path / "dest"
    dest.mkdir()
    cases = [("nope", str(dest)), ("d/nope", str(dest)), ("d", str(tmp_path / "absent")),
             ("d", str(root / "d" / "x.txt"))]
    for path, dst in cases:
        with pytest.raises(MlflowException) as ours:
            await store.download(path, dst)
        with pytest.raises(RealMlflowException) as theirs:
            reference.download_artifacts(path, dst)
        assert (ours.value.error_code, ours.value.message) == \
            (theirs.value.error_code, theirs.value.message), path
    assert [p for p in dest.rglob("*") if not p.is_dir()] == []
    with pytest.raises(MlflowException, match=r"No such artifact: 'd/y.txt'") as missing:
        await store.read_bytes("d/y.txt")
    assert missing.value.error_code == "RESOURCE_DOES_NOT_EXIST"
    with pytest.raises(MlflowException, match="directory") as directory:
        await store.read_bytes("d")
    assert directory.value.error_code == "INVALID_PARAMETER_VALUE"


async def test_local_bad_uploads_write_nothing(tmp_path):
    from mlflow.exceptions import MlflowException as RealMlflowException
    from mlflow.store.artifact.local_artifact_repo import LocalArtifactRepository

    from aiomlflow.exceptions import MlflowException

    root = tmp_path / "run" / "artifacts"
    store = local_store(root)
    missing = tmp_path / "no-such-file.txt"
    with pytest.raises(MlflowException, match="no-such-file.txt") as info:
        await store.upload_file(str(missing), "x.txt")
    assert info.value.error_code == "RESOURCE_DOES_NOT_EXIST"
    assert isinstance(info.value, FileNotFoundError)  # what MLflow's store raises
    with pytest.raises(MlflowException, match="not a file"):
        await store.upload_file(str(tmp_path), "x.txt")
    for bad in ["../escape.txt", "a/../../escape.txt", "/abs.txt", "", "."]:
        with pytest.raises(MlflowException) as info:
            await store.upload_bytes(b"x", bad)
        assert info.value.error_code == "INVALID_PARAMETER_VALUE", bad
    with pytest.raises(MlflowException) as ours:
        await store.upload_bytes(b"x", ".artifact.uploading.x")
    with pytest.raises(RealMlflowException) as theirs:
        LocalArtifactRepository(str(tmp_path / "ref")).log_artifact_from_stream(
            __import__("io").BytesIO(b"x"), ".artifact.uploading.x")
    assert (ours.value.error_code, ours.value.message) == \
        (theirs.value.error_code, theirs.value.message)
    assert not root.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ref"]


# --------------------------------------------------------------------------- factory


async def test_factory_picks_and_caches_stores(tmp_path):
    from aiomlflow.exceptions import MlflowException
    from aiomlflow.transports.artifacts import ArtifactStores
    from aiomlflow.transports.artifacts.http import MlflowArtifactsStore
    from aiomlflow.transports.artifacts.local import LocalArtifactStore

    stores = ArtifactStores("http://127.0.0.1:5000")
    local = stores.get(str(tmp_path))
    assert isinstance(local, LocalArtifactStore) and stores.get(str(tmp_path)) is local
    assert isinstance(stores.get(tmp_path.as_uri()), LocalArtifactStore)
    remote = stores.get("mlflow-artifacts:/0/abc/artifacts")
    other = stores.get("mlflow-artifacts://10.0.0.1:6000/0/abc/artifacts")
    assert isinstance(remote, MlflowArtifactsStore) and remote is not other
    assert remote._http is other._http  # one session per store set
    assert remote.base_url == "http://127.0.0.1:5000/api/2.0/mlflow-artifacts/artifacts/0/abc/artifacts"
    assert other.base_url == "http://10.0.0.1:6000/api/2.0/mlflow-artifacts/artifacts/0/abc/artifacts"
    for uri in ["s3://bucket/path", "gs://bucket/x", "wasbs://c@a.blob.core.windows.net/x"]:
        with pytest.raises(MlflowException) as info:
            stores.get(uri)
        assert uri in info.value.message
        assert "file://" in info.value.message and "mlflow-artifacts:" in info.value.message
        assert "--artifacts-destination" in info.value.message
    with pytest.raises(MlflowException, match="mlflow-artifacts"):
        stores.get("https://example.com/not/an/artifact/api")
    await stores.close()
    assert remote._http._session is None
    assert stores.get(str(tmp_path)) is not local  # a closed set starts afresh


def test_mlflow_artifacts_host_rule_matches_mlflow():
    from mlflow.exceptions import MlflowException as RealMlflowException
    from mlflow.store.artifact.mlflow_artifacts_repo import MlflowArtifactsRepository

    from aiomlflow.exceptions import MlflowException
    from aiomlflow.transports.artifacts.http import resolve_mlflow_artifacts_uri

    cases = [
        ("mlflow-artifacts:/0/abc/artifacts", "http://127.0.0.1:5000"),
        ("mlflow-artifacts:/0/abc/artifacts", "https://host.example/prefix/"),
        ("mlflow-artifacts://other:6000/0/abc", "https://host.example/prefix"),
        ("mlflow-artifacts:/", "http://h:1"),
        ("mlflow-artifacts:", "http://h:1"),
        ("mlflow-artifacts:/api/2.0/mlflow-artifacts/artifacts", "http://h:1/p"),
        ("mlflow-artifacts:///x//y/", "http://user:secret@h:1"),
    ]
    for artifact_uri, tracking_uri in cases:
        assert resolve_mlflow_artifacts_uri(artifact_uri, tracking_uri) == \
            MlflowArtifactsRepository.resolve_uri(artifact_uri, tracking_uri), artifact_uri
    errors = [("mlflow-artifacts:/x", "sqlite:///mlflow.db"),
              ("mlflow-artifacts:/x", "postgresql://u:pw@db/x"),
              ("mlflow-artifacts://5000/x", "http://h:1")]
    for artifact_uri, tracking_uri in errors:
        with pytest.raises(MlflowException) as ours:
            resolve_mlflow_artifacts_uri(artifact_uri, tracking_uri)
        with pytest.raises(RealMlflowException) as theirs:
            MlflowArtifactsRepository.resolve_uri(artifact_uri, tracking_uri)
        assert ours.value.message == theirs.value.message
        assert "pw" not in ours.value.message


# --------------------------------------------------------------------------- real server


@pytest.fixture
def served(artifacts_server):
    """A fresh root on the artifacts server: (our store, real mlflow's repository, the
    root's directory on the server's disk)."""
    from mlflow.store.artifact.mlflow_artifacts_repo import MlflowArtifactsRepository

    from aiomlflow.transports.artifacts.http import MlflowArtifactsStore

    name = uuid.uuid4().hex
    uri = f"mlflow-artifacts:/{name}/artifacts"
    store = MlflowArtifactsStore(uri, artifacts_server.url)
    reference = MlflowArtifactsRepository(uri, tracking_uri=artifacts_server.url)
    return store, reference, artifacts_server.destination / name / "artifacts"


async def test_server_uploads_list_like_mlflow(served, tmp_path):
    store, reference, on_disk = served
    try:
        src = await populate(store, tmp_path)
        assert (on_disk / "a.txt").read_bytes() == b"second version"
        assert (on_disk / "d" / "e" / "f.bin").read_bytes() == src.read_bytes()
        assert (on_disk / "sp ace" / "ü.txt").read_bytes() == "ünï côdé".encode()
        (on_disk / "empty").mkdir()
        for path in LISTED:
            assert rows(await store.list(path)) == rows(reference.list_artifacts(path)), path
        assert rows(await store.list()) == [("a.txt", False, 14), ("d", True, None),
                                            ("empty", True, None), ("sp ace", True, None)]
        assert await store.read_bytes("d/g.txt") == b"g"
    finally:
        await store.close()


async def test_server_downloads_match_mlflow_both_ways(served, tmp_path, artifacts_server):
    from mlflow.store.artifact.mlflow_artifacts_repo import MlflowArtifactsRepository

    from aiomlflow.exceptions import MlflowException
    from aiomlflow.transports.artifacts.http import MlflowArtifactsStore

    store, reference, on_disk = served
    try:
        await populate(store, tmp_path)
        for i, path in enumerate(["a.txt", "d/e/f.bin", "d", "sp ace", ""]):
            ours, theirs = tmp_path / f"ours{i}", tmp_path / f"theirs{i}"
            ours.mkdir()
            theirs.mkdir()
            got = await store.download(path, str(ours))
            want = reference.download_artifacts(path, str(theirs))
            assert os.path.relpath(got, ours) == os.path.relpath(want, theirs), path
            assert tree(ours) == tree(theirs) != {}, path
        assert tree(tmp_path / "ours4") == tree(on_disk)

        # What real mlflow uploads, we list, read and download the same way.
        upload = tmp_path / "theirs-src"
        (upload / "sub").mkdir(parents=True)
        (upload / "top.json").write_text('{"a": 1}')
        (upload / "sub" / "deep.txt").write_text("deep")
        uri = f"mlflow-artifacts:/{uuid.uuid4().hex}"
        theirs_repo = MlflowArtifactsRepository(uri, tracking_uri=artifacts_server.url)
        theirs_repo.log_artifacts(str(upload), "logged")
        async with contextlib.AsyncExitStack() as stack:
            other = MlflowArtifactsStore(uri, artifacts_server.url)
            stack.push_async_callback(other.close)
            for path in [None, "logged", "logged/sub"]:
                assert rows(await other.list(path)) == rows(theirs_repo.list_artifacts(path))
            assert await other.read_bytes("logged/top.json") == b'{"a": 1}'
            back = tmp_path / "back"
            back.mkdir()
            assert await other.download("logged", str(back)) == str(back / "logged")
            assert tree(back / "logged") == tree(upload)

        missing = tmp_path / "missing"
        missing.mkdir()
        with pytest.raises(MlflowException) as info:
            await store.download("d/nope.txt", str(missing))
        assert info.value.error_code == "RESOURCE_DOES_NOT_EXIST"
        assert "d/nope.txt" in info.value.message
        with pytest.raises(MlflowException, match="No such artifact: 'nope'") as info:
            await store.read_bytes("nope")
        assert info.value.error_code == "RESOURCE_DOES_NOT_EXIST"
        assert [p for p in missing.rglob("*") if not p.is_dir()] == []
    finally:
        await store.close()


async def test_server_root_forms_reach_the_same_files(served, artifacts_server, tmp_path):
    from aiomlflow.transports.artifacts import ArtifactStores

    store, _, on_disk = served
    await store.upload_bytes(b"hello", "x/y.txt")
    await store.close()
    root = store.root_uri.split(":", 1)[1].lstrip("/")
    port = artifacts_server.port
    # The host of mlflow-artifacts://host:port wins over the tracking URI's.
    stores = ArtifactStores("http://127.0.0.1:1")
    try:
        for uri in [f"mlflow-artifacts://127.0.0.1:{port}/{root}",
                    f"http://127.0.0.1:{port}/api/2.0/mlflow-artifacts/artifacts/{root}/"]:
            other = stores.get(uri)
            assert rows(await other.list("x")) == [("x/y.txt", False, 5)], uri
            assert await other.read_bytes("x/y.txt") == b"hello", uri
    finally:
        await stores.close()


async def test_server_streams_a_50mb_file_intact(served, tmp_path):
    store, reference, on_disk = served
    big = tmp_path / "big.bin"
    block = os.urandom(1 << 20)
    with open(big, "wb") as handle:
        for i in range(50):
            handle.write(block[i:] + block[:i])
    try:
        await store.upload_file(str(big), "model/weights.bin")
        assert sha256(on_disk / "model" / "weights.bin") == sha256(big)
        assert rows(await store.list("model")) == [("model/weights.bin", False, 50 << 20)]
        back = tmp_path / "back"
        back.mkdir()
        got = await store.download("model/weights.bin", str(back))
        assert sha256(got) == sha256(big)
        assert os.listdir(back / "model") == ["weights.bin"]
    finally:
        await store.close()


# --------------------------------------------------------------------------- retries


class FlakyServer:
    """An aiohttp artifacts endpoint on this loop that fails on purpose.

    ``put_faults``/``get_faults``: what the first requests get (``"503"``, ``"cut"``: the
    connection closes mid-body, ``"disabled"``: the --no-serve-artifacts answer), then
    requests succeed.  ``bodies`` keeps every PUT body as received; ``files`` the stored
    content; ``headers`` every request's headers."""

    def __init__(self):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.put_faults: list[str] = []
        self.get_faults: list[str] = []
        self.bodies: list[bytes] = []
        self.files: dict[str, bytes] = {}
        self.headers: list[dict] = []

    async def _put(self, request):
        from aiohttp import web

        self.headers.append(dict(request.headers))
        fault = self.put_faults.pop(0) if self.put_faults else None
        if fault == "cut":
            self.bodies.append(await request.content.read(300_000))
            request.transport.close()
            return web.Response(status=500)
        body = await request.read()
        self.bodies.append(body)
        if fault == "503":
            return web.Response(status=503, text="busy")
        if fault == "disabled":
            return web.Response(status=503, text=(
                "Endpoint: /api/2.0/mlflow-artifacts/artifacts/<path:artifact_path> disabled "
                "due to the mlflow server running with `--no-serve-artifacts`. To enable "
                "artifacts server functionality, run `mlflow server` with `--serve-artifacts`"))
        self.files[request.match_info["path"]] = body
        return web.json_response({})

    async def _get(self, request):
        from aiohttp import web

        self.headers.append(dict(request.headers))
        path = request.match_info["path"]
        if path not in self.files:
            return web.json_response({"error_code": "RESOURCE_DOES_NOT_EXIST",
                                      "message": f"No such artifact: '{path}'"}, status=404)
        fault = self.get_faults.pop(0) if self.get_faults else None
        if fault == "503":
            return web.Response(status=503, text="busy")
        data = self.files[path]
        response = web.StreamResponse(headers={"Content-Length": str(len(data))})
        await response.prepare(request)
        if fault == "cut":
            await response.write(data[: len(data) // 2])
            request.transport.close()
            return response
        await response.write(data)
        await response.write_eof()
        return response

    async def _list(self, request):
        from aiohttp import web

        prefix = request.query.get("path", "").strip("/") + "/"
        names = {key[len(prefix):].split("/")[0] for key in self.files if key.startswith(prefix)}
        files = [{"path": name, "is_dir": f"{prefix}{name}" not in self.files} for name in names]
        return web.json_response({"files": files} if files else {})

    async def __aenter__(self):
        from aiohttp import web

        app = web.Application(client_max_size=1 << 30)
        app.router.add_put("/api/2.0/mlflow-artifacts/artifacts/{path:.*}", self._put)
        app.router.add_get("/api/2.0/mlflow-artifacts/artifacts/{path:.+}", self._get)
        app.router.add_get("/api/2.0/mlflow-artifacts/artifacts", self._list)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()
        return self

    async def __aexit__(self, *exc):
        await self._runner.cleanup()


@pytest.fixture
def fast_retries(monkeypatch):
    for key, value in FAST_RETRIES.items():
        monkeypatch.setenv(key, value)


async def test_retried_upload_resends_the_whole_file(tmp_path, fast_retries):
    from aiomlflow.transports.artifacts.http import MlflowArtifactsStore

    content = os.urandom(3 * (1 << 20) + 123)  # several chunks
    src = tmp_path / "f.bin"
    src.write_bytes(content)
    async with FlakyServer() as server:
        server.put_faults = ["503", "cut"]
        store = MlflowArtifactsStore("mlflow-artifacts:/r", server.url)
        try:
            await store.upload_file(str(src), "dir/f.bin")
            await store.upload_bytes(b"small", "s.txt")
        finally:
            await store.close()
    assert len(server.bodies) == 4
    assert server.bodies[0] == content  # answered 503 after the whole body
    assert content.startswith(server.bodies[1]) and len(server.bodies[1]) < len(content)
    assert server.bodies[2] == content  # the retry restarted from byte 0
    assert server.files == {"r/dir/f.bin": content, "r/s.txt": b"small"}
    assert server.headers[2]["Content-Length"] == str(len(content))
    assert "Transfer-Encoding" not in server.headers[2]


async def test_retried_download_rewrites_the_file(tmp_path, fast_retries):
    from aiomlflow.transports.artifacts.http import MlflowArtifactsStore

    content = os.urandom(2 * (1 << 20) + 7)
    async with FlakyServer() as server:
        server.files["r/m/w.bin"] = content
        server.get_faults = ["cut", "503"]
        store = MlflowArtifactsStore("mlflow-artifacts:/r", server.url)
        try:
            dest = tmp_path / "dest"
            dest.mkdir()
            got = await store.download("m/w.bin", str(dest))
            assert pathlib.Path(got).read_bytes() == content
            assert os.listdir(dest / "m") == ["w.bin"]  # no temporary file left
            server.get_faults = ["cut"] * 10  # more cuts than retries
            with pytest.raises(Exception, match="m/w.bin"):
                await store.download("m/w.bin", str(tmp_path))
            assert not list(tmp_path.glob("m/.artifact.uploading.*"))
        finally:
            await store.close()


async def test_permanent_answers_fail_at_once(tmp_path, fast_retries, monkeypatch):
    from aiomlflow.exceptions import MlflowException
    from aiomlflow.transports.artifacts.http import MlflowArtifactsStore

    monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", "tok")
    async with FlakyServer() as server:
        server.put_faults = ["disabled"]
        store = MlflowArtifactsStore("mlflow-artifacts:/r", server.url)
        try:
            with pytest.raises(MlflowException, match="--no-serve-artifacts") as info:
                await store.upload_bytes(b"x", "a.txt")
            assert info.value.error_code == "FEATURE_DISABLED"
            assert len(server.bodies) == 1  # not retried
            with pytest.raises(MlflowException, match="No such artifact: 'b.txt'") as info:
                await store.read_bytes("b.txt")
            assert info.value.error_code == "RESOURCE_DOES_NOT_EXIST"
            with pytest.raises(MlflowException, match="missing.bin") as info:
                await store.upload_file(str(tmp_path / "missing.bin"), "m.bin")
            assert info.value.error_code == "RESOURCE_DOES_NOT_EXIST"
        finally:
            await store.close()
    assert [h.get("Authorization") for h in server.headers] == ["Bearer tok"] * 2
