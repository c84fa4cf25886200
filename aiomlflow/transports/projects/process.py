"""Starting an entry point's shell command in a child process."""

from __future__ import annotations

import os
import subprocess


def shell_argv(command: str) -> list[str]:
    """The argv running ``command`` in the platform's shell."""
    return ["cmd", "/c", command] if os.name == "nt" else ["bash", "-c", command]


def start_command(command: str, work_dir: str, env: dict,
                  own_session: bool) -> subprocess.Popen:
    """Start ``command`` in ``work_dir`` with ``env``; in a session of its own with
    ``own_session`` (so that the whole process tree can be signalled).  OSError if it
    cannot be started."""
    return subprocess.Popen(shell_argv(command), close_fds=True, cwd=work_dir, env=env,
                            start_new_session=own_session)
