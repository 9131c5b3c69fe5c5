#!/usr/bin/env bash
# Install everything the tests need (see setup.sh: the [dev] extra, and Debian's redis-server,
# chromium and chromium-driver unless B2C_SKIP_APT=1), check style and types, run the suite.
source "$(dirname "$0")/setup.sh" dev
ruff check .
ruff format --check .
mypy
python -m pytest "$@"
