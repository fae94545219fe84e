// forward_backend: device names.
#include "runtime/model/forward_backend.h"

namespace tts::model {

const char * device_name(device_kind d) { return d == device_kind::cuda ? "cuda" : "cpu"; }

result<device_kind> parse_device(std::string_view s) {
    if (s == "cpu") return device_kind::cpu;
    if (s == "cuda") return device_kind::cuda;
    return status::invalid_argument("--device: expected cpu or cuda, got \"" + std::string(s) + "\"");
}

}  // namespace tts::model
