#!/usr/bin/env python3
"""`ttscale serve` beside llama.cpp's own OpenAI server (llama-cpp-python[server]) on one GGUF.

    bash evals/scripts/setup_llama_server.sh        # once: the peer's llama.cpp + server extras
    .venv-llama-server/bin/python evals/bench/serve_bench.py --ttscale build/ttscale \
        --model models/SmolLM2-135M-Instruct.Q4_1.gguf --concurrency 1,4,16 --max-tokens 64

Not a test: it measures. The servers run one at a time (never together: they share the cores),
in alternating order over --repeats. Every request is a streamed chat completion (temperature 0)
whose end-of-generation tokens are suppressed, so every request generates exactly --max-tokens
tokens on both servers (ttscale: `ignore_eos`; llama-cpp-python: `logit_bias` -100 on them).

Scenarios, per concurrency C: C client threads send --requests-per-client * C requests, each
with its own question (a shared system prompt, as in real chat traffic), as fast as answers come
back. Per request: TTFT (send -> first content chunk) and latency (send -> [DONE]); per scenario:
throughput = generated tokens / wall seconds. Then `n=8`: one request asking for 8 choices
(temperature 0.8) against 8 separate concurrent requests for the same prompt.

llama-cpp-python settings (its best for this machine that we found): n_threads = n_threads_batch
= --threads, n_batch 512, n_ctx 4096, flash attention on, interrupt_requests off (with it on, a
waiting request cuts the streaming one short). It serves one request at a time (a global lock),
and ignores `n` (one choice). Client: Python stdlib http.client, one connection per request.
"""
from __future__ import annotations

import argparse
import concurrent.futures
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import time

SYSTEM = "You are a helpful assistant. Answer clearly and explain your reasoning step by step."
QUESTIONS = [
    "Why is the sky blue?", "How do bees make honey?", "What causes the seasons on Earth?",
    "Explain how a bicycle stays upright.", "Why does bread rise?", "How do airplanes fly?",
    "What is photosynthesis?", "Why do cats purr?", "How does a refrigerator keep food cold?",
    "What makes a rainbow?", "Why is the ocean salty?", "How do vaccines work?",
    "What is the water cycle?", "Why do leaves change colour in autumn?", "How do magnets work?",
    "What causes thunder?",
]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(port, proc, timeout=300):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("server exited with %s" % proc.returncode)
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            c.request("GET", "/v1/models")
            if c.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError("server not ready after %ds" % timeout)


def end_token_ids(model):
    """EOS and end-of-turn ids of the GGUF (what llama.cpp stops on), for logit_bias."""
    import gguf
    r = gguf.GGUFReader(model)
    ids = set()
    for key in ("tokenizer.ggml.eos_token_id", "tokenizer.ggml.eot_token_id"):
        f = r.fields.get(key)
        if f:
            ids.add(int(f.parts[f.data[0]][0]))
    tokens = r.fields["tokenizer.ggml.tokens"]
    for i, idx in enumerate(tokens.data):
        if bytes(tokens.parts[idx]).decode("utf-8", "replace") in ("<|im_end|>", "<|eot_id|>", "<|endoftext|>"):
            ids.add(i)
    return sorted(ids)


class Server:
    def __init__(self, kind, args):
        self.kind, self.port = kind, free_port()
        if kind == "ttscale":
            cmd = [args.ttscale, "serve", "--model", args.model, "--port", str(self.port), "--threads", str(args.threads),
                   "--max-queue", "1024"]
        else:
            cmd = [sys.executable, "-m", "llama_cpp.server", "--model", args.model, "--host", "127.0.0.1",
                   "--port", str(self.port), "--n_threads", str(args.threads), "--n_threads_batch", str(args.threads),
                   "--n_batch", "512", "--n_ctx", "4096", "--flash_attn", "true", "--interrupt_requests", "false",
                   "--verbose", "false"]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_ready(self.port, self.proc)

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(60)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def body(kind, args, question, n=1, temperature=0.0, seed=None):
    b = {"model": "m", "messages": [{"role": "system", "content": SYSTEM}, {"role": "user", "content": question}],
         "max_tokens": args.max_tokens, "temperature": temperature, "stream": True, "n": n}
    if seed is not None:
        b["seed"] = seed
    if kind == "ttscale":
        b["ignore_eos"] = True
    else:
        b["logit_bias"] = {str(t): -100.0 for t in args.end_ids}
    return b


def stream(port, b):
    """One streamed request: (ttft s, latency s, content chunks, choices seen)."""
    t0 = time.perf_counter()
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    c.request("POST", "/v1/chat/completions", json.dumps(b), {"Content-Type": "application/json"})
    r = c.getresponse()
    assert r.status == 200, (r.status, r.read()[:300])
    ttft, chunks, choices = None, 0, set()
    for line in r:
        line = line.strip()
        if not line.startswith(b"data: "):
            continue
        if line == b"data: [DONE]":
            break
        for ch in json.loads(line[6:]).get("choices", []):
            if (ch.get("delta") or {}).get("content"):
                chunks += 1
                choices.add(ch.get("index", 0))
                if ttft is None:
                    ttft = time.perf_counter() - t0
    c.close()
    return ttft, time.perf_counter() - t0, chunks, len(choices)


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


def run_concurrency(server, args, conc):
    n_req = conc * args.requests_per_client
    bodies = [body(server.kind, args, QUESTIONS[i % len(QUESTIONS)]) for i in range(n_req)]
    t0 = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(conc) as ex:
        res = list(ex.map(lambda b: stream(server.port, b), bodies))
    wall = time.perf_counter() - t0
    ttft = [r[0] for r in res]
    lat = [r[1] for r in res]
    return {"server": server.kind, "scenario": "c=%d" % conc, "requests": n_req, "wall_s": wall,
            "tok_s": n_req * args.max_tokens / wall, "ttft_p50": pct(ttft, 50), "ttft_p99": pct(ttft, 99),
            "lat_p50": pct(lat, 50), "lat_p99": pct(lat, 99), "chunks_per_request": statistics.mean(r[2] for r in res)}


def run_n8(server, args):
    q = QUESTIONS[0]
    out = []
    t0 = time.perf_counter()
    ttft, lat, chunks, n_choices = stream(server.port, body(server.kind, args, q, n=8, temperature=0.8, seed=1))
    wall = time.perf_counter() - t0
    out.append({"server": server.kind, "scenario": "n=8 in one request", "requests": 1, "wall_s": wall,
                "tok_s": n_choices * args.max_tokens / wall, "ttft_p50": ttft, "ttft_p99": ttft, "lat_p50": lat,
                "lat_p99": lat, "choices": n_choices})
    t0 = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(8) as ex:
        res = list(ex.map(lambda s: stream(server.port, body(server.kind, args, q, temperature=0.8, seed=s)), range(8)))
    wall = time.perf_counter() - t0
    out.append({"server": server.kind, "scenario": "8 separate requests", "requests": 8, "wall_s": wall,
                "tok_s": 8 * args.max_tokens / wall, "ttft_p50": pct([r[0] for r in res], 50),
                "ttft_p99": pct([r[0] for r in res], 99), "lat_p50": pct([r[1] for r in res], 50),
                "lat_p99": pct([r[1] for r in res], 99), "choices": 8})
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--ttscale", default="build/ttscale")
    p.add_argument("--model", default="models/SmolLM2-135M-Instruct.Q4_1.gguf")
    p.add_argument("--threads", type=int, default=os.cpu_count())
    p.add_argument("--concurrency", default="1,4,16")
    p.add_argument("--requests-per-client", type=int, default=2)
    p.add_argument("--max-tokens", type=int, default=64)
    p.add_argument("--repeats", type=int, default=1)
    p.add_argument("--servers", default="ttscale,llama")
    p.add_argument("--json", help="also write every measurement here")
    args = p.parse_args()
    args.end_ids = end_token_ids(args.model)
    rows = []
    kinds = args.servers.split(",")
    for rep in range(args.repeats):
        for kind in (kinds if rep % 2 == 0 else kinds[::-1]):
            s = Server(kind, args)
            try:
                stream(s.port, body(kind, args, "Hello"))   # warm-up, untimed
                for conc in [int(c) for c in args.concurrency.split(",")]:
                    rows.append(run_concurrency(s, args, conc))
                    print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
                for r in run_n8(s, args):
                    rows.append(r)
                    print(json.dumps(r), file=sys.stderr, flush=True)
            finally:
                s.stop()
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1)
    # Medians over repeats, one line per (scenario, server).
    print("| scenario | server | requests | tok/s | TTFT p50 s | TTFT p99 s | latency p50 s | latency p99 s | wall s |")
    print("|---|---|---|---|---|---|---|---|---|")
    keys = []
    for r in rows:
        if (r["scenario"], r["server"]) not in keys:
            keys.append((r["scenario"], r["server"]))
    for sc, sv in keys:
        g = [r for r in rows if r["scenario"] == sc and r["server"] == sv]
        med = lambda k: statistics.median(r[k] for r in g)  # noqa: E731
        note = ""
        if "choices" in g[0] and g[0]["choices"] != (8 if sc.startswith("n=8") or sc.startswith("8 ") else 1):
            note = " (%d choice%s)" % (g[0]["choices"], "" if g[0]["choices"] == 1 else "s")
        print("| %s | %s%s | %d | %.1f | %.2f | %.2f | %.2f | %.2f | %.1f |" % (
            sc, sv, note, g[0]["requests"], med("tok_s"), med("ttft_p50"), med("ttft_p99"), med("lat_p50"), med("lat_p99"),
            med("wall_s")))


if __name__ == "__main__":
    main()
