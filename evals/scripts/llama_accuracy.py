#!/usr/bin/env python3
"""Accuracy of candidate models on the shipped math subsets, measured with llama.cpp (the peer).

    .venv-peer/bin/python evals/scripts/llama_accuracy.py \
        --model smollm2-135m --model qwen2.5-coder-0.5b --model qwen2.5-coder-1.5b \
        --n 50 --out results/llama_accuracy.json

Used to choose the demo's model: for each model, the first --n problems of MultiArith
(evals/datasets/multiarith/test.jsonl) and of GSM8K (evals/datasets/gsm8k/test_first200.jsonl)
are answered once per sampling mode: `t0.7` (temperature 0.7, top-p 0.95, seed = problem index)
and `greedy` (argmax). The prompt is the demo sweep's (configs/demo.yaml): system "You are a
careful math tutor.", user "<question>\\n\\nSolve it step by step, then end with: The answer is
<number>.", rendered with the model's own chat template (jinja2, as llama_reference.py does) and
tokenized like `ttscale eval` (special tokens parsed, none added).

Each completion runs to an end-of-generation token or --max-tokens (512). The 256-token budget
is read off the same completion: sampling is sequential, so a run capped at 256 tokens is exactly
the first 256 tokens of this one (same seed, same draws). For each budget the table reports:
accuracy (extracted answer == gold, numerically), how many completions hit the budget without
ending, and the mean completion length in tokens (capped at the budget).

Answer extraction (deliberately simple, not ttscale's extractor): the number after the last
"answer is" if there is one, else the last number in the completion; commas and a leading $
are dropped. Gold: MultiArith `target`; GSM8K the number after "#### ".

Decoding: llama.cpp's low-level API, continuous batching over --parallel sequences in one
context (unified KV, flash attention off, F16 KV, --threads threads); a freed slot takes the next
problem. Sampling is done here in numpy: softmax(logits / T), keep the smallest prefix of the
sorted distribution whose mass reaches top-p, renormalize, draw with numpy's PCG64 seeded by the
problem index.
"""
from __future__ import annotations

import argparse
import ctypes
import datetime
import json
import os
import re
import statistics
import sys
import time

import numpy as np

import llama_cpp as L

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SYSTEM = "You are a careful math tutor."
USER = "{question}\n\nSolve it step by step, then end with: The answer is <number>."
DATASETS = {
    "multiarith": ("evals/datasets/multiarith/test.jsonl", "input", "target"),
    "gsm8k": ("evals/datasets/gsm8k/test_first200.jsonl", "question", "answer"),
}
MODES = {"t0.7": (0.7, 0.95), "greedy": (0.0, 1.0)}
NUM = r"-?\$?\d[\d,]*(?:\.\d+)?"


def resolve_model(name_or_path: str) -> str:
    """A registry name (configs/models/<name>.yaml) -> models/<file>; a path stays."""
    if "/" in name_or_path or name_or_path.endswith(".gguf"):
        return name_or_path
    import yaml
    with open(os.path.join(ROOT, "configs", "models", name_or_path + ".yaml")) as f:
        path = os.path.join(ROOT, "models", yaml.safe_load(f)["file"])
    if not os.path.exists(path):
        raise SystemExit(f"{path} is missing: run `make model NAME={name_or_path}`")
    return path


def to_number(s: str) -> float | None:
    try:
        return float(s.replace(",", "").replace("$", "").rstrip("."))
    except ValueError:
        return None


def extract(text: str) -> float | None:
    m = re.findall(r"answer is[:\s]*\**\s*(" + NUM + ")", text, flags=re.IGNORECASE)
    if m:
        return to_number(m[-1])
    nums = re.findall(NUM, text)
    return to_number(nums[-1]) if nums else None


def gold_of(dataset: str, row: dict) -> float:
    _, _, field = DATASETS[dataset]
    if dataset == "gsm8k":
        return float(row[field].split("####")[-1].strip().replace(",", ""))
    return float(row[field])


def load_problems(dataset: str, n: int) -> list[dict]:
    path, qf, _ = DATASETS[dataset]
    out = []
    with open(os.path.join(ROOT, path), encoding="utf-8") as f:
        for line in f:
            if line.strip():
                row = json.loads(line)
                out.append({"dataset": dataset, "index": len(out), "question": row[qf], "gold": gold_of(dataset, row)})
            if len(out) == n:
                break
    return out


def render_chat(template: str, messages, bos: str, eos: str) -> str:
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    def raise_exception(msg):
        raise RuntimeError(msg)

    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = lambda fmt: datetime.datetime.now().strftime(fmt)
    return env.from_string(template).render(messages=messages, add_generation_prompt=True, bos_token=bos, eos_token=eos)


def tokenize(vocab, text: str) -> list[int]:
    data = text.encode()
    cap = len(data) + 16
    buf = (L.llama_token * cap)()
    n = L.llama_tokenize(vocab, data, len(data), buf, cap, False, True)
    assert n >= 0
    return list(buf[:n])


def piece(vocab, tok: int) -> bytes:
    buf = ctypes.create_string_buffer(256)
    n = L.llama_token_to_piece(vocab, tok, buf, 256, 0, False)
    return buf.raw[:max(n, 0)]


def sample(logits: np.ndarray, temperature: float, top_p: float, rng) -> int:
    if temperature <= 0:
        return int(np.argmax(logits))
    z = logits.astype(np.float64) / temperature
    p = np.exp(z - z.max())
    p /= p.sum()
    order = np.argsort(-p, kind="stable")
    cum = np.cumsum(p[order])
    keep = order[: int(np.searchsorted(cum, top_p)) + 1]
    q = p[keep] / p[keep].sum()
    return int(keep[rng.choice(len(keep), p=q)])


class Slot:
    def __init__(self, job, prompt):
        self.job, self.prompt, self.out = job, prompt, []
        temperature, top_p = MODES[job["mode"]]
        self.temperature, self.top_p = temperature, top_p
        self.rng = np.random.default_rng(job["index"])
        self.pos = 0


def run_model(path: str, jobs: list[dict], args) -> list[dict]:
    L.llama_backend_init()
    mp = L.llama_model_default_params()
    mp.n_gpu_layers = 0
    model = L.llama_model_load_from_file(path.encode(), mp)
    if not model:
        raise SystemExit(f"failed to load {path}")
    vocab = L.llama_model_get_vocab(model)
    n_vocab = L.llama_vocab_n_tokens(vocab)
    from gguf import GGUFReader
    template = GGUFReader(path).fields["tokenizer.chat_template"].contents()
    bos = piece(vocab, L.llama_vocab_bos(vocab)).decode("utf-8", "replace")
    eos = piece(vocab, L.llama_vocab_eos(vocab)).decode("utf-8", "replace")
    prompts = [tokenize(vocab, render_chat(template, [{"role": "system", "content": SYSTEM},
                                                      {"role": "user", "content": USER.format(question=j["question"])}],
                                           bos, eos)) for j in jobs]
    per_seq = max(len(p) for p in prompts) + args.max_tokens + 8
    cp = L.llama_context_default_params()
    cp.n_ctx = args.parallel * per_seq
    cp.n_batch = args.parallel * (max(len(p) for p in prompts) + 1)  # every slot admitting a prompt at once
    cp.n_ubatch = 512
    cp.n_seq_max = args.parallel
    cp.n_threads = cp.n_threads_batch = args.threads
    cp.kv_unified = True
    cp.flash_attn_type = L.LLAMA_FLASH_ATTN_TYPE_DISABLED
    cp.no_perf = True
    ctx = L.llama_init_from_model(model, cp)
    mem = L.llama_get_memory(ctx)
    batch = L.llama_batch_init(cp.n_batch, 0, 1)
    slots: list[Slot | None] = [None] * args.parallel
    queue = list(range(len(jobs)))
    results = [None] * len(jobs)
    t0, n_done, n_tok = time.time(), 0, 0
    while queue or any(slots):
        n = 0
        rows = {}  # batch index -> slot id
        for s, slot in enumerate(slots):  # one token for every running sequence
            if slot is not None:
                batch.token[n], batch.pos[n], batch.n_seq_id[n], batch.seq_id[n][0], batch.logits[n] = \
                    slot.out[-1], slot.pos, 1, s, 1
                rows[n] = s
                slot.pos += 1
                n += 1
        for s in range(args.parallel):  # admit new problems into free slots (their whole prompt)
            if slots[s] is None and queue:
                j = queue.pop(0)
                slot = Slot(jobs[j], prompts[j])
                slot.j = j
                slots[s] = slot
                L.llama_memory_seq_rm(mem, s, -1, -1)
                for i, t in enumerate(slot.prompt):
                    batch.token[n], batch.pos[n], batch.n_seq_id[n], batch.seq_id[n][0] = t, i, 1, s
                    batch.logits[n] = 1 if i == len(slot.prompt) - 1 else 0
                    n += 1
                rows[n - 1] = s
                slot.pos = len(slot.prompt)
        batch.n_tokens = n
        rc = L.llama_decode(ctx, batch)
        if rc != 0:
            raise RuntimeError(f"llama_decode returned {rc}")
        for i, s in rows.items():
            slot = slots[s]
            logits = np.ctypeslib.as_array(L.llama_get_logits_ith(ctx, i), shape=(n_vocab,))
            tok = sample(logits, slot.temperature, slot.top_p, slot.rng)
            is_eog = bool(L.llama_vocab_is_eog(vocab, tok))
            if not is_eog:
                slot.out.append(tok)
                n_tok += 1
            if is_eog or len(slot.out) >= args.max_tokens:
                results[slot.j] = finish(vocab, slot, is_eog, args)
                slots[s] = None
                L.llama_memory_seq_rm(mem, s, -1, -1)
                n_done += 1
                if n_done % 20 == 0:
                    el = time.time() - t0
                    print(f"  {n_done}/{len(jobs)} done, {n_tok} tokens in {el:.0f} s ({n_tok / el:.1f} tok/s)", file=sys.stderr)
    L.llama_batch_free(batch)
    L.llama_free(ctx)
    L.llama_model_free(model)
    return results


def finish(vocab, slot: Slot, is_eog: bool, args) -> dict:
    job = dict(slot.job)
    job.pop("question")
    job["n_tokens"] = len(slot.out)
    job["ended"] = is_eog  # an end-of-generation token within --max-tokens
    for budget in args.budgets:
        toks = slot.out[:budget]
        text = b"".join(piece(vocab, t) for t in toks).decode("utf-8", "replace")
        got = extract(text)
        job[f"answer@{budget}"] = got
        job[f"correct@{budget}"] = got is not None and abs(got - job["gold"]) < 1e-6
        job[f"hit_max@{budget}"] = len(slot.out) >= budget  # a run capped at `budget` would stop there
        job[f"tokens@{budget}"] = len(toks)
    job["text"] = b"".join(piece(vocab, t) for t in slot.out).decode("utf-8", "replace")
    return job


def summarize(records: list[dict], budgets: list[int]) -> list[dict]:
    out = []
    keys = sorted({(r["model"], r["dataset"], r["mode"]) for r in records}, key=lambda k: (k[0], k[1], k[2]))
    for model, dataset, mode in keys:
        rs = [r for r in records if (r["model"], r["dataset"], r["mode"]) == (model, dataset, mode)]
        for b in budgets:
            out.append({"model": model, "dataset": dataset, "sampling": mode, "max_tokens": b, "n": len(rs),
                        "correct": sum(r[f"correct@{b}"] for r in rs),
                        "hit_max": sum(r[f"hit_max@{b}"] for r in rs),
                        "mean_tokens": round(statistics.mean(r[f"tokens@{b}"] for r in rs), 1)})
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", action="append", required=True, help="registry name or GGUF path (repeatable)")
    ap.add_argument("--n", type=int, default=50, help="first N problems of each dataset")
    ap.add_argument("--datasets", default="multiarith,gsm8k")
    ap.add_argument("--modes", default="t0.7,greedy")
    ap.add_argument("--max-tokens", type=int, default=512)
    ap.add_argument("--budgets", default="256,512", help="token budgets read off each completion (<= --max-tokens)")
    ap.add_argument("--parallel", type=int, default=8, help="sequences decoded together")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out", default=os.path.join(ROOT, "results", "llama_accuracy.json"))
    args = ap.parse_args()
    args.budgets = [int(b) for b in args.budgets.split(",")]
    if max(args.budgets) > args.max_tokens:
        raise SystemExit("--budgets must be <= --max-tokens")

    @L.llama_log_callback
    def _quiet(level, text, user_data):  # noqa: ARG001
        pass
    L.llama_log_set(_quiet, ctypes.c_void_p(0))

    records = []
    for name in args.model:
        path = resolve_model(name)
        jobs = [dict(p, model=name, mode=m) for d in args.datasets.split(",") for p in load_problems(d, args.n)
                for m in args.modes.split(",")]
        t0 = time.time()
        print(f"{name}: {len(jobs)} completions", file=sys.stderr)
        recs = run_model(path, jobs, args)
        el = time.time() - t0
        print(f"{name}: done in {el:.0f} s", file=sys.stderr)
        for r in recs:
            r["seconds_model_total"] = round(el, 1)
        records += recs
    table = summarize(records, args.budgets)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump({"settings": {k: v for k, v in vars(args).items()}, "system": SYSTEM, "user": USER,
                   "llama_cpp_python": L.__version__, "summary": table, "records": records}, f, indent=1)
    print("| model | dataset | sampling | max_tokens | correct | hit max_tokens | mean tokens |")
    print("|---|---|---|---:|---:|---:|---:|")
    for t in table:
        print(f"| {t['model']} | {t['dataset']} | {t['sampling']} | {t['max_tokens']} | {t['correct']}/{t['n']} "
              f"({100 * t['correct'] / t['n']:.0f}%) | {t['hit_max']} | {t['mean_tokens']} |")
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
