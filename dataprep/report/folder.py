"""The output folder is the user's: what dataprep may replace, and how it replaces it.

- **Only its own folders.** Every folder a build writes carries a marker file (``MARKER``). A
  build replaces ``output`` (or ``<output>.failed``) only when it is absent, empty, or carries
  the marker; any other folder, the config's folder, a folder holding an input, and any
  ancestor of those are refused before anything is read (``check_output``).
- **One build at a time.** An exclusive lock (``flock`` on ``.<output>.lock`` beside it) is held
  for the whole build; a second build into the same folder stops at once with one line.
- **Never half a folder.** Outputs are written to a staging folder beside ``output`` and swapped
  in with one atomic ``renameat2(RENAME_EXCHANGE)`` (Linux), so a kill at any point leaves the
  old or the new output complete at ``output``. Where the exchange is not available, two renames
  are used and the next build puts the old output back if a kill fell between them.
- **No leftovers.** Staging and old copies of killed builds (hidden, marked) are removed by the
  next build into the same folder, under the lock.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import json
import os
import shutil
import signal
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from dataprep.config import ConfigError

MARKER = ".dataprep-output"
MARKER_TEXT = (
    "This folder was written by dataprep. `dataprep build` replaces it whole: keep nothing else "
    "here.\n"
)
# Environment variable naming a fault point at which the process kills itself (SIGKILL): how the
# tests prove that a kill anywhere leaves a complete output. Never set it outside tests.
FAULT_ENV = "DATAPREP_FAULT_KILL_AT"


class OutputError(ConfigError):
    """The output folder cannot be used or written; the message names it and the fix."""


def fault_point(name: str) -> None:
    """Kill this process here when the tests ask for it (``FAULT_ENV``)."""
    if os.environ.get(FAULT_ENV) == name:
        os.kill(os.getpid(), signal.SIGKILL)


def failed_dir(out: Path) -> Path:
    """Return where a build whose gate failed leaves its outputs."""
    return out.with_name(out.name + ".failed")


def check_output(out: Path, shown: str, config_dir: Path, inputs: Iterable[Path]) -> None:
    """Raise ``OutputError`` unless ``out`` and ``<out>.failed`` are folders a build may replace:
    not the config's folder or an ancestor of it, holding no input, and each absent, empty or
    written by dataprep. ``shown`` is ``output`` as the config spells it, for the message."""
    key = "output"
    config_dir = config_dir.resolve()
    resolved_inputs = [p.resolve() for p in inputs]
    for path, target in ((out, shown), (failed_dir(out), f"{shown}.failed")):
        real = path.resolve()
        if config_dir.is_relative_to(real):
            raise OutputError(
                f"{key}: '{target}' is the config's folder or holds it; name a folder of its "
                "own for the outputs, e.g. out"
            )
        held = next((p for p in resolved_inputs if p.is_relative_to(real)), None)
        if held is not None:
            raise OutputError(
                f"{key}: '{target}' holds the input '{held}'; name a folder of its own for the "
                "outputs"
            )
        if real.exists() and not real.is_dir():
            raise OutputError(f"{key}: '{target}' is a file; name a folder for the outputs")
        if real.is_dir() and not is_dataprep_folder(real) and any(real.iterdir()):
            raise OutputError(
                f"{key}: '{target}' is a folder dataprep did not write (it has files and no "
                f"{MARKER} marker); a build would replace it whole. Name another folder, or "
                "empty it first"
            )


def is_dataprep_folder(folder: Path) -> bool:
    """True when ``folder`` carries dataprep's marker, or is a build from before the marker (its
    manifest.json has a build's keys)."""
    if (folder / MARKER).is_file():
        return True
    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(manifest, dict) and {"config_sha256", "stages", "outputs"} <= set(manifest)


@contextlib.contextmanager
def locked(out: Path) -> Iterator[None]:
    """Hold the build lock of ``out`` (``OutputError`` when another build holds it), after
    putting back an output a killed build left aside and removing its leftovers."""
    out.parent.mkdir(parents=True, exist_ok=True)
    lock = out.parent / f".{out.name}.lock"
    fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise OutputError(
                f"output: another dataprep build is writing '{out}'; wait for it to finish"
            ) from None
        for target in (out, failed_dir(out)):
            _recover(target)
        yield
    finally:
        os.close(fd)


def new_staging(out: Path) -> Path:
    """Return a new staging folder beside ``out``, marked as dataprep's from the start."""
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(staging, 0o777 & ~umask)  # mkdtemp's 0700 would hide the outputs from the team
    (staging / MARKER).write_text(MARKER_TEXT, encoding="utf-8")
    return staging


def publish(staging: Path, target: Path) -> None:
    """Put ``staging`` at ``target``, replacing what is there, so that ``target`` is at every
    moment either the old or the new folder, complete."""
    fault_point("publish:start")
    if not target.exists():
        os.rename(staging, target)
        fault_point("publish:renamed")
        return
    if _exchange(staging, target):
        fault_point("publish:exchanged")
        shutil.rmtree(staging)  # now the old output
        fault_point("publish:old-removed")
        return
    old = target.with_name(f".{target.name}.old-{os.getpid()}")
    os.rename(target, old)
    fault_point("publish:old-aside")
    os.rename(staging, target)
    shutil.rmtree(old)


def _leftovers(target: Path) -> list[Path]:
    """Return the staging and old folders of earlier builds into ``target``."""
    prefixes = (f".{target.name}.tmp-", f".{target.name}.old-")
    if not target.parent.is_dir():
        return []
    return sorted(p for p in target.parent.iterdir() if p.name.startswith(prefixes))


def _recover(target: Path) -> None:
    """Under the lock: put back an old output a kill left aside (two-rename publish), then
    remove the leftovers dataprep made (marked, or empty)."""
    leftovers = _leftovers(target)
    if not target.exists():
        old = [p for p in leftovers if ".old-" in p.name and is_dataprep_folder(p)]
        if old:
            os.rename(old[-1], target)
            leftovers.remove(old[-1])
    for path in leftovers:
        if (
            path.is_dir()
            and not path.is_symlink()
            and (is_dataprep_folder(path) or not any(path.iterdir()))
        ):
            shutil.rmtree(path)


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> bool:
    """Swap the folders ``a`` and ``b`` atomically; False where the system cannot."""
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError):
        return False
    renameat2.argtypes = [
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_uint,
    ]
    result = renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    if result == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False
    raise OSError(err, os.strerror(err), str(b))
