// GGUF parsing and validation. Every read goes through `cursor`, which checks bounds, so a
// truncated or corrupted file becomes a status and never an out-of-bounds read.
#include "runtime/model/gguf_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "kernels/dtype.h"

namespace tts::model {
namespace {

constexpr uint32_t k_magic = 0x46554747;  // "GGUF" little-endian
constexpr uint64_t k_max_string = 1ull << 30;
constexpr uint64_t k_max_dims = 4;

size_t scalar_size(gguf_type t) {
    switch (t) {
    case gguf_type::uint8: case gguf_type::int8: case gguf_type::boolean: return 1;
    case gguf_type::uint16: case gguf_type::int16: return 2;
    case gguf_type::uint32: case gguf_type::int32: case gguf_type::float32: return 4;
    case gguf_type::uint64: case gguf_type::int64: case gguf_type::float64: return 8;
    default: return 0;
    }
}

bool known_type(uint32_t t) { return t <= uint32_t(gguf_type::float64); }

// A bounds-checked reader over [base, base + size). Failures set `error` and return false.
struct cursor {
    const uint8_t * base;
    size_t size;
    size_t pos = 0;
    std::string error;

    bool fail(std::string what) {
        if (error.empty()) error = fmt::format("{} at byte offset {}", what, pos);
        return false;
    }
    bool need(uint64_t n, const char * what) {
        if (n > size - pos) return fail(fmt::format("truncated: {} needs {} bytes, {} left", what, n, size - pos));
        return true;
    }
    template <typename T>
    bool read(T & out, const char * what) {
        if (!need(sizeof(T), what)) return false;
        std::memcpy(&out, base + pos, sizeof(T));
        pos += sizeof(T);
        return true;
    }
    bool read_string(std::string_view & out, const char * what) {
        uint64_t n = 0;
        if (!read(n, what)) return false;
        if (n > k_max_string) return fail(fmt::format("{}: string length {} is implausible", what, n));
        if (!need(n, what)) return false;
        out = std::string_view(reinterpret_cast<const char *>(base + pos), n);
        pos += n;
        return true;
    }
};

bool read_scalar(cursor & c, gguf_type t, gguf_value & v) {
    switch (t) {
    case gguf_type::uint8: { uint8_t x; if (!c.read(x, "value")) return false; v.scalar = uint64_t(x); return true; }
    case gguf_type::uint16: { uint16_t x; if (!c.read(x, "value")) return false; v.scalar = uint64_t(x); return true; }
    case gguf_type::uint32: { uint32_t x; if (!c.read(x, "value")) return false; v.scalar = uint64_t(x); return true; }
    case gguf_type::uint64: { uint64_t x; if (!c.read(x, "value")) return false; v.scalar = x; return true; }
    case gguf_type::int8: { int8_t x; if (!c.read(x, "value")) return false; v.scalar = int64_t(x); return true; }
    case gguf_type::int16: { int16_t x; if (!c.read(x, "value")) return false; v.scalar = int64_t(x); return true; }
    case gguf_type::int32: { int32_t x; if (!c.read(x, "value")) return false; v.scalar = int64_t(x); return true; }
    case gguf_type::int64: { int64_t x; if (!c.read(x, "value")) return false; v.scalar = x; return true; }
    case gguf_type::float32: { float x; if (!c.read(x, "value")) return false; v.scalar = double(x); return true; }
    case gguf_type::float64: { double x; if (!c.read(x, "value")) return false; v.scalar = x; return true; }
    case gguf_type::boolean: {
        uint8_t x;
        if (!c.read(x, "value")) return false;
        if (x > 1) return c.fail(fmt::format("boolean value {} is neither 0 nor 1", x));
        v.scalar = x == 1;
        return true;
    }
    case gguf_type::string: { std::string_view s; if (!c.read_string(s, "string value")) return false; v.scalar = s; return true; }
    default: return c.fail(fmt::format("unknown value type {}", uint32_t(t)));
    }
}

bool read_value(cursor & c, gguf_type t, gguf_value & v) {
    v.type = t;
    if (t != gguf_type::array) return read_scalar(c, t, v);
    uint32_t et = 0;
    if (!c.read(et, "array element type") || !c.read(v.n_elems, "array length")) return false;
    if (!known_type(et) || gguf_type(et) == gguf_type::array)
        return c.fail(fmt::format("array element type {} is not supported", et));
    v.elem_type = gguf_type(et);
    if (v.elem_type == gguf_type::string) {
        if (v.n_elems > (c.size - c.pos) / 8) return c.fail(fmt::format("array of {} strings exceeds the file", v.n_elems));
        // Grown as read, so a forged count costs at most what the file really holds.
        for (uint64_t i = 0; i < v.n_elems; ++i) {
            std::string_view s;
            if (!c.read_string(s, "array string")) return false;
            v.strings.push_back(s);
        }
        return true;
    }
    size_t es = scalar_size(v.elem_type);
    if (v.n_elems > (c.size - c.pos) / es) return c.fail(fmt::format("array of {} elements exceeds the file", v.n_elems));
    v.array_data = c.base + c.pos;
    c.pos += v.n_elems * es;
    return true;
}

template <typename T>
T load(const uint8_t * p) { T x; std::memcpy(&x, p, sizeof(T)); return x; }

double array_elem(const gguf_value & v, uint64_t i) {
    const uint8_t * p = v.array_data + i * scalar_size(v.elem_type);
    switch (v.elem_type) {
    case gguf_type::uint8: return load<uint8_t>(p);
    case gguf_type::int8: return load<int8_t>(p);
    case gguf_type::uint16: return load<uint16_t>(p);
    case gguf_type::int16: return load<int16_t>(p);
    case gguf_type::uint32: return load<uint32_t>(p);
    case gguf_type::int32: return load<int32_t>(p);
    case gguf_type::uint64: return double(load<uint64_t>(p));
    case gguf_type::int64: return double(load<int64_t>(p));
    case gguf_type::float32: return load<float>(p);
    case gguf_type::float64: return load<double>(p);
    case gguf_type::boolean: return load<uint8_t>(p);
    default: return 0;
    }
}

bool is_integer_type(gguf_type t) {
    return t != gguf_type::float32 && t != gguf_type::float64 && t != gguf_type::string &&
           t != gguf_type::array && t != gguf_type::boolean;
}

}  // namespace

int64_t gguf_tensor::n_elems() const {
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    return n;
}

gguf_file::~gguf_file() {
    if (mapping_) munmap(mapping_, size_);
}

result<std::shared_ptr<gguf_file>> gguf_file::open(const std::string & path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return status::not_found(fmt::format("{}: cannot open: {}", path, std::strerror(errno)));
    struct stat st {};
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        ::close(fd);
        return status::invalid_argument(fmt::format("{}: not a regular file", path));
    }
    std::shared_ptr<gguf_file> f(new gguf_file());
    f->path_ = path;
    f->size_ = size_t(st.st_size);
    if (f->size_ > 0) {
        void * m = mmap(nullptr, f->size_, PROT_READ, MAP_PRIVATE, fd, 0);
        if (m == MAP_FAILED) {
            ::close(fd);
            return status::internal(fmt::format("{}: mmap failed: {}", path, std::strerror(errno)));
        }
        f->mapping_ = m;
        f->base_ = static_cast<const uint8_t *>(m);
    }
    ::close(fd);
    if (status s = f->parse(); !s.is_ok()) return s;
    return f;
}

result<std::shared_ptr<gguf_file>> gguf_file::from_bytes(std::vector<uint8_t> bytes, const std::string & name) {
    std::shared_ptr<gguf_file> f(new gguf_file());
    f->path_ = name;
    f->owned_ = std::move(bytes);
    f->base_ = f->owned_.data();
    f->size_ = f->owned_.size();
    if (status s = f->parse(); !s.is_ok()) return s;
    return f;
}

status gguf_file::parse() {
    auto bad = [&](const std::string & what) { return status::invalid_argument(fmt::format("{}: invalid GGUF: {}", path_, what)); };
    cursor c{base_, size_, 0, {}};
    uint32_t magic = 0;
    if (!c.read(magic, "magic")) return bad(c.error);
    if (magic != k_magic) return bad("bad magic (not a GGUF file)");
    if (!c.read(version_, "version")) return bad(c.error);
    if (version_ < 2 || version_ > 3) return bad(fmt::format("unsupported version {} (2 and 3 are supported)", version_));
    uint64_t n_tensors = 0, n_kv = 0;
    if (!c.read(n_tensors, "tensor count") || !c.read(n_kv, "metadata count")) return bad(c.error);
    if (n_kv > size_ / 13 || n_tensors > size_ / 32) return bad(fmt::format("counts ({} tensors, {} keys) exceed the file size", n_tensors, n_kv));

    for (uint64_t i = 0; i < n_kv; ++i) {
        std::string_view key;
        uint32_t t = 0;
        if (!c.read_string(key, "metadata key") || !c.read(t, "metadata type")) return bad(c.error);
        if (!known_type(t)) return bad(fmt::format("metadata key '{}': unknown value type {}", key, t));
        gguf_value v;
        if (!read_value(c, gguf_type(t), v)) return bad(fmt::format("metadata key '{}': {}", key, c.error));
        if (!kv_.emplace(std::string(key), std::move(v)).second) return bad(fmt::format("duplicate metadata key '{}'", key));
    }
    if (auto a = find("general.alignment")) {
        if (a->type != gguf_type::uint32) return bad("general.alignment is not a uint32");
        alignment_ = std::get<uint64_t>(a->scalar);
        if (alignment_ == 0 || (alignment_ & (alignment_ - 1)) != 0) return bad(fmt::format("general.alignment {} is not a power of two", alignment_));
    }

    // Grown as read (a record takes >= 32 bytes), so a forged count cannot make us allocate
    // more than a few times the file.
    for (uint64_t i = 0; i < n_tensors; ++i) {
        gguf_tensor & t = tensors_.emplace_back();
        std::string_view name;
        uint32_t n_dims = 0;
        if (!c.read_string(name, "tensor name") || !c.read(n_dims, "tensor dims")) return bad(c.error);
        t.name = std::string(name);
        if (n_dims == 0 || n_dims > k_max_dims) return bad(fmt::format("tensor '{}': {} dimensions (1..4 allowed)", t.name, n_dims));
        t.shape.resize(n_dims);
        for (auto & d : t.shape) {
            uint64_t x = 0;
            if (!c.read(x, "tensor shape")) return bad(c.error);
            if (x == 0 || x > (1ull << 40)) return bad(fmt::format("tensor '{}': dimension {} is out of range", t.name, x));
            d = int64_t(x);
        }
        if (!c.read(t.type, "tensor type") || !c.read(t.offset, "tensor offset")) return bad(c.error);
        if (!tensor_index_.emplace(t.name, i).second) return bad(fmt::format("duplicate tensor '{}'", t.name));
    }

    uint64_t data_start = (c.pos + alignment_ - 1) / alignment_ * alignment_;
    if (data_start > size_) return bad("truncated: no tensor data section");
    for (gguf_tensor & t : tensors_) {
        int64_t be = kernels::block_elems(t.type);
        if (be == 0) return bad(fmt::format("tensor '{}': unknown type id {}", t.name, t.type));
        if (t.shape[0] % be != 0)
            return bad(fmt::format("tensor '{}': row of {} values is not a whole number of {} blocks", t.name, t.shape[0], kernels::dtype_name(t.type)));
        long double total = 1;
        for (int64_t d : t.shape) total *= d;
        if (total > 1e13L) return bad(fmt::format("tensor '{}': implausible size", t.name));
        t.n_bytes = kernels::row_bytes(t.type, t.shape[0]) * uint64_t(t.n_elems() / t.shape[0]);
        if (t.offset % alignment_ != 0) return bad(fmt::format("tensor '{}': offset {} is not aligned to {}", t.name, t.offset, alignment_));
        if (t.offset > size_ - data_start || t.n_bytes > size_ - data_start - t.offset)
            return bad(fmt::format("tensor '{}': data [{}, +{}) lies outside the file ({} data bytes; truncated?)", t.name, t.offset, t.n_bytes, size_ - data_start));
        t.data = base_ + data_start + t.offset;
    }
    return status::ok();
}

const gguf_value * gguf_file::find(std::string_view key) const {
    auto it = kv_.find(key);
    return it == kv_.end() ? nullptr : &it->second;
}

const gguf_tensor * gguf_file::find_tensor(std::string_view name) const {
    auto it = tensor_index_.find(name);
    return it == tensor_index_.end() ? nullptr : &tensors_[it->second];
}

namespace {
status type_error(const std::string & path, std::string_view key, const char * want) {
    return status::invalid_argument(fmt::format("{}: metadata key '{}' is not {}", path, key, want));
}
}  // namespace

result<std::optional<int64_t>> gguf_file::get_int(std::string_view key) const {
    const gguf_value * v = find(key);
    if (!v) return std::optional<int64_t>();
    if (!is_integer_type(v->type)) return type_error(path_, key, "an integer");
    if (auto * u = std::get_if<uint64_t>(&v->scalar)) {
        if (*u > uint64_t(INT64_MAX)) return type_error(path_, key, "an integer in range");
        return std::optional<int64_t>(int64_t(*u));
    }
    return std::optional<int64_t>(std::get<int64_t>(v->scalar));
}

result<std::optional<double>> gguf_file::get_float(std::string_view key) const {
    const gguf_value * v = find(key);
    if (!v) return std::optional<double>();
    if (auto * d = std::get_if<double>(&v->scalar); d && v->type != gguf_type::array) return std::optional<double>(*d);
    if (is_integer_type(v->type)) {
        if (auto * u = std::get_if<uint64_t>(&v->scalar)) return std::optional<double>(double(*u));
        return std::optional<double>(double(std::get<int64_t>(v->scalar)));
    }
    return type_error(path_, key, "a number");
}

result<std::optional<std::string>> gguf_file::get_string(std::string_view key) const {
    const gguf_value * v = find(key);
    if (!v) return std::optional<std::string>();
    if (v->type != gguf_type::string) return type_error(path_, key, "a string");
    return std::optional<std::string>(std::string(std::get<std::string_view>(v->scalar)));
}

result<std::optional<bool>> gguf_file::get_bool(std::string_view key) const {
    const gguf_value * v = find(key);
    if (!v) return std::optional<bool>();
    if (v->type != gguf_type::boolean) return type_error(path_, key, "a boolean");
    return std::optional<bool>(std::get<bool>(v->scalar));
}

result<std::vector<double>> gguf_file::get_float_array(std::string_view key) const {
    const gguf_value * v = find(key);
    if (!v) return std::vector<double>();
    if (v->type != gguf_type::array || v->elem_type == gguf_type::string) return type_error(path_, key, "a numeric array");
    std::vector<double> out(v->n_elems);
    for (uint64_t i = 0; i < v->n_elems; ++i) out[i] = array_elem(*v, i);
    return out;
}

result<std::vector<int64_t>> gguf_file::get_int_array(std::string_view key) const {
    const gguf_value * v = find(key);
    if (!v) return std::vector<int64_t>();
    if (v->type != gguf_type::array || !is_integer_type(v->elem_type)) return type_error(path_, key, "an integer array");
    std::vector<int64_t> out(v->n_elems);
    const size_t es = scalar_size(v->elem_type);
    for (uint64_t i = 0; i < v->n_elems; ++i) {
        const uint8_t * p = v->array_data + i * es;   // exact: no detour through double
        switch (v->elem_type) {
        case gguf_type::uint8: out[i] = load<uint8_t>(p); break;
        case gguf_type::int8: out[i] = load<int8_t>(p); break;
        case gguf_type::uint16: out[i] = load<uint16_t>(p); break;
        case gguf_type::int16: out[i] = load<int16_t>(p); break;
        case gguf_type::uint32: out[i] = load<uint32_t>(p); break;
        case gguf_type::int32: out[i] = load<int32_t>(p); break;
        case gguf_type::int64: out[i] = load<int64_t>(p); break;
        default: {
            const uint64_t u = load<uint64_t>(p);
            if (u > uint64_t(INT64_MAX)) return type_error(path_, key, "an integer array in range");
            out[i] = int64_t(u);
        }
        }
    }
    return out;
}

result<std::vector<std::string_view>> gguf_file::get_string_array(std::string_view key) const {
    const gguf_value * v = find(key);
    if (!v) return std::vector<std::string_view>();
    if (v->type != gguf_type::array || v->elem_type != gguf_type::string) return type_error(path_, key, "a string array");
    return v->strings;
}

}  // namespace tts::model
