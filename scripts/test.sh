#!/usr/bin/env bash
# Install everything the tests need, check style and types, run the suite.
source "$(dirname "$0")/setup.sh"
ruff check .
ruff format --check .
mypy
python -m pytest "$@"
