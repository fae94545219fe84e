#!/usr/bin/env python3
"""Peer side of the ttscale parallel-decode benchmark: llama.cpp (llama-cpp-python).

    .venv-peer/bin/python evals/bench/llama_batched.py \
        --model models/SmolLM2-135M-Instruct.Q4_1.gguf \
        --prompt-tokens 256 --gen-tokens 128 --parallel 1,8 --threads 2 --reps 3 --json

For each K in --parallel, per rep:
  1. prefill: the shared prompt is decoded once, in one llama_decode call, into
     sequence 0 (timed -> pp_tok_s = prompt_tokens / seconds);
  2. llama_memory_seq_cp copies seq 0 to seqs 1..K-1. With kv_unified=true (the
     default here) that only tags the prompt's KV cells with more sequence ids:
     the prompt is stored once;
  3. decode: gen_tokens lockstep steps, each one llama_decode of a K-token batch
     (one token per sequence) followed by a greedy argmax per sequence
     (timed together -> tg_tok_s = K * gen_tokens / seconds).
Sequence i starts from the i-th best token of the prompt's last logits (so the K
branches differ), then continues greedily. Context: llama.cpp defaults
(flash attention auto, F16 KV cache) unless overridden by flags.
One untimed warm-up decode runs before the first rep of each K. The reported
numbers are medians over reps; *_max is the best rep (useful on a shared,
noisy machine); every rep's value is kept in *_all.

KV bytes are computed, not measured: bytes per KV cell =
n_layer * n_head_kv * (head_dim_k + head_dim_v) * sizeof(kv type); kv_bytes =
cells in use at the end of decode (prompt + K*gen when unified, K*(prompt+gen)
when not) * that, and kv_bytes_alloc = n_ctx (as allocated) * that.
"""
from __future__ import annotations

import argparse
import ctypes
import json
import os
import statistics
import sys
import time

import numpy as np

import llama_cpp as L

PARAGRAPH = (
    "The history of computing is a story of people trying to make machines do arithmetic "
    "faster and more reliably than any clerk could. Early mechanical calculators used gears "
    "and levers; later, relays and vacuum tubes replaced them, and the transistor made it "
    "possible to build small, cheap and dependable processors. Today a single chip holds "
    "billions of transistors, and software written decades ago still runs on it. Yet the "
    "basic ideas have hardly changed: memory holds numbers, a program says what to do with "
    "them, and a clock keeps every step in order. "
)

GGML_TYPES = {"f32": (0, 4), "f16": (1, 2), "q8_0": (8, 34 / 32)}
FA = {"auto": L.LLAMA_FLASH_ATTN_TYPE_AUTO, "on": L.LLAMA_FLASH_ATTN_TYPE_ENABLED,
      "off": L.LLAMA_FLASH_ATTN_TYPE_DISABLED}


def _silence_llama_logs():
    @L.llama_log_callback
    def _cb(level, text, user_data):  # noqa: ARG001
        pass
    L.llama_log_set(_cb, ctypes.c_void_p(0))
    return _cb


def meta_int(model, key: str):
    buf = ctypes.create_string_buffer(64)
    n = L.llama_model_meta_val_str(model, key.encode(), buf, 64)
    if n < 0:
        return None
    try:
        return int(buf.value.decode())
    except ValueError:
        return None


def meta_str(model, key: str):
    buf = ctypes.create_string_buffer(256)
    n = L.llama_model_meta_val_str(model, key.encode(), buf, 256)
    return None if n < 0 else buf.value.decode()


def tokenize(vocab, text: str) -> list[int]:
    data = text.encode()
    cap = len(data) + 16
    buf = (L.llama_token * cap)()
    n = L.llama_tokenize(vocab, data, len(data), buf, cap, True, False)
    assert n >= 0
    return list(buf[:n])


def prompt_tokens(vocab, n: int) -> list[int]:
    text = PARAGRAPH
    while True:
        toks = tokenize(vocab, text)
        if len(toks) >= n:
            return toks[:n]
        text += PARAGRAPH


class Batch:
    def __init__(self, n_max: int):
        self.b = L.llama_batch_init(n_max, 0, 1)

    def fill(self, toks, pos, seqs, want_logits):
        b = self.b
        b.n_tokens = len(toks)
        for i, (t, p, s, w) in enumerate(zip(toks, pos, seqs, want_logits)):
            b.token[i] = t
            b.pos[i] = p
            b.n_seq_id[i] = 1
            b.seq_id[i][0] = s
            b.logits[i] = 1 if w else 0

    def free(self):
        L.llama_batch_free(self.b)


def run_k(model, vocab, n_vocab, prompt, k, args, kv_cell_bytes):
    n_prompt, n_gen = len(prompt), args.gen_tokens
    if args.unified:
        n_ctx = n_prompt + k * n_gen
    else:
        n_ctx = k * (n_prompt + n_gen)
    n_ctx = ((n_ctx + 255) // 256) * 256
    cp = L.llama_context_default_params()
    cp.n_ctx = n_ctx
    cp.n_batch = max(n_prompt, k, 512)
    cp.n_ubatch = min(cp.n_batch, 512)
    cp.n_seq_max = k
    cp.n_threads = args.threads
    cp.n_threads_batch = args.threads
    cp.kv_unified = args.unified
    cp.flash_attn_type = FA[args.flash_attn]
    cp.type_k = GGML_TYPES[args.kv_type][0]
    cp.type_v = GGML_TYPES[args.kv_type][0]
    cp.no_perf = True
    ctx = L.llama_init_from_model(model, cp)
    if not ctx:
        raise SystemExit(f"failed to create context for K={k} (n_ctx={n_ctx})")
    mem = L.llama_get_memory(ctx)
    batch = Batch(max(n_prompt, k))
    pp_all, tg_all = [], []
    try:
        # untimed warm-up: a short prompt plus one K-wide decode step
        batch.fill(prompt[:16], range(16), [0] * 16, [False] * 15 + [True])
        assert L.llama_decode(ctx, batch.b) == 0
        for s in range(1, k):
            L.llama_memory_seq_cp(mem, 0, s, -1, -1)
        batch.fill(prompt[16:16 + k], [16] * k, range(k), [True] * k)
        assert L.llama_decode(ctx, batch.b) == 0
        L.llama_memory_clear(mem, True)

        for _ in range(args.reps):
            L.llama_memory_clear(mem, True)
            batch.fill(prompt, range(n_prompt), [0] * n_prompt, [False] * (n_prompt - 1) + [True])
            t0 = time.perf_counter()
            rc = L.llama_decode(ctx, batch.b)
            L.llama_synchronize(ctx)
            t_pp = time.perf_counter() - t0
            if rc != 0:
                raise RuntimeError(f"prefill llama_decode returned {rc}")
            last = np.ctypeslib.as_array(L.llama_get_logits_ith(ctx, -1), shape=(n_vocab,))
            cur = [int(t) for t in np.argsort(-last, kind="stable")[:k]]
            for s in range(1, k):
                L.llama_memory_seq_cp(mem, 0, s, -1, -1)

            seqs = list(range(k))
            t0 = time.perf_counter()
            for step in range(n_gen):
                pos = [n_prompt + step] * k
                batch.fill(cur, pos, seqs, [True] * k)
                rc = L.llama_decode(ctx, batch.b)
                if rc != 0:
                    raise RuntimeError(f"decode step {step} returned {rc} (K={k}, n_ctx={n_ctx})")
                logits = np.ctypeslib.as_array(L.llama_get_logits(ctx), shape=(k, n_vocab))
                cur = [int(t) for t in logits.argmax(axis=1)]
            t_tg = time.perf_counter() - t0
            pp_all.append(n_prompt / t_pp)
            tg_all.append(k * n_gen / t_tg)

        cells = (n_prompt + k * n_gen) if args.unified else k * (n_prompt + n_gen)
        n_ctx_alloc = L.llama_n_ctx(ctx)
    finally:
        batch.free()
        L.llama_free(ctx)
    return {
        "k": k,
        "prompt_tokens": n_prompt,
        "gen_tokens": n_gen,
        "threads": args.threads,
        "reps": args.reps,
        "kv_unified": args.unified,
        "flash_attn": args.flash_attn,
        "kv_type": args.kv_type,
        "n_ctx": n_ctx_alloc,
        "pp_tok_s": round(statistics.median(pp_all), 2),
        "tg_tok_s": round(statistics.median(tg_all), 2),
        "pp_tok_s_max": round(max(pp_all), 2),
        "tg_tok_s_max": round(max(tg_all), 2),
        "pp_tok_s_all": [round(x, 2) for x in pp_all],
        "tg_tok_s_all": [round(x, 2) for x in tg_all],
        "kv_bytes": int(cells * kv_cell_bytes),
        "kv_bytes_alloc": int(n_ctx_alloc * kv_cell_bytes),
        "kv_bytes_per_token": kv_cell_bytes,
        "engine": f"llama.cpp via llama-cpp-python {L.__version__}",
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default=os.path.join(os.path.dirname(__file__), "..", "..", "models",
                                                    "SmolLM2-135M-Instruct.Q4_1.gguf"))
    ap.add_argument("--prompt-tokens", type=int, default=256)
    ap.add_argument("--gen-tokens", type=int, default=128)
    ap.add_argument("--parallel", default="1,8", help="comma-separated K values")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--json", action="store_true", help="print a JSON list instead of a table")
    ap.add_argument("--no-unified", dest="unified", action="store_false",
                    help="one KV stream per sequence (prompt copied K times) instead of kv_unified")
    ap.add_argument("--flash-attn", choices=sorted(FA), default="auto")
    ap.add_argument("--kv-type", choices=sorted(GGML_TYPES), default="f16")
    args = ap.parse_args()
    ks = [int(x) for x in args.parallel.split(",") if x.strip()]

    keep = _silence_llama_logs()  # noqa: F841
    L.llama_backend_init()
    mp = L.llama_model_default_params()
    mp.n_gpu_layers = 0
    model = L.llama_model_load_from_file(os.path.abspath(args.model).encode(), mp)
    if not model:
        raise SystemExit(f"failed to load {args.model}")
    vocab = L.llama_model_get_vocab(model)
    n_vocab = L.llama_vocab_n_tokens(vocab)
    arch = meta_str(model, "general.architecture") or "llama"
    n_layer = L.llama_model_n_layer(model)
    n_head = L.llama_model_n_head(model)
    n_head_kv = L.llama_model_n_head_kv(model)
    hd = L.llama_model_n_embd(model) // n_head
    hd_k = meta_int(model, f"{arch}.attention.key_length") or hd
    hd_v = meta_int(model, f"{arch}.attention.value_length") or hd
    kv_cell_bytes = n_layer * n_head_kv * (hd_k + hd_v) * GGML_TYPES[args.kv_type][1]
    prompt = prompt_tokens(vocab, args.prompt_tokens)

    results = []
    for k in ks:
        res = run_k(model, vocab, n_vocab, prompt, k, args, kv_cell_bytes)
        res["model"] = os.path.basename(args.model)
        results.append(res)
        if not args.json:
            print(f"K={k}: pp {res['pp_tok_s']:.1f} tok/s, tg {res['tg_tok_s']:.1f} tok/s", file=sys.stderr)
    L.llama_model_free(model)

    if args.json:
        print(json.dumps(results, indent=1))
    else:
        print(f"{'K':>4} {'pp tok/s':>10} {'tg tok/s':>10} {'KV MiB':>8} {'KV alloc MiB':>13}")
        for r in results:
            print(f"{r['k']:>4} {r['pp_tok_s']:>10.1f} {r['tg_tok_s']:>10.1f} "
                  f"{r['kv_bytes'] / 2**20:>8.2f} {r['kv_bytes_alloc'] / 2**20:>13.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
