#!/usr/bin/env python3
"""Write Q8_0 and Q4_0 variants of a GGUF model with llama.cpp's quantizer.

    .venv-peer/bin/python evals/scripts/make_quants.py [--model models/SmolLM2-135M-Instruct.Q4_1.gguf]

Outputs go next to the input (default models/), named after it with its
quantization suffix replaced: SmolLM2-135M-Instruct.Q8_0.gguf,
SmolLM2-135M-Instruct.Q4_0.gguf. Existing outputs are skipped.

Note: the default input is already Q4_1, so these are *re*-quantized
(allow_requantize=True): Q8_0 here holds Q4_1's values (plus Q8 rounding), not
the original bf16 weights' extra precision; Q4_0 stacks Q4_0 rounding on Q4_1.
Tensor-type choices (token embedding, output) are llama.cpp's defaults for the
requested ftype.
"""
from __future__ import annotations

import argparse
import ctypes
import os
import re
import sys

import llama_cpp as L

VARIANTS = {"Q8_0": L.LLAMA_FTYPE_MOSTLY_Q8_0, "Q4_0": L.LLAMA_FTYPE_MOSTLY_Q4_0}
QUANT_SUFFIX = re.compile(r"\.(?:[QqIi][A-Za-z0-9_]*|[Ff]16|[Ff]32|[Bb][Ff]16)$")


def out_path(model: str, variant: str, out_dir: str | None) -> str:
    base = os.path.basename(model)
    stem = base[:-5] if base.endswith(".gguf") else base
    stem = QUANT_SUFFIX.sub("", stem)
    return os.path.join(out_dir or os.path.dirname(model), f"{stem}.{variant}.gguf")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default=os.path.join(os.path.dirname(__file__), "..", "..", "models",
                                                    "SmolLM2-135M-Instruct.Q4_1.gguf"))
    ap.add_argument("--out-dir", default=None, help="default: the input's directory")
    ap.add_argument("--variants", default=",".join(VARIANTS), help="comma-separated, from " + ",".join(VARIANTS))
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    model = os.path.abspath(args.model)
    if not os.path.exists(model):
        raise SystemExit(f"no such model: {model}")

    @L.llama_log_callback
    def _quiet(level, text, user_data):  # noqa: ARG001
        pass
    L.llama_log_set(_quiet, ctypes.c_void_p(0))
    L.llama_backend_init()

    rc_all = 0
    for v in [x.strip() for x in args.variants.split(",") if x.strip()]:
        if v not in VARIANTS:
            raise SystemExit(f"unknown variant {v}; known: {', '.join(VARIANTS)}")
        dst = out_path(model, v, args.out_dir)
        if os.path.exists(dst):
            print(f"skip {dst} (exists)")
            continue
        params = L.llama_model_quantize_default_params()
        params.nthread = args.threads
        params.ftype = VARIANTS[v]
        params.allow_requantize = True
        tmp = dst + ".tmp"
        rc = L.llama_model_quantize(model.encode(), tmp.encode(), ctypes.byref(params))
        if rc != 0:
            print(f"error: llama_model_quantize({v}) returned {rc}", file=sys.stderr)
            if os.path.exists(tmp):
                os.remove(tmp)
            rc_all = 1
            continue
        os.replace(tmp, dst)
        print(f"wrote {dst} ({os.path.getsize(dst) / 2**20:.1f} MiB)")
    return rc_all


if __name__ == "__main__":
    sys.exit(main())
