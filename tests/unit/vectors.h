// Access to the public test vectors kept outside the repo (../shared/vectors).
//
// The directory comes from $VIGIL_VECTORS (the Makefile sets it), else ../shared/vectors
// relative to the working directory. When a vector file is missing, a test skips with a
// message, except under CI=true, where a missing file is a failure: CI must never pass
// by reading nothing.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace vigil::test {

std::filesystem::path vectors_dir();
std::filesystem::path vector_path(const std::string& relative);
bool in_ci();
// Parses a JSON file; throws std::runtime_error naming the file on a parse error.
nlohmann::json load_json(const std::filesystem::path& path);
std::string read_text(const std::filesystem::path& path);
// Regular files directly under `dir` whose name ends with `suffix`, sorted.
std::vector<std::filesystem::path> list_files(const std::filesystem::path& dir,
                                              const std::string& suffix = "");

// One JSON-RPC request and the node's response, from a transcript.
struct RpcExchange {
    std::string file;  // the transcript's file name
    nlohmann::json request, response;
};
// The exchanges of a `.io` transcript (execution-apis' format): `>> ` request and `<< `
// response lines, `//` comments. Throws std::runtime_error when the file cannot be read,
// nlohmann::json::exception on a line that is not JSON.
std::vector<RpcExchange> read_io(const std::filesystem::path& path);

}  // namespace vigil::test

// In a TEST body: resolves `relative` under the vectors directory into `var`
// (a std::filesystem::path), or skips (fails under CI=true) when it is missing.
#define VIGIL_VECTOR_PATH(var, relative)                                          \
    const std::filesystem::path var = ::vigil::test::vector_path(relative);       \
    if (!std::filesystem::exists(var)) {                                          \
        if (::vigil::test::in_ci()) FAIL() << "vector missing under CI: " << var; \
        GTEST_SKIP() << "vector not found: " << var << " (set VIGIL_VECTORS)";    \
    }

// In a TEST body: loads the JSON vector file `relative` into `var`, or skips/fails.
#define VIGIL_VECTOR_JSON(var, relative)    \
    VIGIL_VECTOR_PATH(var##_path, relative) \
    const nlohmann::json var = ::vigil::test::load_json(var##_path)
