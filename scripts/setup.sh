# Sourced by the other scripts, with what they need:
#
#   source scripts/setup.sh drill   (scripts/demo.sh) .venv/ with the project and its [drill] extra:
#                                   the emulator, the reference app, Locust and matplotlib (about 300 MB)
#   source scripts/setup.sh dev     (scripts/test.sh) .venv/ with the [dev] extra: the above and the test,
#                                   lint, type-check and docs tools (about 570 MB); and Debian's
#                                   redis-server (shared-session tests), chromium and chromium-driver
#                                   (browser tests), podman, runc and debootstrap (container image tests),
#                                   graphviz (the tenant audit's rendered map)
#                                   with apt-get when they are missing
#
# B2C_SKIP_APT=1 skips apt-get (no root or sudo needed): the tests that need those programs skip.
# B2C_SETUP_PLAN=1 prints what would be installed, installs nothing and ends the calling script.
# Each step says what it installs before it starts; nothing is printed when everything is in place.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
B2C_SETUP="${1:-dev}"
case "$B2C_SETUP" in
  drill) extra=drill; size="about 300 MB"; needs="toolkit, sample_app, locust, matplotlib"; stamp=.venv/.installed-drill ;;
  dev) extra=dev; size="about 570 MB"; needs="toolkit, sample_app, locust, matplotlib, pytest, jsonschema"; stamp=.venv/.installed ;;
  *) echo "setup.sh: what to set up: drill or dev (not '$B2C_SETUP')" >&2; return 2 2>/dev/null || exit 2 ;;
esac
say() { echo "setup: $*" >&2; }
plan() { [[ "${B2C_SETUP_PLAN:-}" == 1 ]]; }

if [[ "$B2C_SETUP" == dev ]]; then
  missing=()
  command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
  command -v chromium >/dev/null 2>&1 || missing+=(chromium)
  command -v chromedriver >/dev/null 2>&1 || missing+=(chromium-driver)
  command -v podman >/dev/null 2>&1 || missing+=(podman)
  command -v runc >/dev/null 2>&1 || missing+=(runc)
  command -v debootstrap >/dev/null 2>&1 || missing+=(debootstrap)
  command -v dot >/dev/null 2>&1 || missing+=(graphviz)
  if ((${#missing[@]})); then
    if [[ "${B2C_SKIP_APT:-}" == 1 ]]; then
      say "not installing ${missing[*]} (B2C_SKIP_APT=1): the tests that need them will skip"
    else
      SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO="sudo"
      say "installing ${missing[*]} with ${SUDO:+sudo }apt-get (chromium: about 90 MB to download, 300 MB on disk; podman, runc, debootstrap: about 35 MB, 165 MB; graphviz: about 5 MB; B2C_SKIP_APT=1 skips this)"
      if ! plan; then
        $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
      fi
    fi
  fi
fi

PYTHON="${PYTHON:-python3}"
if [[ ! -x .venv/bin/python ]]; then
  if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    say "Python 3.11 or later is needed: $PYTHON is $("$PYTHON" --version 2>&1 || echo missing) (set PYTHON=python3.11)"
    return 2 2>/dev/null || exit 2
  fi
  say "creating .venv/ with $("$PYTHON" --version 2>&1)"
  plan || "$PYTHON" -m venv .venv
fi
# dev holds everything drill needs: a dev install is enough for the drill
if ! .venv/bin/python -c "import ${needs}" 2>/dev/null || [[ pyproject.toml -nt $stamp && pyproject.toml -nt .venv/.installed ]]; then
  say "installing the project into .venv/ with pip install -e '.[$extra]' ($size; a minute or two the first time)"
  if ! plan; then
    .venv/bin/python -m pip install --quiet --upgrade pip
    .venv/bin/python -m pip install --quiet -e ".[$extra]"
    touch "$stamp"
    say "installed: $(.venv/bin/python -m pip list --format=freeze 2>/dev/null | wc -l) distributions, $(du -sh .venv 2>/dev/null | cut -f1) in .venv/"
  fi
fi
if plan; then
  exit 0
fi
export PATH="$PWD/.venv/bin:$PATH"
