// store on real filesystems that fail: a 256 KiB tmpfs fills up, then is remounted read-only.
// Needs mount(2), i.e. root with CAP_SYS_ADMIN (CI runs as root). Without it the binary exits
// 77, which CTest reports as "skipped" (SKIP_RETURN_CODE), never as passed. The same failures
// without privileges: store_fault_test (EFBIG through RLIMIT_FSIZE, a read-only open).
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "evals/store.h"
#include "tests/evals/eval_test_util.h"

using namespace tts::eval;

namespace {

std::string g_dir;   // the tmpfs mount point

stored_cell cell(const std::string & key) {
    stored_cell c;
    c.key = key, c.ordinal = 1, c.model = "m", c.dataset = "d", c.strategy_label = "s", c.strategy = "s";
    c.params_json = "{}", c.status = "done", c.answer = "42", c.gold = "42", c.votes_json = "[]", c.verdict_status = "ok";
    c.threads = {stored_thread{0, "sample", "eos", "answered", 10, -1, "42", -0.1, true, 0, std::string(8000, 'x')}};
    return c;
}

}  // namespace

TEST_CASE("store on a tmpfs that fills up, then turns read-only: committed cells survive, report can read") {
    const std::string p = g_dir + "/r.db";
    int n_ok = 0;
    tts::status full;
    std::string committed;
    {
        auto s = std::move(store::try_open(p)).value();
        REQUIRE(s->try_bind_sweep({"n", "h", "{}", ""}).is_ok());
        for (int i = 0; i < 1000; ++i) {
            full = s->try_record(cell("c" + std::to_string(i)));
            if (!full.is_ok()) break;
            ++n_ok;
        }
        REQUIRE_FALSE(full.is_ok());   // the disk did fill up
        MESSAGE(n_ok << " cells fit; then: " << full.message());
        CHECK(full.message().find(p) != std::string::npos);
        CHECK(s->try_load_cells(false).value().size() == size_t(n_ok));
        CHECK(s->try_integrity_check().value() == "ok");
        committed = testing::dump_cells(*s);
    }
    {
        auto again = store::try_open(p);   // reopening a full disk's file works (nothing to write)
        REQUIRE_MESSAGE(again.is_ok(), (again.is_ok() ? "" : again.error().message()));
        CHECK(testing::dump_cells(*again.value()) == committed);
    }
    REQUIRE(mount(nullptr, g_dir.c_str(), nullptr, MS_REMOUNT | MS_RDONLY, nullptr) == 0);
    auto rw = store::try_open(p);
    REQUIRE_FALSE(rw.is_ok());
    MESSAGE("read-write open on a read-only filesystem: " << rw.error().message());
    CHECK(rw.error().message().find(p) != std::string::npos);
    auto ro = store::try_open_read_only(p);
    REQUIRE_MESSAGE(ro.is_ok(), (ro.is_ok() ? "" : ro.error().message()));
    CHECK(testing::dump_cells(*ro.value()) == committed);
}

int main(int argc, char ** argv) {
    g_dir = (std::filesystem::temp_directory_path() / ("ttscale_store_disk_" + std::to_string(getpid()))).string();
    std::filesystem::create_directories(g_dir);
    if (mount("tmpfs", g_dir.c_str(), "tmpfs", 0, "size=256k") != 0) {
        std::fprintf(stderr, "store_disk_test: skipped: cannot mount a tmpfs (%s); needs root with CAP_SYS_ADMIN\n",
                     std::strerror(errno));
        std::filesystem::remove(g_dir);
        return 77;
    }
    doctest::Context ctx(argc, argv);
    const int rc = ctx.run();
    umount2(g_dir.c_str(), MNT_DETACH);
    std::filesystem::remove(g_dir);
    return rc;
}
