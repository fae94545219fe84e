# The front door. `make demo` and `make test` each install what they need (Debian packages,
# the default model, the llama.cpp peer for reference tests), build, then run. Every step is
# idempotent: a second run only rebuilds what changed.
BUILD ?= build
JOBS ?= $(shell nproc)
MODEL ?= models/SmolLM2-135M-Instruct.Q4_1.gguf
PEER_PY := .venv-peer/bin/python

.PHONY: all deps model peer build test test-cuda demo quants bench clean

all: build

deps:
	@bash evals/scripts/install_deps.sh

model:
	@bash evals/scripts/fetch_model.sh

peer: deps
	@bash evals/scripts/setup_peer.sh

$(BUILD)/build.ninja:
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo

build: deps $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS)

# Reference fixtures from llama.cpp, regenerated only when the model or the script changes.
$(BUILD)/reference/llama_reference.json: $(MODEL) evals/scripts/llama_reference.py | peer
	@mkdir -p $(dir $@)
	$(PEER_PY) evals/scripts/llama_reference.py --model $(MODEL) --out $@

# Tiny random-weight qwen2 / qwen3 files (their own parts checked against llama.cpp) and their fixtures.
$(BUILD)/reference/tiny-qwen2.gguf $(BUILD)/reference/tiny-qwen3.gguf &: $(MODEL) evals/scripts/make_tiny_models.py | peer
	$(PEER_PY) evals/scripts/make_tiny_models.py --vocab-from $(MODEL) --out-dir $(BUILD)/reference

$(BUILD)/reference/tiny_%_reference.json: $(BUILD)/reference/tiny-%.gguf evals/scripts/llama_reference.py | peer
	$(PEER_PY) evals/scripts/llama_reference.py --model $< --out $@ --greedy 32

FIXTURES := $(BUILD)/reference/llama_reference.json $(BUILD)/reference/tiny_qwen2_reference.json \
	$(BUILD)/reference/tiny_qwen3_reference.json

test: deps model peer build $(FIXTURES)
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

# The CUDA backend (-DTTS_CUDA=ON, needs nvcc + cuBLAS) in its own build dir: builds it, so a
# CUDA compile error fails here, and runs the `cuda` tests, which print "skipped: no GPU" and
# show as Skipped on a machine without one. `cmake --build $(CUDA_BUILD)` builds the rest
# (ttscale --device cuda) on a GPU machine.
CUDA_BUILD ?= build-cuda
$(CUDA_BUILD)/build.ninja:
	cmake -S . -B $(CUDA_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTTS_CUDA=ON

test-cuda: deps model $(CUDA_BUILD)/build.ninja
	cmake --build $(CUDA_BUILD) -j $(JOBS) --target cuda_ops_test cuda_forward_test
	cd $(CUDA_BUILD) && ctest -L cuda --output-on-failure

# The main job: a quick answer, then every strategy on a MultiArith subset (configs/demo.yaml),
# resumable (a second run skips finished cells), then the comparison report.
demo: deps model build
	$(BUILD)/ttscale generate --model $(MODEL) --system "Answer in one short sentence." \
	    --prompt "What is the capital of France?" --max-tokens 48
	$(BUILD)/ttscale eval configs/demo.yaml --db results/demo.db
	$(BUILD)/ttscale report results/demo.db --out results/demo-report
	@echo "report: results/demo-report/report.html (and report.md)"

# Q8_0 and Q4_0 copies of the default model, for benchmarks.
quants: model peer
	$(PEER_PY) evals/scripts/make_quants.py --model $(MODEL)

# Throughput beside llama.cpp (not a test): K threads sharing a 256-token prompt.
bench: deps model peer build quants
	$(BUILD)/ttscale bench --model $(MODEL)
	$(BUILD)/ttscale bench --model models/SmolLM2-135M-Instruct.Q8_0.gguf --k 1,8
	$(BUILD)/ttscale bench --model models/SmolLM2-135M-Instruct.Q4_0.gguf --k 1,8

clean:
	rm -rf $(BUILD)
