"""Regenerates the README's pictures from the demo company: the report's first page
(docs/images/report-first-page.png, from the demo's PDF with pdftoppm at 110 dpi) and the team
dashboard's summary page (docs/images/dashboard.png, Debian's chromium at 1280 x 900, signed
in as an analyst).

    make screenshots      # or: .venv/bin/python tools/screenshots.py
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.browser import CHROMIUM_ARGS  # noqa: E402
from tests.service_fixtures import serving  # noqa: E402

IMAGES = ROOT / "docs" / "images"
PASSWORD = "a long pass phrase for the picture"
EMAIL = "analyst@example.com"


def report_first_page(demo: Path) -> Path:
    out = IMAGES / "report-first-page"
    subprocess.run(
        ["pdftoppm", "-png", "-r", "110", "-f", "1", "-l", "1", "-singlefile",
         str(demo / "report.pdf"), str(out)],
        check=True,
    )  # fmt: skip
    return out.with_suffix(".png")


def dashboard(demo: Path) -> Path:
    from playwright.sync_api import sync_playwright

    from realitygap.service.access import add_user
    from realitygap.store.workspace import Workspace

    with Workspace.open(demo) as ws:
        add_user(ws, EMAIL, "Analyst", "analyst", PASSWORD)
    out = IMAGES / "dashboard.png"
    executable = shutil.which("chromium")
    if executable is None:
        raise SystemExit("chromium missing: run make sysdeps")
    with serving(demo) as base, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.set_default_timeout(300_000)  # the first page computes the Reality Check
        page.goto(base + "/app/summary")
        page.get_by_label("E-mail address").fill(EMAIL)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(base + "/app/summary")
        # the live box fills itself from /app/live a moment after the page loads
        page.locator("#live-gap", has_not_text="load in a moment").wait_for()
        page.screenshot(path=str(out))
        browser.close()
    return out


def main() -> None:
    cli = Path(sys.executable).parent / "realitygap"
    with tempfile.TemporaryDirectory() as tmp:
        demo = Path(tmp) / "demo"
        subprocess.run(
            [str(cli), "demo", "--dir", str(demo)], check=True, stdout=subprocess.DEVNULL
        )
        for made in (report_first_page(demo), dashboard(demo)):
            print(f"wrote {made.relative_to(ROOT)} ({made.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main()
