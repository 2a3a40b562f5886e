#include "tests/unit/vectors.h"

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace vigil::test {

std::filesystem::path vectors_dir() {
    if (const char* env = std::getenv("VIGIL_VECTORS"); env && *env) return env;
    return std::filesystem::path("..") / "shared" / "vectors";
}

std::filesystem::path vector_path(const std::string& relative) { return vectors_dir() / relative; }

bool in_ci() {
    const char* ci = std::getenv("CI");
    return ci && std::string(ci) == "true";
}

std::string read_text(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot open " + path.string());
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

nlohmann::json load_json(const std::filesystem::path& path) {
    try {
        return nlohmann::json::parse(read_text(path));
    } catch (const nlohmann::json::exception& e) {
        throw std::runtime_error("bad JSON in " + path.string() + ": " + e.what());
    }
}

std::vector<std::filesystem::path> list_files(const std::filesystem::path& dir,
                                              const std::string& suffix) {
    std::vector<std::filesystem::path> out;
    if (!std::filesystem::is_directory(dir)) return out;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
        if (!entry.is_regular_file()) continue;
        std::string name = entry.path().filename().string();
        if (name.size() >= suffix.size() &&
            name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0)
            out.push_back(entry.path());
    }
    std::sort(out.begin(), out.end());
    return out;
}

std::vector<RpcExchange> read_io(const std::filesystem::path& path) {
    std::vector<RpcExchange> out;
    std::istringstream in(read_text(path));
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind(">> ", 0) == 0)
            out.push_back(
                {path.filename().string(), nlohmann::json::parse(line.substr(3)), nullptr});
        if (line.rfind("<< ", 0) == 0 && !out.empty())
            out.back().response = nlohmann::json::parse(line.substr(3));
    }
    return out;
}

}  // namespace vigil::test
