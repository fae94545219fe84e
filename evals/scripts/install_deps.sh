#!/usr/bin/env bash
# Installs the Debian packages ttscale builds against, plus any named as arguments
# (`make fuzz` adds clang-14 libclang-rt-14-dev). Idempotent: does nothing when every
# package is already installed.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config python3-venv
  libboost1.81-dev libboost-fiber1.81-dev libboost-context1.81-dev
  libboost-json1.81-dev libboost-system1.81-dev
  libyaml-cpp-dev libfmt-dev libspdlog-dev libcli11-dev doctest-dev
  libsqlite3-dev libpcre2-dev libxxhash-dev python3-matplotlib
  python3-pip python3-yaml
  "$@"
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "install_deps: installing ${missing[*]}"
sudo_cmd=""
[ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo_cmd apt-get update -qq
$sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}"
