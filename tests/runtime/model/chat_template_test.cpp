#include "runtime/model/chat_template.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "runtime/model/gguf_file.h"
#include "runtime/model/tokenizer.h"

using namespace tts::model;
using msgs = std::vector<chat_message>;

namespace {

// A vocab holding every family's marker tokens as control tokens; bos depends on the family.
tokenizer marker_tokenizer(std::string_view bos_text) {
    vocab v;
    v.kind = vocab_kind::bpe;
    v.pre = "gpt2";
    v.tokens = {"a", "b", "ab", "<|im_start|>", "<|im_end|>", "<|endoftext|>", "<|begin_of_text|>",
                "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>", "<|eom_id|>", "<|end_of_text|>",
                "<｜begin▁of▁sentence｜>", "<｜end▁of▁sentence｜>", "<｜User｜>", "<｜Assistant｜>", "<think>", "</think>"};
    v.types.assign(v.tokens.size(), token_type::control);
    v.types[0] = v.types[1] = v.types[2] = token_type::normal;
    v.merges = {"a b"};
    for (token_id id = 0; id < v.n_tokens(); ++id) {
        if (v.tokens[id] == bos_text) v.bos = id;
    }
    v.eos = 5;
    return tokenizer::create(std::move(v), "markers").value();
}

chat_template make(std::string_view tmpl, const tokenizer & tok, std::string_view arch = "llama") {
    auto t = chat_template::from_text(tmpl, arch, tok, "t.gguf");
    REQUIRE_MESSAGE(t.is_ok(), (t.is_ok() ? "" : t.error().message()));
    return std::move(t).value();
}

bool has(const std::vector<token_id> & v, std::optional<token_id> id) {
    return id && std::find(v.begin(), v.end(), *id) != v.end();
}

// The literal parts of the templates that decide what we render (the real templates are
// longer; their other branches deal with tools).
constexpr std::string_view k_smollm2 =
    "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}"
    "{{ '<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n' }}"
    "{% endif %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}";
constexpr std::string_view k_qwen25 =
    "{%- if messages[0]['role'] == 'system' %}{{- '<|im_start|>system\\n' + messages[0]['content'] + '<|im_end|>\\n' }}"
    "{%- else %}{{- '<|im_start|>system\\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\\n' }}"
    "{%- endif %}";
constexpr std::string_view k_qwen3 =
    "{{- '<|im_start|>system\\n' + messages[0].content + '<|im_end|>\\n' }}"
    "{%- set content = content.split('</think>')[-1].lstrip('\\n') %}{{- '<|im_start|>' + message.role + '\\n<think>\\n' }}";
constexpr std::string_view k_llama3 =
    "{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n'+ message['content'] | trim + '<|eot_id|>' %}";
constexpr std::string_view k_llama31 =
    "{{- bos_token }}{{- \"<|start_header_id|>system<|end_header_id|>\\n\\n\" }}{{- \"Cutting Knowledge Date: December 2023\\n\" }}";
constexpr std::string_view k_r1 =
    "{{bos_token}}{{ns.system_prompt}}{{'<｜User｜>' + message['content']}}"
    "{% if '</think>' in content %}{% set content = content.split('</think>')[-1] %}{% endif %}"
    "{{'<｜Assistant｜>' + content + '<｜end▁of▁sentence｜>'}}"
    "{% if add_generation_prompt and not ns.is_tool %}{{'<｜Assistant｜><think>\\n'}}{% endif %}";
constexpr std::string_view k_r1_new =
    "{% set ns = namespace(is_first_sp=true, is_last_user=false) %}{{'<｜User｜>' + content + '<｜Assistant｜>'}}"
    "{{content + '<｜end▁of▁sentence｜>'}}{% if add_generation_prompt and not ns.is_last_user %}{{'<｜Assistant｜>'}}{% endif %}";

}  // namespace

TEST_CASE("chatml, SmolLM2: default system prompt unless the conversation has one") {
    tokenizer tok = marker_tokenizer("<|im_start|>");
    chat_template t = make(k_smollm2, tok);
    CHECK(t.family() == chat_family::chatml);
    CHECK(t.default_system_prompt() == "You are a helpful AI assistant named SmolLM, trained by Hugging Face");
    CHECK_FALSE(t.is_reasoning());
    // Expected strings rendered by jinja2 from the model's own template.
    CHECK(t.render(msgs{{"user", "What is 2+2?"}}, true) ==
          "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n"
          "<|im_start|>user\nWhat is 2+2?<|im_end|>\n<|im_start|>assistant\n");
    CHECK(t.render(msgs{{"system", "Be brief."}, {"user", "Hi"}, {"assistant", "Hello!"}, {"user", "Bye"}}, false) ==
          "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n"
          "<|im_start|>assistant\nHello!<|im_end|>\n<|im_start|>user\nBye<|im_end|>\n");
    CHECK(has(t.end_of_turn(), tok.find_token("<|im_end|>")));
    CHECK(has(t.end_of_turn(), tok.find_token("<|endoftext|>")));
}

TEST_CASE("chatml, Qwen2.5 and Qwen3") {
    tokenizer tok = marker_tokenizer("");
    chat_template q25 = make(k_qwen25, tok, "qwen2");
    CHECK(q25.default_system_prompt() == "You are Qwen, created by Alibaba Cloud. You are a helpful assistant.");
    CHECK(q25.render(msgs{{"user", "Hi"}}, true) ==
          "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n"
          "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n");

    chat_template q3 = make(k_qwen3, tok, "qwen3");
    CHECK(q3.default_system_prompt().empty());
    CHECK(q3.is_reasoning());
    CHECK(q3.think_start() == "<think>");
    CHECK(q3.think_end() == "</think>");
    CHECK_FALSE(q3.is_think_opened_by_prompt());
    CHECK(q3.render(msgs{{"user", "Hi"}, {"assistant", "<think>\nhmm\n</think>\n\nHello"}, {"user", "2+2?"}}, true) ==
          "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nHello<|im_end|>\n"
          "<|im_start|>user\n2+2?<|im_end|>\n<|im_start|>assistant\n");
}

TEST_CASE("llama3: BOS, header turns, trimmed content; 3.1 adds the date system turn") {
    tokenizer tok = marker_tokenizer("<|begin_of_text|>");
    chat_template t = make(k_llama3, tok);
    CHECK(t.family() == chat_family::llama3);
    CHECK(t.render(msgs{{"user", " Hi \n"}}, true) ==
          "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>"
          "<|start_header_id|>assistant<|end_header_id|>\n\n");
    CHECK(has(t.end_of_turn(), tok.find_token("<|eot_id|>")));
    CHECK(has(t.end_of_turn(), tok.find_token("<|eom_id|>")));
    CHECK(has(t.end_of_turn(), tok.find_token("<|end_of_text|>")));

    chat_template t31 = make(k_llama31, tok);
    CHECK(t31.render(msgs{{"system", "Be brief."}, {"user", "Hi"}}, true) ==
          "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\n"
          "Cutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\nBe brief.<|eot_id|>"
          "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n");
}

TEST_CASE("deepseek_r1: markers, history without thinking, prompt opens <think>") {
    tokenizer tok = marker_tokenizer("<｜begin▁of▁sentence｜>");
    chat_template t = make(k_r1, tok, "qwen2");
    CHECK(t.family() == chat_family::deepseek_r1);
    CHECK(t.is_reasoning());
    CHECK(t.is_think_opened_by_prompt());
    CHECK(t.think_end() == "</think>");
    CHECK(has(t.end_of_turn(), tok.find_token("<｜end▁of▁sentence｜>")));
    CHECK(t.render(msgs{{"system", "Be brief."}, {"user", "Hi"}}, true) ==
          "<｜begin▁of▁sentence｜>Be brief.<｜User｜>Hi<｜Assistant｜><think>\n");
    CHECK(t.render(msgs{{"user", "Hi"}, {"assistant", "<think>x</think>Hello"}, {"user", "Bye"}}, true) ==
          "<｜begin▁of▁sentence｜><｜User｜>Hi<｜Assistant｜>Hello<｜end▁of▁sentence｜><｜User｜>Bye<｜Assistant｜><think>\n");

    // Newer templates print <｜Assistant｜> after every user turn instead.
    chat_template n = make(k_r1_new, tok, "qwen2");
    CHECK_FALSE(n.is_think_opened_by_prompt());
    CHECK(n.render(msgs{{"user", "Hi"}, {"assistant", "Hello"}, {"user", "Bye"}}, true) ==
          "<｜begin▁of▁sentence｜><｜User｜>Hi<｜Assistant｜>Hello<｜end▁of▁sentence｜><｜User｜>Bye<｜Assistant｜>");
}

TEST_CASE("unknown or unusable templates are errors naming the key") {
    tokenizer tok = marker_tokenizer("");
    auto r = chat_template::from_text("{{ messages }}", "llama", tok, "t.gguf");
    REQUIRE_FALSE(r.is_ok());
    CHECK(r.error().message().find("t.gguf: tokenizer.chat_template") != std::string::npos);

    vocab v;
    v.pre = "gpt2";
    v.tokens = {"a", "b", "ab", "<|im_start|>"};
    v.merges = {"a b"};
    tokenizer no_end = tokenizer::create(v).value();
    r = chat_template::from_text(k_smollm2, "llama", no_end, "t.gguf");
    REQUIRE_FALSE(r.is_ok());
    CHECK(r.error().message().find("<|im_end|>") != std::string::npos);

    // No template in the file: the architecture decides.
    CHECK(chat_template::from_text("", "qwen2", tok, "t.gguf")->family() == chat_family::chatml);
}

TEST_CASE("SmolLM2 model file: template from GGUF metadata") {
    const std::string path = std::string(TTS_SOURCE_DIR) + "/models/SmolLM2-135M-Instruct.Q4_1.gguf";
    if (!std::filesystem::exists(path)) {
        MESSAGE("skipped: " << path << " not found");
        return;
    }
    auto file = gguf_file::open(path);
    REQUIRE(file.is_ok());
    auto tok = tokenizer::from_gguf(*file.value());
    REQUIRE(tok.is_ok());
    auto t = chat_template::from_gguf(*file.value(), tok.value());
    REQUIRE_MESSAGE(t.is_ok(), (t.is_ok() ? "" : t.error().message()));
    CHECK(t->family() == chat_family::chatml);
    const std::string prompt = t->render(msgs{{"user", "What is 2+2?"}}, true);
    CHECK(prompt ==
          "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n"
          "<|im_start|>user\nWhat is 2+2?<|im_end|>\n<|im_start|>assistant\n");
    CHECK(t->end_of_turn() == std::vector<token_id>{2, 0});   // <|im_end|> (also eos), <|endoftext|>
    const std::vector<token_id> ids = tok->encode(prompt, true, false);
    CHECK(ids.front() == 1);   // <|im_start|>
    CHECK(ids.back() == 198);  // "\n" after "assistant"
}
