#!/usr/bin/env bash
# Sets up the llama.cpp peer used by evals/scripts/llama_reference.py,
# evals/scripts/make_quants.py and evals/bench/llama_batched.py:
# a virtualenv, built once per machine in ~/.cache/ttscale/venv-peer (override with
# TTSCALE_PEER_VENV) and linked from <repo>/.venv-peer, so every clone shares it,
# holding llama-cpp-python (which compiles llama.cpp from source), numpy,
# gguf and jinja2.
#
# Idempotent: prints nothing and exits 0 when the venv already imports all of
# them. Needs only python3, python3-venv, build-essential and cmake (Debian 12).
#
# Build choices: CPU only (-DGGML_CUDA=OFF: nvcc may be present without a GPU);
# GGML_NATIVE stays at llama.cpp's default (ON: -march=native), i.e. the
# best-case peer for this machine. SOURCE_DATE_EPOCH is unset because llama.cpp
# turns its native default off when it is set. The built wheel is therefore
# tied to this machine's CPU: re-run with TTSCALE_PEER_REBUILD=1 after moving.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
venv="${TTSCALE_PEER_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/ttscale/venv-peer}"
py="$venv/bin/python"
# Every clone reaches the shared venv through <repo>/.venv-peer.
if [ "$venv" != "$root/.venv-peer" ] && [ ! -e "$root/.venv-peer" ]; then
  mkdir -p "$venv"
  ln -s "$venv" "$root/.venv-peer"
fi
llama_cpp_version="0.3.36"

check() {
  [ -x "$py" ] && "$py" -c "import llama_cpp, numpy, gguf, jinja2; assert llama_cpp.__version__ == '$llama_cpp_version'" >/dev/null 2>&1
}

if [ "${TTSCALE_PEER_REBUILD:-0}" != "1" ] && check; then
  exit 0
fi

echo "setup_peer: installing llama-cpp-python==$llama_cpp_version into $venv (compiles llama.cpp, takes ~10-20 min on 2 cores)" >&2

if [ ! -x "$py" ]; then
  python3 -m venv "$venv"
fi

extra=()
if [ "${TTSCALE_PEER_REBUILD:-0}" = "1" ]; then
  extra+=(--force-reinstall --no-cache-dir --no-deps)
  "$py" -m pip install -q numpy gguf jinja2 "diskcache>=5.6.1" "typing-extensions>=4.5.0"
fi

unset SOURCE_DATE_EPOCH
export CMAKE_ARGS="-DGGML_CUDA=OFF ${TTSCALE_PEER_CMAKE_ARGS:-}"
export CMAKE_BUILD_PARALLEL_LEVEL="${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc)}"
"$py" -m pip install -q "${extra[@]}" numpy "llama-cpp-python==$llama_cpp_version" gguf jinja2

if ! check; then
  echo "setup_peer: install finished but '$py -c \"import llama_cpp, numpy, gguf, jinja2\"' still fails" >&2
  exit 1
fi
echo "setup_peer: done ($("$py" -c 'import llama_cpp; print(llama_cpp.__version__)'))" >&2
