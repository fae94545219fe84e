#!/usr/bin/env bash
# Sets up llama.cpp's own OpenAI server (`llama-cpp-python[server]`) for evals/bench/serve_bench.py,
# without compiling llama.cpp a second time: a venv in ~/.cache/ttscale/venv-llama-server (override
# with TTSCALE_LLAMA_SERVER_VENV), linked from <repo>/.venv-llama-server, that sees the peer venv's
# packages through a .pth file (llama-cpp-python 0.3.36 built by setup_peer.sh, numpy, gguf) and
# holds only the server extras (fastapi, uvicorn, sse-starlette, ...), installed by asking pip for
# llama-cpp-python[server] at the peer's version. The peer venv itself is left untouched.
#
# Idempotent: prints nothing and exits 0 when `import llama_cpp.server.app` already works.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
bash "$root/evals/scripts/setup_peer.sh"
peer="$(cd "$root/.venv-peer" && pwd -P)"
venv="${TTSCALE_LLAMA_SERVER_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/ttscale/venv-llama-server}"
py="$venv/bin/python"
if [ "$venv" != "$root/.venv-llama-server" ] && [ ! -e "$root/.venv-llama-server" ]; then
  mkdir -p "$venv"
  ln -s "$venv" "$root/.venv-llama-server"
fi

check() {
  [ -x "$py" ] && "$py" -c "import llama_cpp.server.app, gguf" >/dev/null 2>&1
}
check && exit 0

echo "setup_llama_server: installing the llama-cpp-python[server] extras into $venv" >&2
[ -x "$py" ] || python3 -m venv "$venv"
site="$("$py" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
peer_site="$("$peer/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
echo "$peer_site" > "$site/ttscale-peer.pth"
version="$("$py" -c 'import llama_cpp; print(llama_cpp.__version__)')"
"$py" -m pip install -q "llama-cpp-python[server]==$version"
check || { echo "setup_llama_server: 'import llama_cpp.server.app' still fails after the install" >&2; exit 1; }
