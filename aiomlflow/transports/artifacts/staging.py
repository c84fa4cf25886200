"""Whole-or-nothing file writes: a hidden temporary file beside the target, then
``os.replace``, so a reader sees the old file or the complete new one, never a part.

Every method blocks; stores call them through ``anyio.to_thread``.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil

from .layout import TEMP_PREFIX


class StagedFile:
    """The future content of ``target``, written to ``<dir>/.artifact.uploading.<random>``.

    ``open`` creates the parent directories and the temporary file (mode 0666 less the
    umask, as ``open()`` would create the target); ``write`` appends; ``commit`` moves it
    over the target; ``discard`` removes it (after a failure).
    """

    __slots__ = ("target", "temp_path", "_file")

    def __init__(self, target: str):
        self.target = target
        self.temp_path = ""
        self._file = None

    def open(self) -> "StagedFile":
        """Create the temporary file (and the target's missing parent directories)."""
        directory = os.path.dirname(self.target) or "."
        os.makedirs(directory, exist_ok=True)
        while True:
            path = os.path.join(directory, TEMP_PREFIX + secrets.token_hex(8))
            try:
                # The kernel applies the umask to 0o666, which mkstemp's 0o600 would not.
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
            except FileExistsError:
                continue
            break
        self.temp_path = path
        self._file = os.fdopen(fd, "wb")
        return self

    def write(self, chunk) -> None:
        """Append ``chunk`` to the temporary file."""
        self._file.write(chunk)

    def restart(self) -> None:
        """Empty the temporary file (a retried transfer starts again from byte 0)."""
        self._file.seek(0)
        self._file.truncate()

    def copy_from(self, source: str) -> None:
        """Make the temporary file a copy of the local file ``source``: its bytes
        (streamed by the kernel where it can), then its mode and times, as MLflow's
        local store keeps them."""
        self._file.close()
        shutil.copyfile(source, self.temp_path)
        shutil.copystat(source, self.temp_path)

    def commit(self) -> None:
        """Close the temporary file and move it over the target."""
        if self._file is not None and not self._file.closed:
            self._file.close()
        os.replace(self.temp_path, self.target)
        self.temp_path = ""

    def discard(self) -> None:
        """Close and remove the temporary file; idempotent."""
        if self._file is not None and not self._file.closed:
            with contextlib.suppress(OSError):
                self._file.close()
        if self.temp_path:
            with contextlib.suppress(FileNotFoundError):
                os.remove(self.temp_path)
            self.temp_path = ""


def write_whole(target: str, fill) -> None:
    """Stage ``target``, let ``fill(staged)`` write it, then commit; on any failure
    the temporary file is removed and the target left as it was."""
    staged = StagedFile(target).open()
    try:
        fill(staged)
        staged.commit()
    except BaseException:
        staged.discard()
        raise
