"""Threads, timing and the environment record of a run (versions, git commit, the digest
of the package source the run used)."""

from __future__ import annotations

import datetime
import hashlib
import platform
import shlex
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import torch

REPO = Path(__file__).resolve().parents[2]
PACKAGE_DIR = REPO / "sk_hypergan"


def set_threads(n):
    """Limit torch's intra-op threads and the BLAS / OpenMP pools to ``n`` for the rest
    of the process (fit times depend on it; it is recorded)."""
    from threadpoolctl import threadpool_limits

    torch.set_num_threads(int(n))
    threadpool_limits(int(n))


def source_digest(package_dir=PACKAGE_DIR):
    """SHA-1 over the package's ``*.py`` files (relative path, then bytes, in sorted
    order): tells apart runs on different uncommitted states of the package, which
    ``git describe --dirty`` cannot.

    Parameters
    ----------
    package_dir : path-like, default=<repository>/sk_hypergan

    Returns
    -------
    str
        40 hex digits.
    """
    root = Path(package_dir)
    return files_digest(root, root.rglob("*.py"))


def files_digest(root, paths):
    """SHA-1 over ``paths`` (relative path to ``root``, then bytes, in sorted order;
    ``__pycache__`` left out): the digest of :func:`source_digest` and of the
    benchmarks' own sources (``run.benchmarks_digest``).

    Parameters
    ----------
    root : path-like
    paths : iterable of path-like
        Files under ``root``.

    Returns
    -------
    str
        40 hex digits.
    """
    root = Path(root)
    digest = hashlib.sha1()
    for path in sorted(Path(p) for p in paths if "__pycache__" not in Path(p).parts):
        digest.update(str(path.relative_to(root)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _git(*args):
    try:
        out = subprocess.run(
            ["git", "-C", str(REPO), *args], capture_output=True, text=True, check=True
        )
        return out.stdout.strip()
    except Exception:  # not a checkout, or no git
        return None


def _version(module_name):
    try:
        return __import__(module_name).__version__
    except Exception:  # not installed: recorded, not fatal
        return None


def environment(argv=None):
    """Versions, machine, date, command line, git commit and dirty flag, and the digest
    of the ``sk_hypergan`` source that is imported (the one the run measures).

    Parameters
    ----------
    argv : list of str or None, default=None
        The command line to record (default ``sys.argv``).

    Returns
    -------
    dict
    """
    import sk_hypergan

    imported = Path(sk_hypergan.__file__).resolve().parent
    status = _git("status", "--porcelain", "--", "sk_hypergan")
    return {
        "date_utc": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "command": shlex.join(["python", *(sys.argv if argv is None else argv)]),
        "git_commit": _git("rev-parse", "HEAD"),
        "package_dirty": None if status is None else bool(status),
        "sk_hypergan_path": str(imported),
        "sk_hypergan_source_sha1": source_digest(imported),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "torch_threads": torch.get_num_threads(),
        "cuda_device": torch.cuda.get_device_name() if torch.cuda.is_available() else None,
        "versions": {
            name: _version(name)
            for name in (
                "sk_hypergan", "torch", "numpy", "scipy", "sklearn", "skorch",
                "catboost", "ngboost", "scoringrules",
            )
        },
    }


def synchronize(device):
    """Wait for the device's queued work (a no-op on the CPU), so timers see it."""
    if torch.device(device).type == "cuda":
        torch.cuda.synchronize(device)


@contextmanager
def timer():
    """``with timer() as t: ...``; ``t()`` is the elapsed seconds (frozen at exit)."""
    start = time.perf_counter()
    end = []
    yield lambda: (end[0] if end else time.perf_counter()) - start
    end.append(time.perf_counter())


def log(message):
    """A progress line on stderr."""
    print(message, file=sys.stderr, flush=True)
