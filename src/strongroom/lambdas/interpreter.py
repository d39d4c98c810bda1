"""An interpreter the function user can run, when the server's own is out of its reach.

A server installed under a private home directory (pyenv under /root, say) runs on an
interpreter that `nobody` cannot even start. Rather than run functions as root — they
could then read the root key — strongroom builds, once, a thin virtual environment on
the system's Python of the same version, inside the root-owned function directory,
whose only content is a line making the server's site-packages importable (boto3, the
database drivers). Functions then run as the unprivileged user on that interpreter.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import sysconfig
from pathlib import Path

log = logging.getLogger("strongroom.lambdas")

_CANDIDATES = ("/usr/bin/python{v}", "/usr/local/bin/python{v}", "/opt/python{v}/bin/python{v}")


def shared_interpreter(function_dir: Path) -> str | None:
    """The path of a Python of this server's version, with this server's packages, that
    any user may run; built under `function_dir` (root-owned, 0755) on first use. None
    when the system has no such Python."""
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    venv = function_dir / "python"
    python = venv / "bin" / "python"
    site = venv / "lib" / f"python{version}" / "site-packages"
    marker = site / "strongroom-server-packages.pth"
    wanted = "".join(f"import site; site.addsitedir({p!r})\n" for p in _site_dirs())
    if python.exists() and marker.exists() and marker.read_text() == wanted:
        return str(python)
    for pattern in _CANDIDATES:
        base = pattern.format(v=version)
        if not os.access(base, os.X_OK):
            continue
        try:
            subprocess.run([base, "-m", "venv", "--without-pip", "--clear", str(venv)],  # noqa: S603
                           check=True, capture_output=True, timeout=120)
        except (OSError, subprocess.SubprocessError) as exc:
            log.warning("could not build a function interpreter on %s: %s", base, exc)
            continue
        marker.write_text(wanted)
        for path in [venv, *venv.rglob("*")]:
            if not path.is_symlink():
                path.chmod(0o755 if path.is_dir() else 0o644 if not os.access(path, os.X_OK)
                           else 0o755)
        log.info("functions run on %s (%s with this server's packages)", python, base)
        return str(python)
    return None


def _site_dirs() -> list[str]:
    paths = sysconfig.get_paths()
    return sorted({paths["purelib"], paths["platlib"]})
