"""`tenant audit --format html` in headless Chromium: the six areas of Microsoft's infrastructure
guidance as sections in its order, each finding with its fix and source page, a page that prints.

With B2C_TOOLKIT_SCREENSHOTS=1 the screenshot is written to docs/images/tenant-audit-report.png
(the picture docs/entra-resilience.md shows); otherwise to the test's temporary folder.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support import NO_CHROMIUM, chromium, has_chromium
from tests.tenant.exports import ROOT
from tests.tenant.test_workforce_export import ADMIN, export
from toolkit.cli import main
from toolkit.tenant.registry import AREAS, all_rules

SHOT = ROOT / "docs" / "images" / "tenant-audit-report.png"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not has_chromium():
        pytest.skip(NO_CHROMIUM)
    driver = chromium("--hide-scrollbars")
    yield driver
    driver.quit()


def test_html_report_of_the_workforce_tenant(graph_workforce, monkeypatch, tmp_path, capsys, browser):
    code, err = export(monkeypatch, graph_workforce, "workforce-problems", tmp_path / "export", client=ADMIN)
    assert code == 0, err
    page = tmp_path / "report.html"
    argv = ["tenant", "audit", str(tmp_path / "export"), "--at", "2026-06-01", "--emergency-access", "Emergency access"]
    assert main([*argv, "-f", "html", "-o", str(page)]) == 1
    capsys.readouterr()
    browser.set_window_size(1100, 900)
    browser.get(page.as_uri())
    sections = browser.execute_script("return [...document.querySelectorAll('section > h2')].map(h => h.innerText)")
    assert sections == [title for title, _ in AREAS.values()]  # the six areas, in the guidance's order
    findings = browser.execute_script(
        "return [...document.querySelectorAll('section')].map(s => [s.id, s.querySelectorAll('.finding').length])"
    )
    areas = {r.area for r in all_rules() if r.area}
    assert dict(findings) == {area: sum(1 for r in all_rules() if r.area == area) for area in areas}  # one per rule here
    texts = browser.execute_script("return [...document.querySelectorAll('.finding')].map(f => f.innerText)")
    assert all("Fix:" in t and "Source:" in t for t in texts)
    links = browser.execute_script("return [...document.querySelectorAll('.finding a')].map(a => a.href)")
    assert all(link.startswith("https://learn.microsoft.com/") for link in links)
    wide = browser.execute_script("return document.documentElement.scrollWidth > window.innerWidth + 1")
    assert not wide
    height = browser.execute_script("return document.documentElement.scrollHeight")
    browser.set_window_size(1100, min(height, 6000))
    target = SHOT if os.environ.get("B2C_TOOLKIT_SCREENSHOTS") == "1" else tmp_path / SHOT.name
    browser.save_screenshot(str(target))
    assert target.stat().st_size > 10_000
    pdf = base64.b64decode(browser.print_page())  # printable: Chromium's own print to PDF
    assert pdf.startswith(b"%PDF") and pdf.count(b"/Type /Page\n") + pdf.count(b"/Type/Page") >= 1


def test_html_of_an_example_without_findings_in_an_area(tmp_path, capsys):
    page = tmp_path / "r.html"
    assert (
        main(["tenant", "audit", str(ROOT / "policies/tenant-examples/hyb003"), "--at", "2026-06-01", "-f", "html", "-o", str(page)]) == 1
    )
    text = page.read_text()
    assert text.count('<p class="ok">No finding.</p>') == 5 and "HYB003 Directory sync has not run recently" in text
    assert "Not checked: HYB001 (domains: not exported: not part of this example)" in text
    assert "<script" not in text and Path(page).read_text().startswith("<!DOCTYPE html>")
