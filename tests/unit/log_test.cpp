#include "core/log.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>

namespace vigil::core {
namespace {

std::chrono::system_clock::time_point fixed_time() {
    // 2026-11-24T18:42:52.123Z
    return std::chrono::system_clock::time_point(std::chrono::milliseconds(1795545772123LL));
}

TEST(Logger, JsonLineHasTheConventionalFields) {
    std::ostringstream out;
    Logger log(out, LogFormat::json, LogLevel::info, fixed_time);
    log.with("listener", "op-a")
        .info("head \"advanced\"", {{"block", 17u}, {"lag", -2}, {"ok", true}});
    auto line = out.str();
    ASSERT_FALSE(line.empty());
    EXPECT_EQ(line.back(), '\n');
    auto j = nlohmann::json::parse(line);
    EXPECT_EQ(j["ts"], "2026-11-24T18:42:52.123Z");
    EXPECT_EQ(j["level"], "info");
    EXPECT_EQ(j["component"], "listener");
    EXPECT_EQ(j["chain"], "op-a");
    EXPECT_EQ(j["msg"], "head \"advanced\"");
    EXPECT_EQ(j["block"], 17);
    EXPECT_EQ(j["lag"], -2);
    EXPECT_EQ(j["ok"], true);
}

TEST(Logger, LevelFilterAndTextFormat) {
    std::ostringstream out;
    Logger log(out, LogFormat::text, LogLevel::warn, fixed_time);
    log.info("dropped");
    log.error("kept", {{"reason", "x"}});
    EXPECT_EQ(out.str(), "2026-11-24T18:42:52.123Z error kept reason=x\n");
}

TEST(Logger, EscapesControlBytesAndInvalidUtf8) {
    std::string s;
    append_json_escaped(s, std::string("a\x01\n\xff\xc3\xa9", 6));
    EXPECT_EQ(s, "a\\u0001\\n\\ufffd\xc3\xa9");
    // The result is valid JSON.
    EXPECT_NO_THROW(nlohmann::json::parse("\"" + s + "\""));
}

TEST(Logger, ParsesLevelsAndFormats) {
    LogLevel level;
    LogFormat format;
    EXPECT_TRUE(parse_log_level("warn", level));
    EXPECT_EQ(level, LogLevel::warn);
    EXPECT_FALSE(parse_log_level("loud", level));
    EXPECT_TRUE(parse_log_format("text", format));
    EXPECT_FALSE(parse_log_format("xml", format));
}

}  // namespace
}  // namespace vigil::core
