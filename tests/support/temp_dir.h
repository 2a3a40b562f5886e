// A fresh directory under /tmp for one test, removed with everything in it afterwards.
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <string>

namespace vigil::testing {

struct TempDir {
    std::filesystem::path path;
    explicit TempDir(const std::string& name = "test") {
        std::string tmpl = "/tmp/vigil-" + name + "-XXXXXX";
        path = mkdtemp(tmpl.data());
    }
    ~TempDir() { std::filesystem::remove_all(path); }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
};

}  // namespace vigil::testing
