"""Starts and stops a live `ttscale serve` for the Python server tests, and small HTTP helpers.

The server picks a free port itself (--port 0) and prints it; nothing here guesses ports.
Tests are plain functions run by `run_tests` (no pytest): a failing assert fails the process.
Exit code 77 (CTest SKIP_RETURN_CODE) when the openai client is missing, i.e. the test venv
was not set up (`bash evals/scripts/setup_server_venv.sh`; `make test` does it).
"""
import argparse
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import traceback
import urllib.request


def args():
    p = argparse.ArgumentParser()
    p.add_argument("--ttscale", required=True)
    p.add_argument("--model", required=True)
    return p.parse_args()


def need_openai():
    try:
        import openai  # noqa: F401
    except ImportError:
        print("SKIP: the openai client is missing; run bash evals/scripts/setup_server_venv.sh", file=sys.stderr)
        sys.exit(77)


class Server:
    """`ttscale serve` on a free port; stop() sends SIGTERM and returns the exit code."""

    def __init__(self, ttscale, model, *extra, start_timeout=180):
        cmd = [ttscale, "serve", "--model", model, "--port", "0", *extra]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.stderr_lines = []
        self.terminated = False
        threading.Thread(target=self._drain_stderr, daemon=True).start()
        deadline = time.time() + start_timeout
        line = ""
        while time.time() < deadline:
            line = self.proc.stdout.readline()
            m = re.search(r"listening on http://([^:]+):(\d+)", line)
            if m:
                self.host, self.port = m.group(1), int(m.group(2))
                break
            if self.proc.poll() is not None:
                raise RuntimeError("ttscale serve exited early:\n" + "".join(self.stderr_lines))
        else:
            self.proc.kill()
            raise RuntimeError("ttscale serve did not start within %ds" % start_timeout)
        self.base = "http://%s:%d" % (self.host, self.port)

    def _drain_stderr(self):
        for line in self.proc.stderr:
            self.stderr_lines.append(line)

    def client(self, **kw):
        import openai
        kw.setdefault("api_key", "none")
        kw.setdefault("max_retries", 0)
        kw.setdefault("timeout", 120)
        return openai.OpenAI(base_url=self.base + "/v1", **kw)

    def get(self, path, headers=None):
        req = urllib.request.Request(self.base + path, headers=headers or {})
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()

    def post(self, path, body, headers=None):
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        h = {"Content-Type": "application/json"}
        h.update(headers or {})
        req = urllib.request.Request(self.base + path, data=data, headers=h, method="POST")
        try:
            with urllib.request.urlopen(req, timeout=120) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()

    def metrics(self):
        """Prometheus text -> {'name{labels}': value}."""
        status, text = self.get("/metrics")
        assert status == 200, status
        out = {}
        for line in text.splitlines():
            if line and not line.startswith("#"):
                k, v = line.rsplit(" ", 1)
                out[k] = float(v)
        return out

    def wait_idle(self, timeout=30):
        """Until no engine sequence is live; returns the metrics then."""
        deadline = time.time() + timeout
        while True:
            m = self.metrics()
            if m["ttscale_threads_running"] == 0 and m["ttscale_requests_in_flight"] == 0:
                return m
            assert time.time() < deadline, "the server did not go idle: %s" % m
            time.sleep(0.05)

    def terminate(self):
        """Sends SIGTERM once (a second one during the shutdown's last steps would kill it)."""
        if not self.terminated and self.proc.poll() is None:
            self.terminated = True
            self.proc.send_signal(signal.SIGTERM)

    def stop(self, timeout=90):
        self.terminate()
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise AssertionError("ttscale serve did not exit within %ds of SIGTERM" % timeout)


def raw_request(port, data, read_timeout=30):
    """Sends raw bytes over a fresh connection and reads until the server closes it.
    Returns (HTTP status or None, response bytes)."""
    chunks = []
    with socket.create_connection(("127.0.0.1", port), timeout=read_timeout) as s:
        s.sendall(data)
        try:
            while True:
                b = s.recv(65536)
                if not b:
                    break
                chunks.append(b)
        except (socket.timeout, ConnectionResetError):
            pass
    resp = b"".join(chunks)
    m = re.match(rb"HTTP/1\.[01] (\d+)", resp)
    return (int(m.group(1)) if m else None), resp


def http_post_bytes(path, body, content_type="application/json", extra=b""):
    return (b"POST " + path.encode() + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: " + content_type.encode() +
            b"\r\nContent-Length: " + str(len(body)).encode() + b"\r\n" + extra + b"\r\n" + body)


def run_tests(tests):
    failed = 0
    for t in tests:
        t0 = time.time()
        try:
            t()
            print("ok   %-50s %.1fs" % (t.__name__, time.time() - t0), flush=True)
        except Exception:
            failed += 1
            print("FAIL %-50s %.1fs" % (t.__name__, time.time() - t0), flush=True)
            traceback.print_exc()
    return 1 if failed else 0
