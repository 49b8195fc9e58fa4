"""Writing files so that no reader ever sees half of one: the batch outputs, eval runs and reports, and the
LLM cache all go through :func:`atomic_write`."""

from __future__ import annotations

import itertools
import os
from pathlib import Path

_TMP_COUNTER = itertools.count()


def atomic_write(path: Path, data: str | bytes, *, mode: int = 0o644, fsync: bool = False) -> None:
    """Write via a temp file in the same folder and rename it over ``path``.

    ``mode`` is applied as ``open(2)`` does (less the umask): outputs get the usual 0644 rather than a temp
    file's 0600, while the LLM cache asks for 0600 because it holds model answers about medical letters.
    ``fsync`` makes the data durable before the rename, for caches meant to survive a power cut.
    The temp file is named after our pid, so one left by a killed process with the same pid is taken over
    and any other process's temp file is never touched.
    """
    path = Path(path)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    tmp = path.with_name(f".{path.name}.{os.getpid()}-{next(_TMP_COUNTER)}.tmp")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(tmp, flags, mode)
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(tmp, flags, mode)
    except FileExistsError:  # left by a killed process that had our pid: take it over
        os.unlink(tmp)
        fd = os.open(tmp, flags, mode)
    try:
        try:
            view = memoryview(payload)
            while view:
                view = view[os.write(fd, view):]
            if fsync:
                os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
