#!/usr/bin/env bash
# The main job: a drill on the embedded emulator. B2C goes down for the middle third of a
# one-minute run while Locust drives real sign-ins, signed-in browsing and API calls against the
# reference app; the scorecard says whether users kept working. Extra arguments go to the drill.
# Installs only what the drill needs: .venv/ with the project's [drill] extra (no apt-get, no root).
source "$(dirname "$0")/setup.sh" drill
b2c-toolkit drill --scenario idp-outage --out drill-results/idp-outage "$@"
