// run_command (tests/support/process.h), which the CLI tests read vigil's answers through:
// the two streams kept apart, exit codes as a shell reports them, and no hang on a
// command that never ends or fills both pipes.
#include "tests/support/process.h"

#include <gtest/gtest.h>

#include <chrono>

namespace vigil::testing {
namespace {

using std::chrono::milliseconds;

TEST(RunCommand, KeepsStdoutAndStderrApartAndReportsTheExitCode) {
    auto r = run_command({"/bin/sh", "-c", "echo out; echo err >&2; exit 3"});
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->exit_code, 3);
    EXPECT_EQ(r->out, "out\n");
    EXPECT_EQ(r->err, "err\n");
    EXPECT_EQ(r->combined(), "out\nerr\n");
}

TEST(RunCommand, StdinIsEmpty) {
    auto r = run_command({"/bin/cat"});
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->exit_code, 0);
    EXPECT_EQ(r->out, "");
}

TEST(RunCommand, ASignalIsReportedAs128PlusIt) {
    auto r = run_command({"/bin/sh", "-c", "kill -9 $$"});
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->exit_code, 128 + 9);
}

TEST(RunCommand, AProgramThatCannotRunEndsWith127) {
    auto r = run_command({"/nonexistent/vigil"});
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->exit_code, 127);
    EXPECT_FALSE(run_command({}).ok());
}

TEST(RunCommand, OutputLargerThanBothPipesDoesNotBlock) {
    // 1 MiB on each stream, far above the 64 KiB a pipe holds.
    auto r = run_command({"/bin/sh", "-c",
                          "head -c 1048576 /dev/zero; head -c 1048576 /dev/zero >&2; "
                          "head -c 1048576 /dev/zero"});
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->exit_code, 0);
    EXPECT_EQ(r->out.size(), 2u << 20);
    EXPECT_EQ(r->err.size(), 1u << 20);
}

TEST(RunCommand, ACommandThatDoesNotEndIsKilledAtTheTimeout) {
    const auto start = std::chrono::steady_clock::now();
    auto r = run_command({"/bin/sh", "-c", "echo started; exec sleep 30"}, milliseconds(300));
    const auto took = std::chrono::steady_clock::now() - start;
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("did not end within 300 ms"), std::string::npos)
        << r.error().message;
    EXPECT_NE(r.error().message.find("started"), std::string::npos) << r.error().message;
    EXPECT_LT(took, std::chrono::seconds(5));
}

}  // namespace
}  // namespace vigil::testing
