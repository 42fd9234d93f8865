"""The run review page in a real browser: headless Chromium (Debian package ``chromium``) opens
the page from disk, the script sorts the table and draws the drill-down, and a screenshot is
kept in out/artefacts/ for a person to look at."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from reporting_samples import review_data

from sma.reporting import render_review_page

pytestmark = pytest.mark.browser

ARTEFACTS = Path(__file__).resolve().parents[2] / "out" / "artefacts"


def chromium(tmp_path: Path, url: str, *action: str) -> str:
    exe = shutil.which("chromium") or "/usr/bin/chromium"
    assert Path(exe).exists(), "headless Chromium is missing: install Debian's chromium (the project's setup does)"
    profile = tmp_path / f"profile-{len(list(tmp_path.iterdir()))}"
    args = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--disable-dev-shm-usage", f"--user-data-dir={profile}", "--virtual-time-budget=5000",
            "--window-size=1400,1800", *action, url]
    done = subprocess.run(args, capture_output=True, text=True, timeout=120, check=True)
    return done.stdout


@pytest.fixture(scope="module")
def page_url(tmp_path_factory) -> str:
    folder = tmp_path_factory.mktemp("review")
    path = folder / "review.html"
    path.write_text(render_review_page(review_data()), encoding="utf-8")
    return path.as_uri()


def test_drill_down_opens_from_the_link_with_holdings_trades_lots_and_wash_blocks(page_url, tmp_path):
    dom = chromium(tmp_path, page_url + "#account=ACC-0001", "--dump-dom")
    assert 'data-ready="1"' in dom, "the page's script did not run"
    assert re.search(r'<aside id="drill"[^>]*data-account="ACC-0001"', dom)
    assert "<h2 id=\"drill-title\">ACC-0001 · O'Neil &amp; Sons &lt;script&gt;alert(1)&lt;/script&gt;</h2>" in dom
    drill = dom[dom.index('id="drill-body"'):]
    assert drill.count('<tr class="trade">') == 4
    assert drill.count('<tr class="lot">') == 2 and "lot L-0-0" in drill
    assert 'id="drill-wash"' in drill and "BUY_BLOCKED" in drill and "&lt;/script&gt;&lt;b&gt;x&lt;/b&gt;" in drill
    assert 'class="chart sector-chart"' in drill
    assert "<b>x</b>" not in dom


def test_account_table_sorts_by_tracking_error_after_trades(page_url, tmp_path):
    dom = chromium(tmp_path, page_url + "#sort=te_after:desc", "--dump-dom")
    assert 'data-sorted="te_after:desc"' in dom
    table = dom[dom.index('id="account-table"'):]
    body = table[table.index("<tbody>"):table.index("</tbody>")]
    after = [float(v) for v in re.findall(r'<tr data-account="[^"]+">(?:<td.*?</td>){5}<td class="num" '
                                          r'data-value="([^"]*)"', body)]
    assert len(after) == len(review_data().decisions)
    assert after == sorted(after, reverse=True)
    assert 'aria-sort="descending"' in table


def test_screenshots_for_people_to_look_at(page_url, tmp_path):
    """CI artefacts: the page as the PM first sees it, and with an account opened."""
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    for name, fragment in (("review_page.png", ""), ("review_page_drill.png", "#account=ACC-0001")):
        target = ARTEFACTS / name
        target.unlink(missing_ok=True)
        chromium(tmp_path, page_url + fragment, f"--screenshot={target}")
        assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
