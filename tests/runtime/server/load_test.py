"""Load: 200 chat requests at concurrency 16, ~20 % of the clients disconnecting mid-stream,
plus a corpus of malformed requests; afterwards no KV page may be leaked, the server must still
answer, and every well-formed request must have been answered correctly.

"Correctly": greedy (temperature 0) answers must equal the answer the same prompt got alone
before the load, so batching with 15 other requests, cancels and preemption left them intact.
A leak shows as ttscale_kv_blocks_leaked > 0 (or pages held beyond the prefix cache); a crash
as a failed request or a non-zero exit code. Prints the figures it measured.
"""
import concurrent.futures
import json
import socket
import statistics
import sys
import time

from server_fixture import Server, args, http_post_bytes, need_openai, raw_request, run_tests

need_openai()

A = args()
N_REQUESTS, CONCURRENCY, MAX_TOKENS = 200, 16, 12
PROMPTS = ["What is %d times %d?" % (a, a + 3) for a in range(2, 10)]
S = Server(A.ttscale, A.model, "--max-queue", "64")
C = S.client()


def ask(i, stream):
    kw = dict(model="m", messages=[{"role": "user", "content": PROMPTS[i % len(PROMPTS)]}], temperature=0, max_tokens=MAX_TOKENS)
    t0 = time.time()
    if not stream:
        return C.chat.completions.create(**kw).choices[0].message.content, time.time() - t0
    text = ""
    for ch in C.chat.completions.create(stream=True, **kw):
        text += ch.choices[0].delta.content or "" if ch.choices else ""
    return text, time.time() - t0


def disconnect(i):
    """A streaming request whose client closes the socket after the first event."""
    body = json.dumps({"model": "m", "messages": [{"role": "user", "content": PROMPTS[i % len(PROMPTS)]}], "stream": True,
                       "max_tokens": 400, "temperature": 1.0, "ignore_eos": True}).encode()
    s = socket.create_connection(("127.0.0.1", S.port), timeout=60)
    s.sendall(http_post_bytes("/v1/chat/completions", body))
    got = b""
    while b"data: " not in got:
        b = s.recv(4096)
        assert b, "closed before the first event"
        got += b
    s.close()
    return None, 0.0


# (raw bytes, expected HTTP status; None: the server may just close the connection)
MALFORMED = [
    (http_post_bytes("/v1/chat/completions", b"{not json"), 400),
    (http_post_bytes("/v1/chat/completions", b""), 400),
    (http_post_bytes("/v1/chat/completions", b"[]"), 400),
    (http_post_bytes("/v1/chat/completions", b'{"messages": "hi"}'), 400),
    (http_post_bytes("/v1/chat/completions", b'{"messages": [{"role": "user", "content": "x"}], "n": "4"}'), 400),
    (http_post_bytes("/v1/chat/completions", b'{"messages": [{"role": "user", "content": "x"}], "max_tokens": -5}'), 400),
    (http_post_bytes("/v1/chat/completions", b'{"messages": [{"role": "user", "content": "x"}], "strategy": {"name": "x"}}'), 400),
    (http_post_bytes("/v1/chat/completions", b'{"messages": [{"role": "user", "content": "x"}], "strategy": 5}'), 400),
    (http_post_bytes("/v1/chat/completions", b'{"messages": [{"role": "user", "content": "\xff\xfe"}]}'), 400),
    (http_post_bytes("/v1/chat/completions", b"[" * 5000 + b"]" * 5000), 400),
    (http_post_bytes("/v1/chat/completions", b'{"messages": [{"role": "user", "content": "x"}]}' + b" " * (2 << 20)), 413),
    (http_post_bytes("/v1/completions", b'{"prompt": [99999999]}'), 400),
    (http_post_bytes("/v1/completions", b'{"prompt": ""}'), 400),
    (http_post_bytes("/v1/cancel/nope", b"{}"), 404),
    (b"GARBAGE\r\n\r\n", 400),
    (b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: zz\r\n\r\n", 400),
    (b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\nZZ\r\n", 400),
]


def send_malformed(case):
    data, want = case
    status, resp = raw_request(S.port, data)
    assert status == want, (data[:80], status, resp[:300])
    if want:
        body = resp.partition(b"\r\n\r\n")[2]
        assert b'"error"' in body and b'"message"' in body, resp[:300]
    return status


def test_load():
    refs = {i: ask(i, False)[0] for i in range(len(PROMPTS))}   # each prompt alone, greedy
    assert all(refs.values()), refs
    jobs = []
    for i in range(N_REQUESTS):
        kind = "disconnect" if i % 5 == 0 else ("stream" if i % 2 else "whole")
        jobs.append((i, kind))
    t0 = time.time()
    wrong, latencies, n_ok, n_disc = [], [], 0, 0
    with concurrent.futures.ThreadPoolExecutor(CONCURRENCY) as ex:
        futs = {}
        for i, kind in jobs:
            f = ex.submit(disconnect, i) if kind == "disconnect" else ex.submit(ask, i, kind == "stream")
            futs[f] = (i, kind)
        bad = [ex.submit(send_malformed, c) for c in MALFORMED]
        for f in concurrent.futures.as_completed(futs):
            i, kind = futs[f]
            text, dt = f.result()
            if kind == "disconnect":
                n_disc += 1
                continue
            n_ok += 1
            latencies.append(dt)
            if text != refs[i % len(PROMPTS)]:
                wrong.append((i, kind, text, refs[i % len(PROMPTS)]))
        statuses = [f.result() for f in bad]
    wall = time.time() - t0
    assert not wrong, wrong[:3]
    m = S.wait_idle()
    lat = sorted(latencies)
    print("load: %d requests (%d answered, %d disconnected mid-stream) + %d malformed at concurrency %d in %.1f s "
          "(%.1f req/s); latency p50 %.2f s p99 %.2f s; statuses of malformed %s"
          % (N_REQUESTS, n_ok, n_disc, len(MALFORMED), CONCURRENCY, wall, N_REQUESTS / wall, statistics.median(lat),
             lat[int(0.99 * (len(lat) - 1))], sorted(set(statuses))))
    print("metrics after: leaked %d, used %d, cached %d, free %d of %d blocks; cancelled %s; preemptions %d"
          % (m["ttscale_kv_blocks_leaked"], m["ttscale_kv_blocks_used"], m["ttscale_kv_blocks_cached"],
             m["ttscale_kv_blocks_free"], m["ttscale_kv_blocks_total"],
             {k: v for k, v in m.items() if k.startswith("ttscale_requests_cancelled_total")},
             m["ttscale_engine_preemptions_total"]))
    assert m["ttscale_kv_blocks_leaked"] == 0
    assert m["ttscale_kv_blocks_used"] == m["ttscale_kv_blocks_cached"], "pages held beyond the prefix cache"
    assert m.get('ttscale_requests_cancelled_total{reason="disconnect"}', 0) >= 1
    assert S.get("/health")[0] == 200
    assert ask(0, False)[0] == refs[0]          # still answers, and still correctly


try:
    rc = run_tests([test_load])
finally:
    code = S.stop()
    print("server exit code", code)
    if code != 0:
        print("".join(S.stderr_lines[-50:]), file=sys.stderr)
        rc = 1
sys.exit(rc)
