#!/usr/bin/env bash
# Sets up the Python client side of the server tests and benchmark (tests/runtime/server/,
# evals/bench/serve_bench.py): a virtualenv with the real `openai` client (pinned), built
# once per machine in ~/.cache/ttscale/venv-server (override with
# TTSCALE_SERVER_VENV) and linked from <repo>/.venv-server, like setup_peer.sh does for the peer.
#
# Idempotent: prints nothing and exits 0 when the venv already imports the pinned openai.
# Pure-Python wheels only (no compiler), ~20 s on a fresh machine.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
venv="${TTSCALE_SERVER_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/ttscale/venv-server}"
py="$venv/bin/python"
if [ "$venv" != "$root/.venv-server" ] && [ ! -e "$root/.venv-server" ]; then
  mkdir -p "$venv"
  ln -s "$venv" "$root/.venv-server"
fi
openai_version="3.60.0"

check() {
  [ -x "$py" ] && "$py" -c "import openai; assert openai.__version__ == '$openai_version'" >/dev/null 2>&1
}
check && exit 0

echo "setup_server_venv: installing openai==$openai_version into $venv" >&2
[ -x "$py" ] || python3 -m venv "$venv"
"$py" -m pip install -q "openai==$openai_version"
check || { echo "setup_server_venv: '$py -c \"import openai\"' still fails after the install" >&2; exit 1; }
