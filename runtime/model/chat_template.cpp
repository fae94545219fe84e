// chat_template: family detection from the template text, and one renderer per family that
// prints what the family's Jinja template prints for plain text messages.
#include "runtime/model/chat_template.h"

#include <algorithm>

#include "runtime/model/gguf_file.h"
#include "runtime/model/tokenizer.h"

namespace tts::model {
namespace {

constexpr std::string_view k_im_start = "<|im_start|>";
constexpr std::string_view k_im_end = "<|im_end|>";
constexpr std::string_view k_header_start = "<|start_header_id|>";
constexpr std::string_view k_header_end = "<|end_header_id|>";
constexpr std::string_view k_eot = "<|eot_id|>";
// DeepSeek's markers use U+FF5C (fullwidth bar) and U+2581 (lower one-eighth block).
constexpr std::string_view k_r1_user = "<｜User｜>";
constexpr std::string_view k_r1_assistant = "<｜Assistant｜>";
constexpr std::string_view k_r1_eos = "<｜end▁of▁sentence｜>";

bool contains(std::string_view s, std::string_view what) { return s.find(what) != std::string_view::npos; }

std::string unescape_newlines(std::string_view s) {
    std::string out;
    for (size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '\\' && i + 1 < s.size() && s[i + 1] == 'n') { out += '\n'; ++i; }
        else out += s[i];
    }
    return out;
}

// A string literal "<|im_start|>system\n...<|im_end|>" in the template is the system turn it
// prints when the conversation has none (SmolLM2, Qwen2, Qwen2.5). The literal text holds
// no quote, brace or '+', which tells it from the turn built from messages[0].
std::string find_default_system(std::string_view tmpl) {
    const std::string_view head = "<|im_start|>system";
    for (size_t pos = tmpl.find(head); pos != std::string_view::npos; pos = tmpl.find(head, pos + 1)) {
        size_t body = pos + head.size();
        if (tmpl.substr(body, 1) == "\n") body += 1;
        else if (tmpl.substr(body, 2) == "\\n") body += 2;
        else continue;
        const size_t end = tmpl.find(k_im_end, body);
        if (end == std::string_view::npos) continue;
        const std::string_view text = tmpl.substr(body, end - body);
        if (!text.empty() && text.find_first_of("'\"{}+") == std::string_view::npos) return unescape_newlines(text);
    }
    return {};
}

std::string trim(std::string_view s) {
    const size_t b = s.find_first_not_of(" \t\n\r");
    if (b == std::string_view::npos) return {};
    const size_t e = s.find_last_not_of(" \t\n\r");
    return std::string(s.substr(b, e - b + 1));
}

// What R1 and Qwen3 templates keep of a past assistant turn: the text after the last </think>.
std::string strip_thinking(std::string_view content, bool lstrip_newlines) {
    constexpr std::string_view think_end = "</think>";
    const size_t pos = content.rfind(think_end);
    if (pos == std::string_view::npos) return std::string(content);
    std::string_view rest = content.substr(pos + think_end.size());
    if (lstrip_newlines) rest.remove_prefix(std::min(rest.size(), rest.find_first_not_of('\n')));
    return std::string(rest);
}

// Adds the id of `text` to `ids` if the vocab has it; returns whether it did.
bool add_marker(const tokenizer & tok, std::string_view text, std::vector<token_id> & ids) {
    auto id = tok.find_token(text);
    if (!id) return false;
    if (std::find(ids.begin(), ids.end(), *id) == ids.end()) ids.push_back(*id);
    return true;
}

status detect_family(std::string_view tmpl, std::string_view arch, const tokenizer & tok, std::string_view name,
                     chat_family & out) {
    if (contains(tmpl, k_r1_user) || contains(tmpl, k_r1_assistant)) { out = chat_family::deepseek_r1; return status::ok(); }
    if (contains(tmpl, k_header_start)) { out = chat_family::llama3; return status::ok(); }
    if (contains(tmpl, k_im_start)) { out = chat_family::chatml; return status::ok(); }
    const std::string where = std::string(name) + ": tokenizer.chat_template: ";
    if (!tmpl.empty()) return status::invalid_argument(where + "unrecognised chat template (no chatml, llama3 or deepseek-r1 markers)");
    // No template in the file: fall back on the architecture, then on the vocab's markers.
    if (arch.starts_with("qwen") || tok.find_token(k_im_start)) { out = chat_family::chatml; return status::ok(); }
    if (tok.find_token(k_header_start)) { out = chat_family::llama3; return status::ok(); }
    return status::invalid_argument(where + "missing, and architecture \"" + std::string(arch) + "\" has no default");
}

}  // namespace

result<chat_template> chat_template::from_gguf(const gguf_file & file, const tokenizer & tok) {
    auto tmpl = file.get_string("tokenizer.chat_template");
    if (!tmpl) return tmpl.error();
    auto arch = file.get_string("general.architecture");
    if (!arch) return arch.error();
    return from_text(tmpl.value().value_or(""), arch.value().value_or(""), tok, file.path());
}

result<chat_template> chat_template::from_text(std::string_view tmpl, std::string_view arch, const tokenizer & tok,
                                               std::string_view name) {
    chat_template t;
    if (status s = detect_family(tmpl, arch, tok, name, t.family_); !s.is_ok()) return s;
    if (tok.bos() != no_token) t.bos_text_ = tok.get_vocab().tokens[tok.bos()];
    // R1 and Qwen3 templates re-render past assistant turns without their thinking.
    t.is_think_stripped_ = contains(tmpl, "split('</think>')");
    std::string_view required;  // the end-of-turn marker the vocab must have
    switch (t.family_) {
    case chat_family::chatml:
        required = k_im_end;
        t.default_system_ = find_default_system(tmpl);
        if (contains(tmpl, "<think>")) {  // Qwen3
            t.think_start_ = "<think>";
            t.think_end_ = "</think>";
        }
        add_marker(tok, k_im_end, t.end_of_turn_);
        add_marker(tok, "<|endoftext|>", t.end_of_turn_);
        break;
    case chat_family::llama3:
        required = k_eot;
        t.has_date_header_ = contains(tmpl, "Cutting Knowledge Date");
        add_marker(tok, k_eot, t.end_of_turn_);
        add_marker(tok, "<|eom_id|>", t.end_of_turn_);
        add_marker(tok, "<|end_of_text|>", t.end_of_turn_);
        break;
    case chat_family::deepseek_r1:
        required = k_r1_eos;
        t.think_start_ = "<think>";
        t.think_end_ = "</think>";
        t.is_think_opened_ = contains(tmpl, "<think>\\n") || contains(tmpl, "<think>\n");
        t.is_system_joined_ = contains(tmpl, "is_first_sp");
        t.is_user_opening_assistant_ = contains(tmpl, "is_last_user");
        add_marker(tok, k_r1_eos, t.end_of_turn_);
        break;
    }
    if (!tok.find_token(required)) {
        return status::invalid_argument(std::string(name) + ": tokenizer.chat_template: " + std::string(t.family_name()) +
                                        " template but the vocab has no \"" + std::string(required) + "\" token");
    }
    for (token_id id : {tok.get_vocab().eot, tok.eos()}) {
        if (id != no_token && std::find(t.end_of_turn_.begin(), t.end_of_turn_.end(), id) == t.end_of_turn_.end()) {
            t.end_of_turn_.push_back(id);
        }
    }
    return t;
}

std::string_view chat_template::family_name() const {
    switch (family_) {
    case chat_family::chatml: return "chatml";
    case chat_family::llama3: return "llama3";
    case chat_family::deepseek_r1: return "deepseek_r1";
    }
    return "?";
}

std::string chat_template::render(std::span<const chat_message> messages, bool add_generation_prompt) const {
    switch (family_) {
    case chat_family::chatml: return render_chatml(messages, add_generation_prompt);
    case chat_family::llama3: return render_llama3(messages, add_generation_prompt);
    case chat_family::deepseek_r1: return render_deepseek_r1(messages, add_generation_prompt);
    }
    return {};
}

std::string chat_template::render_chatml(std::span<const chat_message> messages, bool add_generation_prompt) const {
    std::string out;
    auto turn = [&](std::string_view role, std::string_view content) {
        out.append(k_im_start).append(role).append("\n").append(content).append(k_im_end).append("\n");
    };
    if (!messages.empty() && messages[0].role != "system" && !default_system_.empty()) turn("system", default_system_);
    for (const chat_message & m : messages) {
        if (m.role == "assistant" && is_think_stripped_) turn(m.role, strip_thinking(m.content, true));
        else turn(m.role, m.content);
    }
    if (add_generation_prompt) out.append(k_im_start).append("assistant\n");
    return out;
}

std::string chat_template::render_llama3(std::span<const chat_message> messages, bool add_generation_prompt) const {
    std::string out = bos_text_;
    auto turn = [&](std::string_view role, std::string_view content) {
        out.append(k_header_start).append(role).append(k_header_end).append("\n\n").append(content).append(k_eot);
    };
    if (has_date_header_) {
        // Llama 3.1+ always prints a system turn; the date is the template's default.
        std::string system = "Cutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\n";
        if (!messages.empty() && messages[0].role == "system") {
            system += trim(messages[0].content);
            messages = messages.subspan(1);
        }
        turn("system", system);
    }
    for (const chat_message & m : messages) turn(m.role, trim(m.content));
    if (add_generation_prompt) out.append(k_header_start).append("assistant").append(k_header_end).append("\n\n");
    return out;
}

std::string chat_template::render_deepseek_r1(std::span<const chat_message> messages, bool add_generation_prompt) const {
    std::string system;
    bool is_first_system = true;
    for (const chat_message & m : messages) {
        if (m.role != "system") continue;
        if (!is_system_joined_ || is_first_system) system = m.content;
        else system += "\n\n" + m.content;
        is_first_system = false;
    }
    std::string out = bos_text_ + system;
    bool is_last_user = false;
    for (const chat_message & m : messages) {
        if (m.role == "user") {
            out.append(k_r1_user).append(m.content);
            // Newer templates open the assistant turn right after each user turn.
            if (is_user_opening_assistant_) out.append(k_r1_assistant);
            is_last_user = true;
        } else if (m.role == "assistant") {
            if (!is_user_opening_assistant_) out.append(k_r1_assistant);
            out.append(is_think_stripped_ ? strip_thinking(m.content, false) : m.content).append(k_r1_eos);
            is_last_user = false;
        }
    }
    if (add_generation_prompt) {
        if (!is_user_opening_assistant_ || !is_last_user) out.append(k_r1_assistant);
        if (is_think_opened_) out.append(think_start_).append("\n");
    }
    return out;
}

}  // namespace tts::model
