#!/usr/bin/env bash
# The main job: lint the project's resilient policy set, then show what the linter finds in an
# anti-pattern set, on its merged inheritance chain.
source "$(dirname "$0")/setup.sh"
b2c-toolkit lint policies/resilient
echo
echo "Anti-patterns, for contrast (expected to fail):"
b2c-toolkit lint policies/antipatterns --fail-on never
