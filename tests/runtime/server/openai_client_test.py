"""`ttscale serve` through the real `openai` Python client, on the default model.

Each test says what breaking the feature would look like. Run by CTest (tests/runtime/server/
CMakeLists.txt) with the test venv's Python; starts and stops its own servers.
"""
import concurrent.futures
import json
import subprocess
import sys
import time

from server_fixture import Server, args, need_openai, run_tests

need_openai()
import openai  # noqa: E402

A = args()
S = Server(A.ttscale, A.model)
C = S.client()
Q = "What is 12 plus 30? Answer with the number."


def chat(**kw):
    kw.setdefault("model", "any")
    kw.setdefault("messages", [{"role": "user", "content": Q}])
    kw.setdefault("temperature", 0)
    kw.setdefault("max_tokens", 16)
    return C.chat.completions.create(**kw)


def test_models_lists_the_served_model():
    ids = [m.id for m in C.models.list().data]
    assert ids == ["SmolLM2-135M-Instruct.Q4_1"], ids


def test_chat_non_streaming():
    r = chat()
    c = r.choices[0]
    assert r.object == "chat.completion" and r.id.startswith("chatcmpl-")
    assert c.message.role == "assistant" and c.message.content, c
    assert c.finish_reason in ("stop", "length"), c.finish_reason
    assert 0 < r.usage.completion_tokens <= 16 and r.usage.prompt_tokens > 10, r.usage
    assert r.usage.total_tokens == r.usage.prompt_tokens + r.usage.completion_tokens


def test_streaming_equals_non_streaming_greedy():
    # A broken SSE path (lost, reordered or duplicated deltas) makes the joined text differ.
    whole = chat(max_tokens=24).choices[0]
    text, finish, usage, roles = "", None, None, 0
    for ch in chat(max_tokens=24, stream=True, stream_options={"include_usage": True}):
        if ch.usage:
            usage = ch.usage
            assert ch.choices == []
            continue
        d = ch.choices[0]
        assert ch.object == "chat.completion.chunk" and d.index == 0
        roles += d.delta.role == "assistant"
        text += d.delta.content or ""
        finish = d.finish_reason or finish
    assert roles == 1
    assert text == whole.message.content, (text, whole.message.content)
    assert finish == whole.finish_reason
    assert usage and usage.completion_tokens > 0


def test_n4_choices_streamed_per_index_match_the_whole_response():
    kw = dict(n=4, temperature=1.0, seed=5, max_tokens=12)
    whole = chat(**kw)
    assert [c.index for c in whole.choices] == [0, 1, 2, 3]
    texts = [c.message.content for c in whole.choices]
    assert len(set(texts)) >= 2, texts   # sampled threads differ (each has its own RNG stream)
    got = ["", "", "", ""]
    for ch in chat(stream=True, **kw):
        for d in ch.choices:
            got[d.index] += d.delta.content or ""
    assert got == texts, (got, texts)    # same seed: the same four threads, whatever the batching


def test_logprobs_and_top_logprobs():
    r = chat(logprobs=True, top_logprobs=3, max_tokens=8)
    c = r.choices[0]
    toks = c.logprobs.content
    assert 0 < len(toks) <= r.usage.completion_tokens
    assert "".join(t.token for t in toks) == c.message.content
    for t in toks:
        assert len(t.top_logprobs) == 3 and t.logprob <= 0
        assert t.top_logprobs[0].logprob >= t.top_logprobs[1].logprob >= t.top_logprobs[2].logprob
        assert t.token == t.top_logprobs[0].token      # greedy picks the most likely token
        assert bytes(t.bytes) == t.token.encode()


def test_stop_string_cuts_the_text_before_it():
    full = chat(max_tokens=32).choices[0].message.content
    assert len(full) > 12, full
    stop = full[6:9]
    r = chat(max_tokens=32, stop=[stop]).choices[0]
    assert r.message.content == full[:full.index(stop)], (r.message.content, full, stop)
    assert r.finish_reason == "stop"


def test_legacy_completions_with_logprobs():
    r = C.completions.create(model="m", prompt="The capital of France is", max_tokens=6, temperature=0, logprobs=2)
    c = r.choices[0]
    assert r.object == "text_completion" and c.text
    assert "".join(c.logprobs.tokens) == c.text
    assert all(len(t) >= 1 for t in c.logprobs.top_logprobs)


def test_strategy_request_returns_the_verdict():
    r = chat(max_tokens=48, temperature=None,
             extra_body={"strategy": {"name": "short_m_at_k", "k": 4, "m": 2}, "seed": 11})
    t = r.model_extra["ttscale"]
    assert t["strategy"] == "short_m_at_k" and len(t["threads"]) == 4, t
    finished = [x for x in t["threads"] if x["finish_reason"] != "stopped_after_m_finished"]
    assert len(finished) >= 2, t["threads"]
    assert r.choices[0].message.content == (t["answer"] or "")
    assert t["n_tokens_total"] == sum(x["n_tokens"] for x in t["threads"]) == r.usage.completion_tokens
    assert t["kv_bytes_peak"] > 0


def test_strategy_equals_ttscale_run():
    # The same strategy, parameters and seed through HTTP and through `ttscale run` give the
    # same threads: strategy selection, session defaults and seeding match the CLI.
    params = {"k": 3, "max_tokens": 24}
    r = chat(temperature=None, max_tokens=None, extra_body={"strategy": {"name": "self_consistency", **params}, "seed": 3})
    t = r.model_extra["ttscale"]
    cli = subprocess.run([A.ttscale, "run", "--model", A.model, "--strategy", "self_consistency", "-P", "k=3",
                          "-P", "max_tokens=24", "--seed", "3", "--json", "--prompt", Q],
                         check=True, capture_output=True, text=True, timeout=300)
    v = json.loads(cli.stdout)
    assert [x["n_tokens"] for x in t["threads"]] == [x["n_tokens"] for x in v["threads"]], (t["threads"], v["threads"])
    assert t["answer"] == v["answer"]


def test_strategy_streaming_emits_progress_then_the_answer():
    progress, final = 0, None
    for ch in chat(stream=True, max_tokens=64, temperature=None,
                   extra_body={"strategy": {"name": "self_consistency", "k": 3}, "seed": 1}):
        ext = ch.model_extra.get("ttscale") or {}
        if "progress" in ext:
            progress += 1
            assert len(ext["progress"]["threads"]) <= 3
        if ch.choices and ch.choices[0].finish_reason:
            final = (ch.choices[0].delta.content, ext)
    assert progress >= 1
    assert final and final[1]["strategy"] == "self_consistency" and final[0] == (final[1]["answer"] or "")


def test_strategies_endpoint_lists_parameters():
    status, body = S.get("/v1/strategies")
    data = {s["name"]: s for s in json.loads(body)["data"]}
    assert status == 200 and data["short_m_at_k"]["parameters"] == ["k", "m", "think", "truncated"], data


def test_batch_invariance_against_generate():
    # A request's tokens with a fixed seed equal `ttscale generate` with that seed, even while
    # other requests share the batch. A kernel or sampler that depended on the batch breaks it.
    prompt = "Write one sentence about the sea."
    cli = subprocess.run([A.ttscale, "generate", "--model", A.model, "-p", prompt, "-t", "0.8", "--seed", "42",
                          "--max-tokens", "24", "--json"], check=True, capture_output=True, text=True, timeout=300)
    want = json.loads(cli.stdout)["threads"][0]
    with concurrent.futures.ThreadPoolExecutor(4) as ex:
        noise = [ex.submit(chat, max_tokens=40, temperature=1.0, seed=i) for i in range(3)]
        r = chat(messages=[{"role": "user", "content": prompt}], temperature=0.8, seed=42, max_tokens=24)
        [f.result() for f in noise]
    assert r.choices[0].message.content == want["text"], (r.choices[0].message.content, want["text"])
    assert r.usage.completion_tokens == len(want["tokens"])


def test_bad_requests_name_the_field():
    # 400s with OpenAI error objects; a crash or a 500 fails here.
    cases = [
        (dict(n=100), "n"),
        (dict(max_tokens=0), "max_tokens"),
        (dict(temperature="hot"), "temperature"),
        (dict(messages=[{"role": "robot", "content": "x"}]), "messages[0].role"),
        (dict(extra_body={"strategy": {"name": "no_such"}}), "strategy"),
        (dict(extra_body={"strategy": {"name": "short_m_at_k", "k": 9999}}), "strategy.k"),
        (dict(messages=[{"role": "user", "content": "hello " * 9000}]), "messages"),
        (dict(max_tokens=9000), "max_tokens"),
        (dict(extra_body={"bogus": 1}), "bogus"),
    ]
    for kw, param in cases:
        try:
            chat(**kw)
            raise AssertionError("accepted: %s" % kw)
        except openai.BadRequestError as e:
            assert e.status_code == 400
            assert e.body["param"] == param, (kw, e.body)
            assert e.body["type"] == "invalid_request_error" and e.body["message"]
    status, body = S.post("/v1/chat/completions", b"{not json")
    assert status == 400 and "invalid JSON" in json.loads(body)["error"]["message"]
    status, _ = S.get("/v1/chat/completions")
    assert status == 405
    status, _ = S.get("/v1/nope")
    assert status == 404


def test_cancel_endpoint_frees_the_threads():
    stream = chat(stream=True, max_tokens=4000, n=2, temperature=1.0, extra_body={"ignore_eos": True})
    first = next(iter(stream))
    status, body = S.post("/v1/cancel/" + first.id, {})
    assert status == 200, body
    finishes = {}
    t0 = time.time()
    for ch in stream:
        for d in ch.choices:
            if d.finish_reason:
                finishes[d.index] = d.finish_reason
    assert finishes == {0: "cancelled", 1: "cancelled"}, finishes
    assert time.time() - t0 < 30
    m = S.wait_idle()
    assert m["ttscale_kv_blocks_leaked"] == 0
    assert m["ttscale_kv_blocks_used"] == m["ttscale_kv_blocks_cached"], m
    assert S.post("/v1/cancel/" + first.id, {})[0] == 404


def test_health_and_metrics():
    assert S.get("/health") == (200, '{"status":"ok"}')
    m = S.metrics()
    assert m['ttscale_requests_total{endpoint="/v1/chat/completions",code="200"}'] >= 1
    assert m["ttscale_completion_tokens_total"] > 0 and m["ttscale_engine_step_seconds_count"] > 0


def test_api_key_and_queue_limit():
    k = Server(A.ttscale, A.model, "--api-key", "s3cret", "--max-queue", "1")
    try:
        try:
            k.client(api_key="wrong").models.list()
            raise AssertionError("a wrong key was accepted")
        except openai.AuthenticationError as e:
            assert e.status_code == 401
        assert k.get("/v1/models")[0] == 401                    # no key at all
        good = k.client(api_key="s3cret")
        assert [m.id for m in good.models.list().data]
        assert k.get("/health")[0] == 200                       # probes need no key
        # One request in flight fills --max-queue 1: the next one is refused with 429.
        busy = good.chat.completions.create(model="m", messages=[{"role": "user", "content": "hi"}], stream=True,
                                            max_tokens=4000, extra_body={"ignore_eos": True})
        next(iter(busy))
        try:
            good.chat.completions.create(model="m", messages=[{"role": "user", "content": "hi"}], max_tokens=2)
            raise AssertionError("a request beyond --max-queue was accepted")
        except openai.RateLimitError as e:
            assert e.status_code == 429
        busy.close()                                           # disconnect: frees the slot
        deadline = time.time() + 30
        while k.metrics()["ttscale_requests_in_flight"] > 0:
            assert time.time() < deadline
            time.sleep(0.05)
        assert good.chat.completions.create(model="m", messages=[{"role": "user", "content": "hi"}], max_tokens=2).choices
    finally:
        assert k.stop() == 0


try:
    rc = run_tests([v for k, v in list(globals().items()) if k.startswith("test_")])
finally:
    code = S.stop()
    print("server exit code", code)
    if code != 0:
        print("".join(S.stderr_lines), file=sys.stderr)
        rc = 1
sys.exit(rc)
