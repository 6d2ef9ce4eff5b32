"""Issue 16, point 5: nothing is written in place. A file is replaced whole or not at all, its
permission bits are kept, and a ``realitygap report`` killed or refused by the disk while it
writes leaves the previous report as it was."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from realitygap.domain.errors import StorageError
from realitygap.ingest import import_file
from realitygap.store import Workspace
from realitygap.store.atomic import atomic_write

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
SRC = Path(__file__).resolve().parents[1] / "src"
PREVIOUS = b"<html><body>the previous Reality Check</body></html>\n"


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_replaces_content_and_keeps_the_mode(tmp_path: Path) -> None:
    path = tmp_path / "settings.toml"
    path.write_text("old", encoding="utf-8")
    path.chmod(0o640)
    atomic_write(path, "new content ✓")
    assert path.read_text(encoding="utf-8") == "new content ✓"
    assert _mode(path) == 0o640
    assert list(tmp_path.iterdir()) == [path]  # no temporary file left behind


def test_new_file_gets_the_usual_mode(tmp_path: Path) -> None:
    umask = os.umask(0o022)
    try:
        atomic_write(tmp_path / "new.html", b"x")
    finally:
        os.umask(umask)
    assert _mode(tmp_path / "new.html") == 0o644  # 0666 less the umask 022, as open() gives


def test_writer_that_fails_leaves_the_old_file(tmp_path: Path) -> None:
    path = tmp_path / "report.xlsx"
    path.write_bytes(PREVIOUS)

    def half_then_fail(tmp: Path) -> None:
        tmp.write_bytes(b"half a workbook")
        raise RuntimeError("renderer crashed")

    with pytest.raises(RuntimeError):
        atomic_write(path, writer=half_then_fail)
    assert path.read_bytes() == PREVIOUS and list(tmp_path.iterdir()) == [path]


def test_disk_error_is_a_storage_error_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "report.pdf"
    path.write_bytes(PREVIOUS)

    def disk_full(tmp: Path) -> None:
        raise OSError(28, "No space left on device")

    with pytest.raises(StorageError) as info:
        atomic_write(path, writer=disk_full)
    assert str(path) in str(info.value) and "No space left" in str(info.value)
    assert path.read_bytes() == PREVIOUS


def test_taxonomy_import_keeps_the_file_mode(ws: Workspace) -> None:
    target = ws.path / "taxonomy.toml"
    target.chmod(0o664)
    import_file(ws, EXAMPLES / "taxonomy.toml", "taxonomy")
    assert _mode(target) == 0o664  # it used to become 0600 (mkstemp's mode)
    assert target.read_bytes() == (EXAMPLES / "taxonomy.toml").read_bytes()


# ---- the report, in a child process ------------------------------------------------------------
@pytest.fixture(scope="module")
def report_ws(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("report") / "ws"
    with Workspace.create(path) as ws:
        for name, kind in (
            ("questions.csv", "questions"),
            ("respondents.csv", "respondents"),
            ("responses_long.csv", "responses"),
        ):
            import_file(ws, EXAMPLES / name, kind)
    return path


def _child(script: str, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    return subprocess.Popen(
        [sys.executable, "-c", script, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


# The CLI with os.fsync slowed down: the first fsync (the new report, complete in its
# temporary file, about to be renamed) signals the parent and then waits to be killed.
_KILLABLE = """
import os, sys, time
from pathlib import Path
marker = Path(sys.argv[1])
real_fsync = os.fsync
def fsync_then_wait(fd):
    real_fsync(fd)
    if not marker.exists():
        marker.write_text(str(os.getpid()))
        time.sleep(120)
os.fsync = fsync_then_wait
from realitygap.cli import app
sys.argv = ["realitygap", *sys.argv[2:]]
app()
"""


def test_report_killed_while_writing_leaves_the_previous_report(
    report_ws: Path, tmp_path: Path
) -> None:
    html = tmp_path / "report.html"
    html.write_bytes(PREVIOUS)
    marker = tmp_path / "writing"
    child = _child(_KILLABLE, str(marker), "report", str(report_ws), "--out", str(html))
    try:
        deadline = time.monotonic() + 180
        while not marker.exists() and child.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        assert marker.exists(), "the report never reached its write"
        partial = [p for p in tmp_path.iterdir() if p.name.startswith(".report.html.")]
        assert partial and partial[0].stat().st_size > len(PREVIOUS)  # the new one, unrenamed
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        assert child.stdout is not None and child.stderr is not None
        child.stdout.close()
        child.stderr.close()
    assert child.returncode == -signal.SIGKILL
    assert html.read_bytes() == PREVIOUS


_LIMITED = """
import resource, signal, sys
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG
resource.setrlimit(resource.RLIMIT_FSIZE, (int(sys.argv[1]), int(sys.argv[1])))
from realitygap.cli import app
sys.argv = ["realitygap", *sys.argv[2:]]
app()
"""


def test_report_on_a_full_disk_exits_2_and_leaves_the_previous_report(
    report_ws: Path, tmp_path: Path
) -> None:
    html = tmp_path / "report.html"
    html.write_bytes(PREVIOUS)
    # no file may grow past 4 kB: the report (about 20 kB) cannot be written, as on a full disk
    child = _child(_LIMITED, "4096", "report", str(report_ws), "--out", str(html))
    _, err = child.communicate(timeout=180)
    assert child.returncode == 2, err
    assert str(html) in " ".join(err.split()) and "Traceback" not in err
    assert html.read_bytes() == PREVIOUS
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]
