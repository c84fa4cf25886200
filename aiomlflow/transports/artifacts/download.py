"""Downloading a file or a directory tree from any store, as MLflow's
``ArtifactRepository.download_artifacts`` does it.

The layout under the destination mirrors the root (``dir/file`` lands at
``<dest>/dir/file``); empty directories are created; files are fetched concurrently;
every failure is collected and reported together in MLflow's wording, with the one
error code they share (else INTERNAL_ERROR).
"""

from __future__ import annotations

import logging
import os

import anyio

from ...exceptions import INTERNAL_ERROR, MlflowException
from .layout import check_dest_dir, clean_path, local_target

_logger = logging.getLogger("aiomlflow")

# MLflow truncates the combined message at this many characters (_truncate_error).
_MAX_MESSAGE = 10_000


async def walk(store, path: str):
    """Yield ``(path, is_dir)`` for every file under directory ``path``, and for every
    empty directory (``is_dir`` True), depth first in listing order."""
    entries = [info for info in await store.list(path) if info.path not in (".", path)]
    if not entries:
        yield path, True
        return
    for info in entries:
        # A server's listing is not trusted to stay under the root.
        child = clean_path(info.path)
        if info.is_dir:
            async for item in walk(store, child):
                yield item
        else:
            yield child, False


async def download_tree(store, path, dest_dir: str, *, is_dir, fetch, limit: int) -> str:
    """Copy ``path`` (a file, a directory, or the whole root for ""/None) of ``store``
    into ``dest_dir``; return the local path of the copy.

    ``is_dir(path)`` tells a directory from a file; ``fetch(path, target)`` writes one
    file's bytes at the local path ``target``; at most ``limit`` fetches run at once.
    """
    dest_dir = await anyio.to_thread.run_sync(check_dest_dir, dest_dir)
    path = clean_path(path)
    if not path:
        if not await store.list(""):
            _logger.info("No artifacts found to download at %s. Returning destination path.",
                         store.root_uri)
            return dest_dir
        directory = True
    else:
        directory = await is_dir(path)

    files: list[str] = []
    if directory:
        async for item, item_is_dir in walk(store, path):
            if item_is_dir:
                await anyio.to_thread.run_sync(
                    lambda target: os.makedirs(target, exist_ok=True),
                    local_target(dest_dir, item))
            else:
                files.append(item)
    else:
        files.append(path)

    failures: dict[str, BaseException] = {}
    slots = anyio.Semaphore(limit)

    async def one(item: str) -> None:
        async with slots:
            try:
                await fetch(item, local_target(dest_dir, item))
            except Exception as exc:  # reported together below
                failures[item] = exc

    async with anyio.create_task_group() as group:
        for item in files:
            group.start_soon(one, item)

    if failures:
        raise _combined(store.root_uri, failures)
    return local_target(dest_dir, path)


def _combined(root_uri: str, failures: dict) -> MlflowException:
    text = "\n".join(f"##### File {path} #####\n{error}" for path, error in failures.items())
    if len(text) > _MAX_MESSAGE:
        half = _MAX_MESSAGE // 2
        text = text[:half] + "\n\n*** Error message is too long, truncated ***\n\n" + text[-half:]
    codes = {error.error_code for error in failures.values()
             if isinstance(error, MlflowException) and error.error_code != "INTERNAL_ERROR"}
    code = codes.pop() if len(codes) == 1 else INTERNAL_ERROR
    return MlflowException("The following failures occurred while downloading one or more "
                           f"artifacts from {root_uri}:\n{text}", code)
