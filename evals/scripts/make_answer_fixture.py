#!/usr/bin/env python3
"""Samples real completions of the shipped models for the answer-extraction fixture.

Writes one JSON object per completion (JSONL) with the fields of
tests/data/answers/real_outputs.jsonl, except that `expected` is null and `note` is
empty: a person reads each completion and writes the answer a careful grader would say
the model gave (or "none"), then appends the labelled line to the fixture. Nothing here
decides an expected answer.

Prompt: the sweeps' default (evals/sweep_config.h prompt_spec, configs/demo.yaml):
system "You are a careful math tutor.", user "{question}\\n\\nSolve it step by step, then
end with: The answer is <number>.", rendered with the model's own chat template
(tokenizer.chat_template, via llama-cpp-python's Jinja2ChatFormatter).
Sampling: temperature 0.7, top-p 0.95, no top-k / min-p, one llama.cpp `dist` sampler per
completion seeded with its seed. The completions of one problem (one per seed) are decoded
together as one llama.cpp batch of sequences sharing the prompt's KV cells (like
evals/bench/llama_batched.py), which is several times faster on a loaded CPU than one at a
time; batched decoding can round differently from single-sequence decoding, so a seed's
text is reproducible with this script, not necessarily with `llama-cli --seed`.
`finish` is "finished" when the model ended its turn (an end-of-generation token) and
"truncated" when it reached --max-tokens.

Usage (repository root, with the peer venv of evals/scripts/setup_peer.sh):
  .venv-peer/bin/python evals/scripts/make_answer_fixture.py \\
      --model /work/models-shared/qwen2.5-coder-0.5b-instruct-q4_k_m.gguf \\
      --dataset multiarith --ids 1-10 --seeds 0,1,2,3 --max-tokens 384 --out /tmp/raw.jsonl
"""
import argparse
import ctypes
import json
import os
import sys

SYSTEM = "You are a careful math tutor."
ANSWER_FORMAT = "Solve it step by step, then end with: The answer is <number>."
FIELDS = {  # evals/dataset.cpp try_known_fields
    "gsm8k": ("evals/datasets/gsm8k/test_first200.jsonl", "question"),
    "multiarith": ("evals/datasets/multiarith/test.jsonl", "input"),
    "singleop": ("evals/datasets/singleop/test.jsonl", "input"),
}


def parse_ids(spec):
    out = []
    for part in spec.split(","):
        a, _, b = part.partition("-")
        out.extend(range(int(a), int(b or a) + 1))
    return out


def render_prompt(llm, question):
    from llama_cpp.llama_chat_format import Jinja2ChatFormatter
    meta = llm.metadata
    template = meta.get("tokenizer.chat_template")
    if not template:
        sys.exit("the model has no tokenizer.chat_template")
    piece = lambda key: llm.detokenize([int(meta[key])], special=True).decode() if key in meta else ""
    fmt = Jinja2ChatFormatter(template, eos_token=piece("tokenizer.ggml.eos_token_id"),
                              bos_token=piece("tokenizer.ggml.bos_token_id"))
    messages = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": f"{question}\n\n{ANSWER_FORMAT}"}]
    return fmt(messages=messages).prompt


def sample_batch(L, llm, prompt_text, seeds, max_tokens, threads):
    """Returns [(text, finish, n_tokens)] for each seed, decoded as one batch of sequences."""
    model = llm.model
    vocab = L.llama_model_get_vocab(model)
    prompt = llm.tokenize(prompt_text.encode(), add_bos=True, special=True)
    k = len(seeds)
    cp = L.llama_context_default_params()
    cp.n_ctx = ((len(prompt) + k * max_tokens + 255) // 256) * 256
    cp.n_batch = max(len(prompt), k, 512)
    cp.n_ubatch = min(cp.n_batch, 512)
    cp.n_seq_max = k
    cp.n_threads = cp.n_threads_batch = threads
    cp.kv_unified = True
    cp.no_perf = True
    ctx = L.llama_init_from_model(model, cp)
    if not ctx:
        sys.exit("llama_init_from_model failed")
    batch = L.llama_batch_init(max(len(prompt), k), 0, 1)
    samplers = []
    try:
        def fill(entries):  # [(token, pos, seq, want_logits)]
            batch.n_tokens = len(entries)
            for i, (t, p, s, w) in enumerate(entries):
                batch.token[i], batch.pos[i], batch.n_seq_id[i] = t, p, 1
                batch.seq_id[i][0], batch.logits[i] = s, 1 if w else 0

        fill([(t, i, 0, i == len(prompt) - 1) for i, t in enumerate(prompt)])
        if L.llama_decode(ctx, batch) != 0:
            sys.exit("prompt decode failed")
        mem = L.llama_get_memory(ctx)
        for s in range(1, k):
            L.llama_memory_seq_cp(mem, 0, s, -1, -1)
        for seed in seeds:
            chain = L.llama_sampler_chain_init(L.llama_sampler_chain_default_params())
            L.llama_sampler_chain_add(chain, L.llama_sampler_init_top_p(0.95, 1))
            L.llama_sampler_chain_add(chain, L.llama_sampler_init_temp(0.7))
            L.llama_sampler_chain_add(chain, L.llama_sampler_init_dist(seed))
            samplers.append(chain)
        out = [bytearray() for _ in seeds]
        n_gen = [0] * k
        finish = [None] * k
        logit_row = {s: -1 for s in range(k)}  # the prompt's last logits feed every sequence
        buf = ctypes.create_string_buffer(256)
        for step in range(max_tokens):
            live = [s for s in range(k) if finish[s] is None]
            if not live:
                break
            toks = {}
            for s in live:
                t = L.llama_sampler_sample(samplers[s], ctx, logit_row[s])
                if L.llama_vocab_is_eog(vocab, t):
                    finish[s] = "finished"
                    continue
                n = L.llama_token_to_piece(vocab, t, buf, len(buf), 0, False)
                out[s] += buf.raw[:n]
                n_gen[s] += 1
                toks[s] = t
            for s in list(toks):
                if n_gen[s] >= max_tokens:
                    finish[s] = "truncated"
                    del toks[s]
            if not toks:
                continue
            order = sorted(toks)
            fill([(toks[s], len(prompt) + n_gen[s] - 1, s, True) for s in order])
            if L.llama_decode(ctx, batch) != 0:
                sys.exit(f"decode failed at step {step}")
            logit_row = {s: i for i, s in enumerate(order)}
        return [(out[s].decode("utf-8", errors="replace"), finish[s] or "truncated", n_gen[s]) for s in range(k)]
    finally:
        for c in samplers:
            L.llama_sampler_free(c)
        L.llama_batch_free(batch)
        L.llama_free(ctx)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True, help="GGUF file")
    ap.add_argument("--dataset", required=True, choices=sorted(FIELDS))
    ap.add_argument("--ids", required=True, help="1-based problem ids (line numbers): 1-10,17")
    ap.add_argument("--seeds", default="0", help="comma-separated seeds, one completion per (id, seed)")
    ap.add_argument("--max-tokens", type=int, default=384)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out", required=True, help="JSONL file to append to")
    a = ap.parse_args()

    import llama_cpp as L  # the peer venv's llama-cpp-python

    path, qfield = FIELDS[a.dataset]
    with open(path, encoding="utf-8") as f:
        lines = [l for l in f.read().split("\n") if l.strip()]
    llm = L.Llama(model_path=a.model, n_ctx=512, n_threads=a.threads, verbose=False)
    model_name = os.path.basename(a.model)
    seeds = [int(s) for s in a.seeds.split(",")]
    with open(a.out, "a", encoding="utf-8") as out:
        for pid in parse_ids(a.ids):
            if not 1 <= pid <= len(lines):
                sys.exit(f"{path}: no problem {pid} (it has {len(lines)})")
            prompt = render_prompt(llm, json.loads(lines[pid - 1])[qfield])
            for seed, (text, finish, n) in zip(seeds, sample_batch(L, llm, prompt, seeds, a.max_tokens, a.threads)):
                rec = {"model": model_name, "dataset": a.dataset, "problem_id": pid, "seed": seed,
                       "finish": finish, "completion": text, "expected": None, "note": ""}
                out.write(json.dumps(rec, ensure_ascii=False) + "\n")
                print(f"{model_name} {a.dataset}:{pid} seed {seed}: {finish}, {n} tokens", file=sys.stderr)
            out.flush()


if __name__ == "__main__":
    main()
