"""CPU priority of the engine's threads (Linux, where a priority belongs to a thread).

The engine's loop thread lowers its own priority when it starts, and the threads it
starts (the SQLite connection's, artifact uploads) inherit it:

* its nice value is raised by AIOMLFLOW_ENGINE_NICE (default 10);
* with AIOMLFLOW_ENGINE_IDLE (default true) it also takes the SCHED_IDLE policy: the
  lowest scheduling weight, and any other thread waking on its CPU runs at once, so the
  writes take the CPU time the machine leaves idle.  A nice value
  alone is not enough beside a latency-sensitive service: the scheduler lets a running
  low-priority writer finish its time slice before a thread that just woke up (the
  service's loop, or a client on the same machine) gets the CPU.

SCHED_IDLE could starve the writes on a machine that other work keeps busy, so the
process leaves it for good, keeping the nice value, once an engine falls behind (its
queue half full) or the process exits (``leave_idle``).
"""

from __future__ import annotations

import os
import sys
import threading

_LINUX = sys.platform == "linux"
# set once the process left SCHED_IDLE (engines started later stay out of it)
_left_idle = False


def lower(nice_increment: int, idle: bool) -> None:
    """Lower the calling thread's priority: its nice value by ``nice_increment``, and
    the SCHED_IDLE policy if ``idle``.  Elsewhere than Linux, or where the system
    refuses, the priority stays as it is."""
    if not _LINUX:
        return
    tid = threading.get_native_id()
    try:
        if nice_increment:
            os.setpriority(os.PRIO_PROCESS, tid,
                           min(19, os.getpriority(os.PRIO_PROCESS, tid) + nice_increment))
        if idle and not _left_idle:
            os.sched_setscheduler(tid, os.SCHED_IDLE, os.sched_param(0))
    except (OSError, AttributeError):
        pass


def leave_idle() -> None:
    """Move every thread of this process that runs under SCHED_IDLE back to the normal
    policy (nice values stay as they are), once: an engine fell behind, or the process
    is exiting and its data must be written whatever else the machine runs."""
    global _left_idle
    if _left_idle or not _LINUX:
        return
    _left_idle = True
    for thread in threading.enumerate():
        tid = thread.native_id
        try:
            if tid is not None and os.sched_getscheduler(tid) == os.SCHED_IDLE:
                os.sched_setscheduler(tid, os.SCHED_OTHER, os.sched_param(0))
        except (OSError, AttributeError):  # the thread just ended, or no such call here
            pass


def _after_fork_in_child() -> None:
    global _left_idle
    _left_idle = False  # the child's engines start afresh


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)
