// The version this build of Vigil reports (`vigil --version`, HTTP User-Agent headers).
#pragma once

namespace vigil::core {

inline constexpr const char* kVersion = "0.1.0";

}  // namespace vigil::core
