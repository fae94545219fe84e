// The doctest main of every test labelled `cuda`. Without a usable CUDA device it prints
// "skipped: no GPU (<why>)" and exits 77, which CTest (SKIP_RETURN_CODE 77) lists as Skipped:
// visible in every ctest summary, never a silent pass. With one, it names the device and runs.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <cstdio>

#include "kernels/cuda/device.h"

int main(int argc, char ** argv) {
    if (const std::string why = tts::kernels::cuda::why_no_device(); !why.empty()) {
        std::printf("skipped: no GPU (%s)\n", why.c_str());
        return 77;
    }
    std::printf("device: %s\n", tts::kernels::cuda::describe_device().c_str());
    doctest::Context ctx(argc, argv);
    return ctx.run();
}
