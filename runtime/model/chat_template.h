// chat_template: renders {role, content} messages into a model's prompt text.
//
// We do not run Jinja. from_gguf() recognises the family from tokenizer.chat_template (and
// general.architecture when the file has no template) and reads the few facts a family's
// templates vary in (a default system prompt, the Llama 3.1 date header, whether the R1
// generation prompt opens <think>). render() then reproduces what that template prints for
// plain text messages (no tools, no images). Families:
//   chatml       <|im_start|>role\ncontent<|im_end|>\n          SmolLM2, Qwen2/2.5/3
//   llama3       <|start_header_id|>role<|end_header_id|>\n\ncontent<|eot_id|>, after BOS
//   deepseek_r1  BOS system <｜User｜>q<｜Assistant｜>a<｜end▁of▁sentence｜>, prompt opens <think>
// The rendered text already holds any BOS text the template prints: encode it with
// tokenizer::encode(text, /*parse_special=*/true, /*add_special=*/false). Message content is
// inserted verbatim, so special-token text inside it is parsed as special too.
// Immutable after creation; any thread may call it.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/base/status.h"
#include "runtime/model/vocab.h"

namespace tts::model {

class gguf_file;
class tokenizer;

struct chat_message {
    std::string role;     // "system", "user" or "assistant"
    std::string content;
};

enum class chat_family { chatml, llama3, deepseek_r1 };

class chat_template {
public:
    // Reads tokenizer.chat_template and general.architecture. Errors name the file and key:
    // an unrecognised template, or a family whose marker tokens the vocab lacks.
    static result<chat_template> from_gguf(const gguf_file & file, const tokenizer & tok);
    // Same from template text (may be empty); `name` prefixes errors.
    static result<chat_template> from_text(std::string_view text, std::string_view architecture,
                                           const tokenizer & tok, std::string_view name);

    // The prompt for `messages`; with add_generation_prompt it ends with the opening of an
    // assistant turn (for deepseek_r1 also "<think>\n" when the template prints it).
    std::string render(std::span<const chat_message> messages, bool add_generation_prompt) const;

    chat_family family() const { return family_; }
    std::string_view family_name() const;
    // Token ids that end an assistant turn (the engine stops on any of them).
    const std::vector<token_id> & end_of_turn() const { return end_of_turn_; }
    // Reasoning families: the strings that open and close the thinking block; "" otherwise.
    bool is_reasoning() const { return !think_end_.empty(); }
    const std::string & think_start() const { return think_start_; }
    const std::string & think_end() const { return think_end_; }
    // True when the generation prompt already ends with think_start() (R1-distill).
    bool is_think_opened_by_prompt() const { return is_think_opened_; }
    // The system prompt the template inserts when the first message is not a system one.
    const std::string & default_system_prompt() const { return default_system_; }

private:
    std::string render_chatml(std::span<const chat_message> messages, bool add_generation_prompt) const;
    std::string render_llama3(std::span<const chat_message> messages, bool add_generation_prompt) const;
    std::string render_deepseek_r1(std::span<const chat_message> messages, bool add_generation_prompt) const;

    chat_family family_ = chat_family::chatml;
    std::string bos_text_;            // printed by llama3 / deepseek_r1 templates
    std::string default_system_;      // chatml: SmolLM2's and Qwen2/2.5's built-in prompt
    bool has_date_header_ = false;    // llama3.1+: the system turn carries knowledge/today dates
    bool is_system_joined_ = false;   // deepseek_r1: several system messages joined by "\n\n"
    bool is_user_opening_assistant_ = false;  // deepseek_r1 (newer): user turns end with <｜Assistant｜>
    bool is_think_stripped_ = false;  // past assistant turns keep only the text after </think>
    bool is_think_opened_ = false;
    std::string think_start_;
    std::string think_end_;
    std::vector<token_id> end_of_turn_;
};

}  // namespace tts::model
