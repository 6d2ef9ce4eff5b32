"""Write a file so that readers see the old content or the new, never a part.

The new content goes to a temporary file in the same folder (so the rename stays on one file
system), is flushed to disk, takes the old file's permission bits (or the usual ones for a
new file: 0666 less the umask), and replaces the old file with one ``os.replace``. A process
killed, or a disk filling up, before the rename leaves the old file as it was; the temporary
file (``.NAME.*.tmp``) is removed whenever the writing process lives to do so.
"""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path

from realitygap.domain.errors import StorageError


def _new_file_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def atomic_write(
    path: str | Path,
    content: str | bytes | None = None,
    *,
    writer: Callable[[Path], None] | None = None,
    encoding: str = "utf-8",
) -> Path:
    """Replace ``path`` with ``content`` (text is encoded with ``encoding``) or with what
    ``writer(temporary_path)`` writes there (for libraries that write to a path themselves:
    WeasyPrint, openpyxl, joblib). Returns ``path``.

    Raises :class:`StorageError` naming ``path`` when the disk refuses the write; the old file
    is then untouched.
    """
    if (content is None) == (writer is None):
        raise TypeError("atomic_write needs exactly one of content and writer")
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        mode = stat.S_IMODE(target.stat().st_mode)
    except FileNotFoundError:
        mode = _new_file_mode()
    fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    tmp = Path(name)
    try:
        if writer is None:
            data = content.encode(encoding) if isinstance(content, str) else content
            assert data is not None
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
        else:
            os.close(fd)
            writer(tmp)
            with tmp.open("rb+") as fh:
                os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise StorageError(
            f"{target}: could not write ({exc.strerror or exc}); the previous file is unchanged"
        ) from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _sync_folder(target.parent)
    return target


def _sync_folder(folder: Path) -> None:
    """Make the rename itself durable (POSIX; a no-op where folders cannot be opened)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
