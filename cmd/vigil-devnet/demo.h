// `vigil-devnet demo`: what `make demo` runs (see demo.cpp).
#pragma once

#include <cstdint>
#include <filesystem>

namespace vigil::devnet_demo {

struct Options {
    std::filesystem::path vigil;  // the vigil binary
    std::filesystem::path dir;    // scratch directory (emptied first)
    uint64_t seconds = 90;        // ends by itself after this long
};

int run(const Options& options);

}  // namespace vigil::devnet_demo
