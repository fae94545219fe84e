// dtype: names and block geometry of the ggml/GGUF tensor types.
#include "kernels/dtype.h"

#include <cstdio>

namespace tts::kernels {

namespace {

struct type_info {
    uint32_t id;
    const char * name;
    int64_t block_elems;
    size_t block_bytes;
};

// Block byte sizes follow ggml-common.h (f16 scales are 2 bytes; K-quants use QK_K = 256).
constexpr type_info k_types[] = {
    {0, "F32", 1, 4},        {1, "F16", 1, 2},        {2, "Q4_0", 32, 18},     {3, "Q4_1", 32, 20},
    {6, "Q5_0", 32, 22},     {7, "Q5_1", 32, 24},     {8, "Q8_0", 32, 34},     {9, "Q8_1", 32, 36},
    {10, "Q2_K", 256, 84},   {11, "Q3_K", 256, 110},  {12, "Q4_K", 256, 144},  {13, "Q5_K", 256, 176},
    {14, "Q6_K", 256, 210},  {15, "Q8_K", 256, 292},  {30, "BF16", 1, 2},
};

// Types we can name but not load (so error messages say "IQ2_XXS", not "type#16").
constexpr struct { uint32_t id; const char * name; } k_other_names[] = {
    {16, "IQ2_XXS"}, {17, "IQ2_XS"}, {18, "IQ3_XXS"}, {19, "IQ1_S"}, {20, "IQ4_NL"}, {21, "IQ3_S"},
    {22, "IQ2_S"},   {23, "IQ4_XS"}, {24, "I8"},      {25, "I16"},   {26, "I32"},    {27, "I64"},
    {28, "F64"},     {29, "IQ1_M"},  {34, "TQ1_0"},   {35, "TQ2_0"}, {39, "MXFP4"},
};

const type_info * find(uint32_t id) {
    for (const type_info & t : k_types) {
        if (t.id == id) return &t;
    }
    return nullptr;
}

}  // namespace

const char * dtype_name(uint32_t id) {
    if (const type_info * t = find(id)) return t->name;
    for (const auto & o : k_other_names) {
        if (o.id == id) return o.name;
    }
    static thread_local char buf[32];
    std::snprintf(buf, sizeof buf, "type#%u", id);
    return buf;
}

std::optional<dtype> weight_dtype(uint32_t id) {
    switch (dtype(id)) {
    case dtype::f32: case dtype::f16: case dtype::bf16: case dtype::q4_0: case dtype::q4_1:
    case dtype::q5_0: case dtype::q5_1: case dtype::q8_0: case dtype::q4_k: case dtype::q5_k: case dtype::q6_k:
        return dtype(id);
    default:
        return std::nullopt;
    }
}

int64_t block_elems(uint32_t id) {
    const type_info * t = find(id);
    return t ? t->block_elems : 0;
}

size_t block_bytes(uint32_t id) {
    const type_info * t = find(id);
    return t ? t->block_bytes : 0;
}

size_t row_bytes(uint32_t id, int64_t n) {
    const type_info * t = find(id);
    if (!t || n < 0 || n % t->block_elems != 0) return 0;
    return size_t(n / t->block_elems) * t->block_bytes;
}

}  // namespace tts::kernels
