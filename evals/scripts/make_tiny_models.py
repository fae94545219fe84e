#!/usr/bin/env python3
"""Write tiny random-weight qwen2 and qwen3 GGUF files for the llama.cpp reference tests.

    .venv-peer/bin/python evals/scripts/make_tiny_models.py --vocab-from models/SmolLM2-135M-Instruct.Q4_1.gguf \
        --out-dir build/reference

No qwen2/qwen3 model ships on PyPI small enough for CI, so the architectures' own parts
(qwen2: q/k/v biases; qwen3: per-head q/k RMSNorm and a head size that differs from
n_embd / n_head) are checked on synthetic files: the tokenizer and chat template are copied
from --vocab-from, the weights are F32 draws from a fixed seed, and llama.cpp
(evals/scripts/llama_reference.py) is the judge of what their logits must be. Files that
exist with the same content are left alone (the Makefile re-runs this only when it changes).
"""
from __future__ import annotations

import argparse
import os
import sys

import numpy as np
from gguf import GGUFReader, GGUFWriter, GGUFValueType

SHAPES = {
    # n_embd, n_layer, n_head, n_head_kv, head_dim, n_ff
    "qwen2": dict(n_embd=128, n_layer=2, n_head=4, n_head_kv=2, head_dim=32, n_ff=256),
    "qwen3": dict(n_embd=128, n_layer=2, n_head=8, n_head_kv=2, head_dim=32, n_ff=320),
}


def copy_tokenizer(src: GGUFReader, w: GGUFWriter) -> int:
    """Copies every tokenizer.* key; returns the vocabulary size."""
    n_vocab = 0
    for key, f in src.fields.items():
        if not key.startswith("tokenizer."):
            continue
        v = f.contents()
        t = f.types[0]
        if key == "tokenizer.ggml.pre":
            v = "qwen2"   # exercise the Qwen pre-tokenizer regex as well
        if t == GGUFValueType.ARRAY:
            w.add_array(key, v)
            if key == "tokenizer.ggml.tokens":
                n_vocab = len(v)
        elif t == GGUFValueType.STRING:
            w.add_string(key, v)
        elif t == GGUFValueType.BOOL:
            w.add_bool(key, bool(v))
        elif t == GGUFValueType.UINT32:
            w.add_uint32(key, int(v))
        elif t == GGUFValueType.INT32:
            w.add_int32(key, int(v))
        elif t == GGUFValueType.FLOAT32:
            w.add_float32(key, float(v))
        else:
            raise SystemExit(f"make_tiny_models: unhandled type {t} of {key}")
    return n_vocab


def write_model(arch: str, src: GGUFReader, path: str, seed: int) -> None:
    s = SHAPES[arch]
    rng = np.random.default_rng(seed)
    w = GGUFWriter(path, arch)
    w.add_name(f"tiny-{arch}-random")
    n_vocab = copy_tokenizer(src, w)
    w.add_context_length(2048)
    w.add_embedding_length(s["n_embd"])
    w.add_block_count(s["n_layer"])
    w.add_feed_forward_length(s["n_ff"])
    w.add_head_count(s["n_head"])
    w.add_head_count_kv(s["n_head_kv"])
    w.add_key_length(s["head_dim"])
    w.add_value_length(s["head_dim"])
    w.add_rope_freq_base(1000000.0)
    w.add_layer_norm_rms_eps(1e-6)

    def mat(n_out: int, n_in: int, scale: float = 1.0) -> np.ndarray:   # GGUF dims [n_in, n_out]
        return (rng.standard_normal((n_out, n_in)) * scale / np.sqrt(n_in)).astype(np.float32)

    def vec(n: int, mean: float, std: float) -> np.ndarray:
        return (mean + rng.standard_normal(n) * std).astype(np.float32)

    e, hd, q_dim, kv_dim = s["n_embd"], s["head_dim"], s["n_head"] * s["head_dim"], s["n_head_kv"] * s["head_dim"]
    w.add_tensor("token_embd.weight", (rng.standard_normal((n_vocab, e))).astype(np.float32))
    for i in range(s["n_layer"]):
        p = f"blk.{i}."
        w.add_tensor(p + "attn_norm.weight", vec(e, 1.0, 0.1))
        w.add_tensor(p + "attn_q.weight", mat(q_dim, e, 2.0))
        w.add_tensor(p + "attn_k.weight", mat(kv_dim, e, 2.0))
        w.add_tensor(p + "attn_v.weight", mat(kv_dim, e))
        if arch == "qwen2":
            w.add_tensor(p + "attn_q.bias", vec(q_dim, 0.0, 0.5))
            w.add_tensor(p + "attn_k.bias", vec(kv_dim, 0.0, 0.5))
            w.add_tensor(p + "attn_v.bias", vec(kv_dim, 0.0, 0.5))
        if arch == "qwen3":
            w.add_tensor(p + "attn_q_norm.weight", vec(hd, 1.0, 0.3))
            w.add_tensor(p + "attn_k_norm.weight", vec(hd, 1.0, 0.3))
        w.add_tensor(p + "attn_output.weight", mat(e, q_dim))
        w.add_tensor(p + "ffn_norm.weight", vec(e, 1.0, 0.1))
        w.add_tensor(p + "ffn_gate.weight", mat(s["n_ff"], e))
        w.add_tensor(p + "ffn_up.weight", mat(s["n_ff"], e))
        w.add_tensor(p + "ffn_down.weight", mat(e, s["n_ff"]))
    w.add_tensor("output_norm.weight", vec(e, 1.0, 0.1))
    w.add_tensor("output.weight", mat(n_vocab, e, 4.0))   # untied: the other output path
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--vocab-from", required=True, help="GGUF whose tokenizer and chat template are copied")
    ap.add_argument("--out-dir", required=True)
    ap.add_argument("--arch", nargs="*", default=list(SHAPES))
    args = ap.parse_args()
    src = GGUFReader(args.vocab_from)
    os.makedirs(args.out_dir, exist_ok=True)
    for n, arch in enumerate(args.arch):
        path = os.path.join(args.out_dir, f"tiny-{arch}.gguf")
        write_model(arch, src, path + ".part", seed=1234 + n)
        os.replace(path + ".part", path)
        print(f"make_tiny_models: wrote {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
