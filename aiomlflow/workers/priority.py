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
process leaves it for good, keeping the nice value (``leave_idle``), once

* an engine falls behind (its queue half full);
* a caller has waited on an engine (its start, a synchronous call, a read, an artifact)
  while one of its SCHED_IDLE threads was ready to run yet got almost no CPU: a
  priority inversion, the caller's own priority going unused (``wait_unstarved``);
* or the process exits.
"""

from __future__ import annotations

import os
import sys
import threading
import time

_LINUX = sys.platform == "linux"
# set once the process left SCHED_IDLE (engines started later stay out of it)
_left_idle = False
_lowered_to_idle = False  # whether any thread of this process took SCHED_IDLE
# how often a waiting caller looks whether the threads it waits for are starved
STARVE_CHECK_SECONDS = 0.05
_cpu_times: dict = {}  # native thread id: (monotonic time, CPU time) at the last look


def lower(nice_increment: int, idle: bool) -> None:
    """Lower the calling thread's priority: its nice value by ``nice_increment``, and
    the SCHED_IDLE policy if ``idle``.  Elsewhere than Linux, or where the system
    refuses, the priority stays as it is."""
    global _lowered_to_idle
    if not _LINUX:
        return
    tid = threading.get_native_id()
    try:
        if nice_increment:
            os.setpriority(os.PRIO_PROCESS, tid,
                           min(19, os.getpriority(os.PRIO_PROCESS, tid) + nice_increment))
        if idle and not _left_idle:
            os.sched_setscheduler(tid, os.SCHED_IDLE, os.sched_param(0))
            _lowered_to_idle = True
    except (OSError, AttributeError):
        pass


def wait_unstarved(wait, timeout: float | None = None) -> bool:
    """Call ``wait(seconds)`` (True once what it waits for is done) until it is done
    or ``timeout`` passes; return whether it is done.  Until the process leaves
    SCHED_IDLE, look every STARVE_CHECK_SECONDS whether one of its threads under it is
    starved (``leave_idle_if_starved``), and leave SCHED_IDLE if so (an engine thread just
    started may not have taken it yet: the caller looks all the same)."""
    deadline = None if timeout is None else time.monotonic() + timeout
    while may_starve():
        remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
        if wait(STARVE_CHECK_SECONDS if remaining is None
                else min(remaining, STARVE_CHECK_SECONDS)):
            return True
        if remaining is not None and remaining <= STARVE_CHECK_SECONDS:
            return False
        leave_idle_if_starved()
    return wait(None if deadline is None else max(0.0, deadline - time.monotonic()))


def wait_future(future, timeout: float | None = None) -> bool:
    """Whether the concurrent ``future`` is done within ``timeout`` (waited for as
    wait_unstarved waits)."""
    from concurrent.futures import wait

    return wait_unstarved(lambda seconds: not wait((future,), seconds).not_done, timeout)


def may_starve() -> bool:
    """Whether threads of this process may run, or come to run, under SCHED_IDLE: a
    caller waiting on them looks every STARVE_CHECK_SECONDS whether they are starved."""
    return _LINUX and not _left_idle


def leave_idle_if_starved() -> None:
    """Leave SCHED_IDLE if a thread of this process running under it is starved: ready
    to run (Linux state R), yet given less than a tenth of the time since a waiting
    caller's previous look (a thread that runs, or sleeps waiting for I/O, is not).
    A first look only takes the threads' CPU times."""
    global _cpu_times
    if not _lowered_to_idle or _left_idle:
        return
    now = time.monotonic()
    previous, _cpu_times = _cpu_times, {}
    for thread in threading.enumerate():
        tid = thread.native_id
        try:
            if tid is None or os.sched_getscheduler(tid) != os.SCHED_IDLE:
                continue
            cpu = time.clock_gettime(time.pthread_getcpuclockid(thread.ident))
            with open(f"/proc/self/task/{tid}/stat", "rb") as stat_file:
                stat = stat_file.read()
        except (OSError, AttributeError):  # the thread just ended, or no such call here
            continue
        _cpu_times[tid] = (now, cpu)
        last = previous.get(tid)
        if last is None or now - last[0] > 4 * STARVE_CHECK_SECONDS:
            continue  # no recent look to compare with
        state_at = stat.rindex(b")") + 2  # (the name before it may hold anything)
        ready = stat[state_at:state_at + 1] == b"R"
        if ready and cpu - last[1] < 0.1 * (now - last[0]):
            leave_idle()
            return


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
    global _left_idle, _lowered_to_idle
    _left_idle = _lowered_to_idle = False  # the child's engines start afresh


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)
