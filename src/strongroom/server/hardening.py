"""Process hardening of a running server: no core dumps.

The server's memory holds the root key, unwrapped data keys and, briefly, secret
values. A core dump would write all of that to disk, readable by whoever can read the
dump. So the server forbids them for itself and its children (a soft RLIMIT_CORE of 0,
which children inherit) and marks itself non-dumpable (PR_SET_DUMPABLE 0, which also keeps
other processes of the same user from attaching a debugger or reading its memory
through /proc).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import resource
import sys

log = logging.getLogger("strongroom.server")

PR_SET_DUMPABLE = 4


def forbid_core_dumps() -> None:
    # The soft limit only: lowering the hard limit cannot be undone without a privilege
    # some containers lack, and non-dumpable already rules out a dump of this process.
    _, hard = resource.getrlimit(resource.RLIMIT_CORE)
    resource.setrlimit(resource.RLIMIT_CORE, (0, hard))
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        if libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0:
            log.warning("could not mark the server non-dumpable (errno %d)", ctypes.get_errno())
    except OSError as exc:
        log.warning("could not mark the server non-dumpable: %s", exc)
