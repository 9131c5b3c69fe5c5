#!/usr/bin/env bash
# Regenerate the README's pictures: the browser tests' screenshots (normal, limited mode,
# sign-in unavailable) and a drill's timeline, into docs/images.
source "$(dirname "$0")/setup.sh" dev
B2C_SCREENSHOTS=docs/images python -m pytest -q tests/sample_app/test_browser.py
b2c-toolkit drill --scenario idp-outage --out drill-results/screenshots >/dev/null || true
cp drill-results/screenshots/timeline.png docs/images/drill-timeline.png
