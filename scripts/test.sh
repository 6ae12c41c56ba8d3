#!/usr/bin/env bash
# The project's one test command (README "Run the tests", and `.ci/run`).
#
# Installs what the tests need that cargo does not fetch, starts nothing that
# outlives it, then runs every suite:
#   - headless Chromium (Debian's `chromium`) for the HTML report tests; its path
#     is passed to the Rust tests in ORACLE_TEST_CHROMIUM;
#   - a Python venv (target/test-venv) with Dask distributed and ./fleet, for
#     the fleet tests (`fleet/tests`), which start their own scheduler and
#     workers on 127.0.0.1 and stop them;
#   - `cargo test --locked`;
#   - the library's docs, with every rustdoc warning (a broken link) an error.
# Set ORACLE_TEST_OFFLINE=1 to skip installing (the suites that need a missing
# part then fail, they never pass silently).
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
if [ "${#need_apt[@]}" -gt 0 ] && [ "${ORACLE_TEST_OFFLINE:-0}" != 1 ]; then
  if [ "$(id -u)" = 0 ]; then SUDO=(); else SUDO=(sudo); fi
  echo "test.sh: installing ${need_apt[*]} (Debian)" >&2
  "${SUDO[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi
ORACLE_TEST_CHROMIUM="$(command -v chromium || true)"
export ORACLE_TEST_CHROMIUM

cargo test --locked

RUSTDOCFLAGS="-D warnings" cargo doc --no-deps --lib --locked --quiet

if [ -d fleet ]; then
  VENV=target/test-venv
  if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV"
  fi
  if [ "${ORACLE_TEST_OFFLINE:-0}" != 1 ]; then
    "$VENV/bin/pip" install -q --upgrade pip >/dev/null
    "$VENV/bin/pip" install -q -r fleet/requirements-test.txt ./fleet
  fi
  cargo build --release --locked
  PATH="$PWD/target/release:$PATH" "$VENV/bin/python" -m pytest -q fleet/tests
fi
