#!/usr/bin/env python3
"""Write a llama.cpp reference fixture (JSON) for a GGUF model.

Run with the peer venv (evals/scripts/setup_peer.sh):

    .venv-peer/bin/python evals/scripts/llama_reference.py \
        --model models/SmolLM2-135M-Instruct.Q4_1.gguf --out results/llama_ref.json

Everything goes through llama.cpp's low-level C API (llama_cpp.llama_decode
with an explicit batch, llama_get_logits_ith), so the greedy continuation is
exactly `--greedy` argmax steps, never stopped at EOS, with no sampler, no
repetition penalty. Settings: n_threads=2, n_ctx=2048, n_batch=512, one
sequence, logits output for every prompt position (logits_all equivalent).

The chat prompts are rendered from the model's own `tokenizer.chat_template`
(read from the GGUF with the `gguf` package) with jinja2, the way
transformers does (sandboxed env, trim_blocks, lstrip_blocks).
"""
from __future__ import annotations

import argparse
import ctypes
import datetime
import hashlib
import json
import os
import sys

import numpy as np

import llama_cpp as L

N_THREADS = 2
N_CTX = 2048
N_BATCH = 512
TOP_N = 20

TEXT_PROMPTS = [
    ("plain_short", "The capital of France is"),
    ("plain_story", "Once upon a time, in a small village at the edge of a forest, there lived"),
    ("plain_single_word", "Hello"),
    ("digits_punct",
     "In 2023, revenue rose from $1,234.56 to $7,890.12 (+539.4%)! Check: 3 + 4 = 7; "
     "12 * 12 = 144; 2^10 = 1024. Dates: 2024-01-31, 12/25/1999; time 09:45:07."),
    ("unicode",
     "Caf\u00e9 na\u00efve r\u00e9sum\u00e9 \u2014 \u6771\u4eac\u306f\u65e5\u672c\u306e\u9996\u90fd\u3067\u3059\u3002 "
     "\u041f\u0440\u0438\u0432\u0435\u0442, \u043c\u0438\u0440! \U0001F680\u2728 \u2211 x\u00b2 \u2248 \u03c0, "
     "\u00bfQu\u00e9 tal? \u00c5ngstr\u00f6m"),
    ("code", "def fibonacci(n):\n    if n < 2:\n        return n\n"),
    ("whitespace", "  two leading spaces,\ttab,\n\nblank line and trailing spaces   "),
]

CHAT_PROMPTS = [
    ("chat_single_turn", [{"role": "user", "content": "What is the largest planet in the solar system?"}]),
    ("chat_with_system", [
        {"role": "system", "content": "You are a helpful assistant who answers in one short sentence."},
        {"role": "user", "content": "Why is the sky blue?"},
    ]),
]

CHAT_CONVERSATION = [
    {"role": "system", "content": "You are a concise math tutor."},
    {"role": "user", "content": "What is 12 times 7?"},
    {"role": "assistant", "content": "12 times 7 is 84."},
    {"role": "user", "content": "And if I divide that by 4?"},
]


def _silence_llama_logs():
    @L.llama_log_callback
    def _cb(level, text, user_data):  # noqa: ARG001
        pass
    L.llama_log_set(_cb, ctypes.c_void_p(0))
    return _cb  # keep a reference alive


def sha256_file(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def gguf_string_field(path: str, key: str):
    """Read one metadata value from the GGUF with the gguf package."""
    from gguf import GGUFReader
    reader = GGUFReader(path)
    field = reader.fields.get(key)
    if field is None:
        return None
    val = field.contents()
    return val


def tokenize(vocab, text: str, add_special: bool, parse_special: bool = True) -> list[int]:
    data = text.encode("utf-8")
    cap = len(data) + 16
    buf = (L.llama_token * cap)()
    n = L.llama_tokenize(vocab, data, len(data), buf, cap, add_special, parse_special)
    if n < 0:
        cap = -n
        buf = (L.llama_token * cap)()
        n = L.llama_tokenize(vocab, data, len(data), buf, cap, add_special, parse_special)
    return list(buf[:n])


def piece(vocab, tok: int) -> bytes:
    buf = ctypes.create_string_buffer(256)
    n = L.llama_token_to_piece(vocab, tok, buf, 256, 0, True)
    if n < 0:
        buf = ctypes.create_string_buffer(-n)
        n = L.llama_token_to_piece(vocab, tok, buf, -n, 0, True)
    return buf.raw[:n]


def detok(vocab, toks: list[int]) -> str:
    return b"".join(piece(vocab, t) for t in toks).decode("utf-8", errors="replace")


def render_chat(template: str, messages, add_generation_prompt: bool, bos: str, eos: str) -> str:
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    def raise_exception(msg):
        raise RuntimeError(msg)

    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = lambda fmt: datetime.datetime.now().strftime(fmt)
    return env.from_string(template).render(
        messages=messages, add_generation_prompt=add_generation_prompt,
        bos_token=bos, eos_token=eos)


# Numerics configurations. "reference" is the most precise one llama.cpp
# offers on CPU for these weights: no flash attention and an F32 KV cache
# (F16 KV rounds K/V and also Q, which ggml converts to F16 for the K*Q
# matmul; CPU flash attention accumulates in F16). The others are measured
# against it to record llama.cpp's own numeric spread ("spread" per prompt).
CONFIGS = {
    "reference": {"flash_attn": L.LLAMA_FLASH_ATTN_TYPE_DISABLED, "kv_type": "f32"},
    "llama_default": {"flash_attn": L.LLAMA_FLASH_ATTN_TYPE_AUTO, "kv_type": "f16"},
    "no_fa_f16kv": {"flash_attn": L.LLAMA_FLASH_ATTN_TYPE_DISABLED, "kv_type": "f16"},
}
GGML_TYPES = {"f32": 0, "f16": 1}


class Runner:
    def __init__(self, model_path: str):
        self._log_cb = _silence_llama_logs()
        L.llama_backend_init()
        mparams = L.llama_model_default_params()
        mparams.n_gpu_layers = 0
        self.model = L.llama_model_load_from_file(model_path.encode(), mparams)
        if not self.model:
            raise SystemExit(f"failed to load {model_path}")
        self.vocab = L.llama_model_get_vocab(self.model)
        self.n_vocab = L.llama_vocab_n_tokens(self.vocab)
        self.ctx = None
        self.batch = L.llama_batch_init(N_BATCH, 0, 1)
        self.configure("reference")

    def configure(self, name: str):
        cfg = CONFIGS[name]
        if self.ctx:
            L.llama_free(self.ctx)
        cparams = L.llama_context_default_params()
        cparams.n_ctx = N_CTX
        cparams.n_batch = N_BATCH
        cparams.n_ubatch = N_BATCH
        cparams.n_seq_max = 1
        cparams.n_threads = N_THREADS
        cparams.n_threads_batch = N_THREADS
        cparams.no_perf = True
        cparams.flash_attn_type = cfg["flash_attn"]
        cparams.type_k = GGML_TYPES[cfg["kv_type"]]
        cparams.type_v = GGML_TYPES[cfg["kv_type"]]
        self.ctx = L.llama_init_from_model(self.model, cparams)
        if not self.ctx:
            raise SystemExit(f"failed to create context for config {name}")
        self.mem = L.llama_get_memory(self.ctx)

    def close(self):
        L.llama_batch_free(self.batch)
        L.llama_free(self.ctx)
        L.llama_model_free(self.model)

    def _decode(self, toks: list[int], pos0: int, all_logits: bool):
        b = self.batch
        b.n_tokens = len(toks)
        for i, t in enumerate(toks):
            b.token[i] = t
            b.pos[i] = pos0 + i
            b.n_seq_id[i] = 1
            b.seq_id[i][0] = 0
            b.logits[i] = 1 if (all_logits or i == len(toks) - 1) else 0
        rc = L.llama_decode(self.ctx, b)
        if rc != 0:
            raise RuntimeError(f"llama_decode returned {rc}")

    def logits_ith(self, i: int) -> np.ndarray:
        ptr = L.llama_get_logits_ith(self.ctx, i)
        return np.ctypeslib.as_array(ptr, shape=(self.n_vocab,)).copy()

    def run(self, toks: list[int], n_greedy: int):
        """Prompt pass with logits at every position, then n_greedy argmax steps."""
        if len(toks) + n_greedy > N_CTX or len(toks) > N_BATCH:
            raise ValueError("prompt too long")
        L.llama_memory_clear(self.mem, True)
        self._decode(toks, 0, all_logits=True)
        last = self.logits_ith(len(toks) - 1)
        logits = last
        greedy = []
        pos = len(toks)
        for step in range(n_greedy):
            nxt = int(np.argmax(logits))  # ties -> lowest id
            greedy.append(nxt)
            if step == n_greedy - 1:
                break
            self._decode([nxt], pos, all_logits=False)
            pos += 1
            logits = self.logits_ith(-1)
        return last, greedy


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default=os.path.join(os.path.dirname(__file__), "..", "..", "models",
                                                    "SmolLM2-135M-Instruct.Q4_1.gguf"))
    ap.add_argument("--out", required=True)
    ap.add_argument("--greedy", type=int, default=64, help="greedy tokens per prompt (default 64)")
    ap.add_argument("--prompts", help="comma-separated prompt names to keep (default: all); for large models")
    args = ap.parse_args()
    model_path = os.path.abspath(args.model)

    r = Runner(model_path)
    vocab = r.vocab
    add_bos = bool(L.llama_vocab_get_add_bos(vocab))
    add_eos = bool(L.llama_vocab_get_add_eos(vocab))
    bos = int(L.llama_vocab_bos(vocab))
    eos = int(L.llama_vocab_eos(vocab))
    eot = int(L.llama_vocab_eot(vocab))
    eog_ids = [t for t in range(r.n_vocab) if L.llama_vocab_is_eog(vocab, t)]
    bos_str = piece(vocab, bos).decode("utf-8", "replace") if bos >= 0 else ""
    eos_str = piece(vocab, eos).decode("utf-8", "replace") if eos >= 0 else ""

    template = gguf_string_field(model_path, "tokenizer.chat_template")
    if template is None:
        print("warning: model has no tokenizer.chat_template; chat prompts skipped", file=sys.stderr)

    prompts = [{"name": n, "kind": "text", "text": t} for n, t in TEXT_PROMPTS]
    if template is not None:
        for n, msgs in CHAT_PROMPTS:
            prompts.append({"name": n, "kind": "chat", "messages": msgs,
                            "text": render_chat(template, msgs, True, bos_str, eos_str)})

    if args.prompts:
        keep = args.prompts.split(",")
        unknown = sorted(set(keep) - {p["name"] for p in prompts})
        if unknown:
            raise SystemExit(f"--prompts: unknown prompt name(s) {', '.join(unknown)}")
        prompts = [p for p in prompts if p["name"] in keep]

    out_prompts = []
    for p in prompts:
        # add_special=True lets llama.cpp add BOS/EOS exactly as the model's
        # metadata says (tokenizer.ggml.add_bos_token / add_eos_token);
        # parse_special=True turns "<|im_start|>" etc. into their single ids.
        toks = tokenize(vocab, p["text"], add_special=True, parse_special=True)
        last, greedy = r.run(toks, args.greedy)
        order = np.argsort(-last, kind="stable")[:TOP_N]
        entry = dict(p)
        entry.update({
            "tokens": toks,
            "last_logits_top": {"ids": [int(i) for i in order],
                                "values": [round(float(last[i]), 6) for i in order]},
            "last_logits": [round(float(x), 6) for x in last],
            "greedy": greedy,
            "greedy_text": detok(vocab, greedy),
        })
        entry["spread"] = {}
        out_prompts.append(entry)
        print(f"[{p['name']}] {len(toks)} tokens, top1={int(order[0])} "
              f"({float(last[order[0]]):.3f}) -> {entry['greedy_text'][:70]!r}", file=sys.stderr)

    # llama.cpp's own numeric spread: same prompts under other context configs.
    for cfg_name in CONFIGS:
        if cfg_name == "reference":
            continue
        r.configure(cfg_name)
        for entry in out_prompts:
            ref = np.asarray(entry["last_logits"], dtype=np.float64)
            last, greedy = r.run(entry["tokens"], args.greedy)
            diff = np.abs(last.astype(np.float64) - ref)
            top = np.argsort(-last, kind="stable")[:TOP_N]
            same_prefix = next((i for i, (a, b) in enumerate(zip(greedy, entry["greedy"])) if a != b),
                               len(greedy))
            entry["spread"][cfg_name] = {
                "max_abs_diff": round(float(diff.max()), 6),
                "mean_abs_diff": round(float(diff.mean()), 6),
                "top1": int(top[0]),
                "top20_overlap": len(set(int(i) for i in top) & set(entry["last_logits_top"]["ids"])),
                "greedy": greedy,
                "greedy_common_prefix": same_prefix,
            }
        print(f"spread {cfg_name}: " + ", ".join(
            f"{e['name']}: max {e['spread'][cfg_name]['max_abs_diff']:.3f} "
            f"mean {e['spread'][cfg_name]['mean_abs_diff']:.3f} "
            f"prefix {e['spread'][cfg_name]['greedy_common_prefix']}" for e in out_prompts), file=sys.stderr)

    chat = None
    if template is not None:
        with_sys = CHAT_CONVERSATION
        no_sys = [m for m in CHAT_CONVERSATION if m["role"] != "system"]
        chat = {
            "template": template,
            "render": {"engine": "jinja2 ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)",
                       "bos_token": bos_str, "eos_token": eos_str},
            "conversations": [],
        }
        for name, msgs in (("with_system", with_sys), ("no_system", no_sys)):
            for agp in (True, False):
                rendered = render_chat(template, msgs, agp, bos_str, eos_str)
                chat["conversations"].append({
                    "name": name, "messages": msgs, "add_generation_prompt": agp,
                    "rendered": rendered,
                    "tokens": tokenize(vocab, rendered, add_special=True, parse_special=True),
                })

    fixture = {
        "format": "ttscale-llama-reference-v1",
        "model": {
            "path": model_path,
            "file": os.path.basename(model_path),
            "sha256": sha256_file(model_path),
            "n_vocab": r.n_vocab,
            "n_layer": L.llama_model_n_layer(r.model),
            "n_embd": L.llama_model_n_embd(r.model),
            "n_head": L.llama_model_n_head(r.model),
            "n_head_kv": L.llama_model_n_head_kv(r.model),
            "bos_id": bos, "eos_id": eos, "eot_id": eot, "eog_ids": eog_ids,
            "add_bos": add_bos, "add_eos": add_eos,
            "bos_token": bos_str, "eos_token": eos_str,
        },
        "llama_cpp": {
            "llama_cpp_python": L.__version__,
            "system_info": L.llama_print_system_info().decode(),
            "n_threads": N_THREADS, "n_ctx": N_CTX, "n_batch": N_BATCH,
            "configs": {k: {"flash_attn": {-1: "auto", 0: "off", 1: "on"}[v["flash_attn"]],
                            "kv_type": v["kv_type"]} for k, v in CONFIGS.items()},
            "fields_from": "reference config (tokens/last_logits/greedy); prompts[].spread holds the others",
            "logits": "all prompt positions output (logits_all equivalent)",
            "tokenize": {"add_special": True, "parse_special": True},
            "greedy": f"{args.greedy} steps of argmax over raw logits (ties -> lowest id), "
                      "no sampler/penalties, not stopped at EOG",
        },
        "prompts": out_prompts,
        "chat": chat,
    }
    r.close()
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(fixture, f, ensure_ascii=False)
        f.write("\n")
    print(f"wrote {args.out} ({len(out_prompts)} prompts)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
