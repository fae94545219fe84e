#!/usr/bin/env python3
"""Peer side of the ttscale parallel-decode benchmark: llama.cpp (llama-cpp-python).

    .venv-peer/bin/python evals/bench/llama_batched.py \
        --model models/SmolLM2-135M-Instruct.Q4_1.gguf \
        --prompt-tokens 256 --gen-tokens 128 --parallel 1,8 --threads 2 --reps 3 --json

For each K in --parallel and each llama.cpp configuration in --configs (default: all four of
flash attention off/on x unified/split KV), per rep:
  1. prefill: the shared prompt is decoded once, in one llama_decode call, into
     sequence 0 (timed -> pp_tok_s = prompt_tokens / seconds);
  2. llama_memory_seq_cp copies seq 0 to seqs 1..K-1. With kv=unified (kv_unified=true)
     that only tags the prompt's KV cells with more sequence ids: the prompt is stored
     once. With kv=split (kv_unified=false) every sequence has its own KV stream and the
     prompt's cells are copied into each (not timed: neither phase includes it);
  3. decode: gen_tokens lockstep steps, each one llama_decode of a K-token batch
     (one token per sequence) followed by a greedy argmax per sequence
     (timed together -> tg_tok_s = K * gen_tokens / seconds).
Sequence i starts from the i-th best token of the prompt's last logits (so the K
branches differ), then continues greedily. F16 KV cache unless --kv-type says otherwise.
At K = 1 split and unified are the same layout, so only the unified ones run.
Reps are interleaved over configurations (rep 1 of every configuration, then rep 2, ...),
so machine noise hits them alike. One untimed warm-up decode runs per context. The
reported numbers are medians over reps; *_max is the best rep; every rep's value is kept
in *_all. Output: one row per (K, configuration), in --configs order.

KV bytes are computed, not measured: bytes per KV cell =
n_layer * n_head_kv * (head_dim_k + head_dim_v) * sizeof(kv type); kv_bytes =
cells in use at the end of decode (prompt + K*gen when unified, K*(prompt+gen)
when split) * that, and kv_bytes_alloc = n_ctx (as allocated) * that.
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
KV = {"unified": True, "split": False}
ALL_CONFIGS = "fa=off:kv=unified,fa=on:kv=unified,fa=off:kv=split,fa=on:kv=split"


def parse_configs(text: str) -> list[dict]:
    """'fa=off:kv=unified,fa=on:kv=split' -> [{"fa": "off", "kv": "unified"}, ...]."""
    out = []
    for item in text.split(","):
        cfg = dict(kv.split("=", 1) for kv in item.strip().split(":") if "=" in kv)
        if set(cfg) != {"fa", "kv"} or cfg["fa"] not in FA or cfg["kv"] not in KV:
            raise SystemExit(f"--configs: bad item {item!r}: expected fa=off|on|auto:kv=unified|split")
        out.append(cfg)
    return out


def config_name(cfg: dict) -> str:
    return f"fa={cfg['fa']}, kv={cfg['kv']}"


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


class Context:
    """One llama.cpp context for K sequences under one configuration, warmed up."""

    def __init__(self, model, prompt, k, cfg, args):
        self.k, self.cfg, self.n_prompt, self.n_gen = k, cfg, len(prompt), args.gen_tokens
        self.unified = KV[cfg["kv"]]
        if self.unified:
            n_ctx = self.n_prompt + k * self.n_gen
        else:
            n_ctx = k * (self.n_prompt + self.n_gen)
        n_ctx = ((n_ctx + 255) // 256) * 256
        cp = L.llama_context_default_params()
        cp.n_ctx = n_ctx
        cp.n_batch = max(self.n_prompt, k, 512)
        cp.n_ubatch = min(cp.n_batch, 512)
        cp.n_seq_max = k
        cp.n_threads = args.threads
        cp.n_threads_batch = args.threads
        cp.kv_unified = self.unified
        cp.flash_attn_type = FA[cfg["fa"]]
        cp.type_k = GGML_TYPES[args.kv_type][0]
        cp.type_v = GGML_TYPES[args.kv_type][0]
        cp.no_perf = True
        self.ctx = L.llama_init_from_model(model, cp)
        if not self.ctx:
            raise SystemExit(f"failed to create context for K={k} {config_name(cfg)} (n_ctx={n_ctx})")
        self.mem = L.llama_get_memory(self.ctx)
        self.batch = Batch(max(self.n_prompt, k))
        self.n_ctx = L.llama_n_ctx(self.ctx)
        # untimed warm-up: a short prompt plus one K-wide decode step
        self.batch.fill(prompt[:16], range(16), [0] * 16, [False] * 15 + [True])
        assert L.llama_decode(self.ctx, self.batch.b) == 0
        for s in range(1, k):
            L.llama_memory_seq_cp(self.mem, 0, s, -1, -1)
        self.batch.fill(prompt[16:16 + k], [16] * k, range(k), [True] * k)
        assert L.llama_decode(self.ctx, self.batch.b) == 0
        L.llama_memory_clear(self.mem, True)

    def rep(self, prompt, n_vocab):
        """One timed prefill + decode; returns (pp_tok_s, tg_tok_s)."""
        ctx, mem, batch, k = self.ctx, self.mem, self.batch, self.k
        n_prompt, n_gen = self.n_prompt, self.n_gen
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
            batch.fill(cur, [n_prompt + step] * k, seqs, [True] * k)
            rc = L.llama_decode(ctx, batch.b)
            if rc != 0:
                raise RuntimeError(f"decode step {step} returned {rc} (K={k}, {config_name(self.cfg)}, n_ctx={self.n_ctx})")
            logits = np.ctypeslib.as_array(L.llama_get_logits(ctx), shape=(k, n_vocab))
            cur = [int(t) for t in logits.argmax(axis=1)]
        t_tg = time.perf_counter() - t0
        return n_prompt / t_pp, k * n_gen / t_tg

    def free(self):
        self.batch.free()
        L.llama_free(self.ctx)


def run_k(model, n_vocab, prompt, k, configs, args, kv_cell_bytes):
    """Every configuration for one K, reps interleaved across configurations."""
    if k == 1:  # one sequence: split and unified KV are the same layout
        configs = [c for c in configs if c["kv"] == "unified"] or configs[:1]
    contexts = [Context(model, prompt, k, cfg, args) for cfg in configs]
    samples = [([], []) for _ in configs]
    try:
        for _ in range(args.reps):
            for c, (pp_all, tg_all) in zip(contexts, samples):
                pp, tg = c.rep(prompt, n_vocab)
                pp_all.append(pp)
                tg_all.append(tg)
    finally:
        for c in contexts:
            c.free()
    rows = []
    for c, (pp_all, tg_all) in zip(contexts, samples):
        n_prompt, n_gen = c.n_prompt, c.n_gen
        cells = (n_prompt + k * n_gen) if c.unified else k * (n_prompt + n_gen)
        rows.append({
            "k": k,
            "config": config_name(c.cfg),
            "prompt_tokens": n_prompt,
            "gen_tokens": n_gen,
            "threads": args.threads,
            "reps": args.reps,
            "kv_unified": c.unified,
            "flash_attn": c.cfg["fa"],
            "kv_type": args.kv_type,
            "n_ctx": c.n_ctx,
            "pp_tok_s": round(statistics.median(pp_all), 2),
            "tg_tok_s": round(statistics.median(tg_all), 2),
            "pp_tok_s_max": round(max(pp_all), 2),
            "tg_tok_s_max": round(max(tg_all), 2),
            "pp_tok_s_all": [round(x, 2) for x in pp_all],
            "tg_tok_s_all": [round(x, 2) for x in tg_all],
            "kv_bytes": int(cells * kv_cell_bytes),
            "kv_bytes_alloc": int(c.n_ctx * kv_cell_bytes),
            "kv_bytes_per_token": kv_cell_bytes,
            "engine": f"llama.cpp via llama-cpp-python {L.__version__}",
        })
    return rows


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
    ap.add_argument("--configs", default=ALL_CONFIGS,
                    help="comma-separated fa=off|on|auto:kv=unified|split items (default: all four of off/on x unified/split)")
    ap.add_argument("--kv-type", choices=sorted(GGML_TYPES), default="f16")
    args = ap.parse_args()
    ks = [int(x) for x in args.parallel.split(",") if x.strip()]
    configs = parse_configs(args.configs)

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
        for res in run_k(model, n_vocab, prompt, k, configs, args, kv_cell_bytes):
            res["model"] = os.path.basename(args.model)
            results.append(res)
            if not args.json:
                print(f"K={k} {res['config']}: pp {res['pp_tok_s']:.1f} tok/s, tg {res['tg_tok_s']:.1f} tok/s",
                      file=sys.stderr)
    L.llama_model_free(model)

    if args.json:
        print(json.dumps(results, indent=1))
    else:
        print(f"{'K':>4} {'configuration':<20} {'pp tok/s':>10} {'tg tok/s':>10} {'KV MiB':>8} {'KV alloc MiB':>13}")
        for r in results:
            print(f"{r['k']:>4} {r['config']:<20} {r['pp_tok_s']:>10.1f} {r['tg_tok_s']:>10.1f} "
                  f"{r['kv_bytes'] / 2**20:>8.2f} {r['kv_bytes_alloc'] / 2**20:>13.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
