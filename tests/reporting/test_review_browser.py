"""The run review page in a real browser: headless Chromium (Debian package ``chromium``) opens
the page from disk, the script sorts the table and draws the drill-down, and a screenshot is
kept in out/artefacts/ for a person to look at."""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest
from reporting_samples import review_data

from sma.reporting import render_review_page, sector_sums

# a real browser process per test: end to end, so in the slow group
pytestmark = [pytest.mark.browser, pytest.mark.slow]

ARTEFACTS = Path(__file__).resolve().parents[2] / "out" / "artefacts"


def chromium(tmp_path: Path, url: str, *action: str, width: int = 1400) -> str:
    exe = shutil.which("chromium") or "/usr/bin/chromium"
    assert Path(exe).exists(), (
        "headless Chromium is missing: install Debian's chromium (the project's setup does)"
    )
    profile = tmp_path / f"profile-{len(list(tmp_path.iterdir()))}"
    args = [
        exe,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        f"--user-data-dir={profile}",
        "--virtual-time-budget=5000",
        f"--window-size={width},1800",
        *action,
        url,
    ]
    done = subprocess.run(args, capture_output=True, text=True, timeout=120, check=True)
    return done.stdout


@pytest.fixture(scope="module")
def page_url(tmp_path_factory) -> str:
    folder = tmp_path_factory.mktemp("review")
    path = folder / "review.html"
    path.write_text(render_review_page(review_data()), encoding="utf-8")
    return path.as_uri()


def test_drill_down_opens_from_the_link_with_holdings_trades_lots_and_wash_blocks(
    page_url, tmp_path
):
    dom = chromium(tmp_path, page_url + "#account=ACC-0001", "--dump-dom")
    assert 'data-ready="1"' in dom, "the page's script did not run"
    assert re.search(r'<aside id="drill"[^>]*data-account="ACC-0001"', dom)
    assert (
        '<h2 id="drill-title">ACC-0001 · O\'Neil &amp; Sons &lt;script&gt;alert(1)&lt;/script&gt;</h2>'
        in dom
    )
    drill = dom[dom.index('id="drill-body"') :]
    assert drill.count('<tr class="trade">') == 4
    assert drill.count('<tr class="lot">') == 2 and "lot L-0-0" in drill
    assert (
        'id="drill-wash"' in drill
        and "BUY_BLOCKED" in drill
        and "&lt;/script&gt;&lt;b&gt;x&lt;/b&gt;" in drill
    )
    assert 'class="chart sector-chart"' in drill
    assert "<b>x</b>" not in dom


def test_account_table_sorts_by_tracking_error_after_trades(page_url, tmp_path):
    dom = chromium(tmp_path, page_url + "#sort=te_after:desc", "--dump-dom")
    assert 'data-sorted="te_after:desc"' in dom
    table = dom[dom.index('id="account-table"') :]
    body = table[table.index("<tbody>") : table.index("</tbody>")]
    after = [
        float(v)
        for v in re.findall(
            r'<tr data-account="[^"]+"[^>]*>(?:<td.*?</td>){5}<td class="num" '
            r'data-value="([^"]*)"',
            body,
        )
    ]
    assert len(after) == len(review_data().decisions)
    assert after == sorted(after, reverse=True)
    assert 'aria-sort="descending"' in table


def shown_rows(dom: str, table_id: str) -> list[str]:
    """Account ids of the rows of ``table_id`` the script left visible."""
    table = dom[dom.index(f'id="{table_id}"') :]
    body = table[table.index("<tbody>") : table.index("</tbody>")]
    return [
        m.group(1)
        for m in re.finditer(r'<tr data-account="([^"]+)"([^>]*)>', body)
        if "hidden" not in m.group(2)
    ]


def test_status_filter_shows_only_that_status_from_the_link(page_url, tmp_path):
    d = review_data().decisions
    dom = chromium(tmp_path, page_url + "#status=NO_TRADE", "--dump-dom")
    assert 'data-filter="status=NO_TRADE&amp;kind="' in dom
    assert (
        shown_rows(dom, "account-table") == d.loc[d["status"] == "NO_TRADE", "account_id"].tolist()
    )
    assert f'id="filter-count">{int((d["status"] == "NO_TRADE").sum())} shown<' in dom


def test_kind_filter_shows_the_accounts_and_exceptions_of_that_kind(page_url, tmp_path):
    data = review_data()
    e = data.exceptions
    dom = chromium(tmp_path, page_url + "#kind=TE_LIMIT", "--dump-dom")
    assert shown_rows(dom, "account-table") == e.loc[e["kind"] == "TE_LIMIT", "account_id"].tolist()
    assert (
        shown_rows(dom, "exception-table") == e.loc[e["kind"] == "TE_LIMIT", "account_id"].tolist()
    )
    dom = chromium(tmp_path, page_url + "#kind=ANY", "--dump-dom")
    assert sorted(shown_rows(dom, "account-table")) == sorted(set(e["account_id"]))
    dom = chromium(tmp_path, page_url + "#kind=NONE&status=TRADED", "--dump-dom")
    d = data.decisions
    expected = d.loc[
        (d["status"] == "TRADED") & ~d["account_id"].isin(e["account_id"]), "account_id"
    ].tolist()
    assert shown_rows(dom, "account-table") == expected and expected


def test_tax_cost_and_gain_budget_cards_show_tonights_figures(page_url, tmp_path):
    d = review_data().decisions
    taxable = d["account_type"] == "TAXABLE"
    dom = chromium(tmp_path, page_url, "--dump-dom")
    cards = dict(re.findall(r'data-figure="([^"]+)" data-value="([^"]*)"', dom))
    assert float(cards["Est. tax cost"]) == pytest.approx(d["tax_cost"].sum(), abs=0.005)
    assert float(cards["Gains realized LT"]) == pytest.approx(
        d.loc[taxable, "net_lt"].sum(), abs=0.005
    )
    budgeted = d["gain_budget"].notna()
    assert float(cards["Gain budget left"]) == pytest.approx(
        d.loc[budgeted, "budget_left"].sum(), abs=0.005
    )
    assert 'id="tax-note"' in dom and "TAXABLE accounts only" in dom


def test_drill_down_sector_chart_sums_every_holding_though_few_are_listed(tmp_path):
    data = review_data()
    listed = data.holdings.groupby("account_id").head(3)  # the page lists three holdings an account
    page = tmp_path / "review.html"
    page.write_text(
        render_review_page(replace(data, holdings=listed, sectors=sector_sums(data.holdings)))
    )
    dom = chromium(tmp_path, page.as_uri() + "#account=ACC-0002", "--dump-dom")
    mine = data.holdings[data.holdings["account_id"] == "ACC-0002"]
    assert f"Holdings vs target (3 listed of {len(mine)}" in dom
    after = mine.groupby("sector")["weight_after"].sum()
    for sector, weight in after.items():
        assert f"{weight * 100:.1f}% / " in dom, sector


#: Headless Chromium keeps its window at least 500 px wide: a phone is a 390 px frame inside it.
PHONE = 390


def on_a_phone(tmp_path: Path, page_url: str) -> str:
    """A page holding ``page_url`` in a ``PHONE``-wide frame, as a file URL."""
    wrapper = tmp_path / f"phone-{len(list(tmp_path.iterdir()))}.html"
    wrapper.write_text(
        f'<!DOCTYPE html><html><body style="margin:0"><iframe src="{page_url}" width="{PHONE}" '
        'height="1800" '
        'style="border:0"></iframe><script>window.addEventListener("message", function (e) '
        '{ document.body.setAttribute("data-page-width", e.data); });</script></body></html>'
    )
    return wrapper.as_uri()


def test_page_fits_a_390_pixel_phone_without_sideways_scrolling(tmp_path):
    """Wide tables scroll inside their own box; the page itself is no wider than the phone."""
    page = tmp_path / "review.html"
    probe = (
        "<script>setTimeout(function () { "
        "parent.postMessage(String(document.documentElement.scrollWidth), "
        "'*'); }, 0);</script></body>"
    )
    page.write_text(render_review_page(review_data()).replace("</body>", probe))
    for fragment in ("", "#account=ACC-0001", "#status=FLAGGED"):
        dom = chromium(
            tmp_path, on_a_phone(tmp_path, page.as_uri() + fragment), "--dump-dom", width=500
        )
        width = int(re.search(r'data-page-width="(\d+)"', dom).group(1))
        assert width <= PHONE, fragment


def test_screenshots_for_people_to_look_at(page_url, tmp_path):
    """CI artefacts: the page as the PM first sees it, with an account opened, and on a 390 px
    phone."""
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    for name, fragment, phone in (
        ("review_page.png", "", False),
        ("review_page_drill.png", "#account=ACC-0001", False),
        ("review_page_390.png", "", True),
        ("review_page_drill_390.png", "#account=ACC-0001", True),
    ):
        target = ARTEFACTS / name
        target.unlink(missing_ok=True)
        url = on_a_phone(tmp_path, page_url + fragment) if phone else page_url + fragment
        chromium(tmp_path, url, f"--screenshot={target}", width=500 if phone else 1400)
        assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_an_amount_under_half_a_dollar_shows_as_0_dollars_never_minus_0(tmp_path):
    data = review_data()
    first = data.decisions["account_id"] == "ACC-0001"
    decisions = data.decisions.assign(
        realized_st=data.decisions["realized_st"].where(~first, -0.3),
        budget_left=data.decisions["budget_left"].where(~first, -0.49),
    )
    page = tmp_path / "review.html"
    page.write_text(render_review_page(replace(data, decisions=decisions)))
    dom = chromium(tmp_path, page.as_uri() + "#account=ACC-0001", "--dump-dom")
    drill = dom[dom.index('id="drill-body"') :]
    assert "<dt>Realized ST</dt><dd>$0</dd>" in drill and "<dt>Budget left</dt><dd>$0</dd>" in drill
    assert "-$0<" not in dom
