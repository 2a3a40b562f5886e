#include "core/log.h"

#include <cmath>
#include <cstdio>
#include <ctime>

namespace vigil::core {
namespace {

const char* level_name(LogLevel level) {
    switch (level) {
        case LogLevel::debug:
            return "debug";
        case LogLevel::info:
            return "info";
        case LogLevel::warn:
            return "warn";
        case LogLevel::error:
            return "error";
    }
    return "info";
}

// RFC 3339 UTC with milliseconds: 2026-11-24T18:42:52.123Z.
std::string format_time(std::chrono::system_clock::time_point t) {
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
    std::time_t secs = static_cast<std::time_t>(ms / 1000);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char buf[96];  // sized for any int the compiler can imagine in these fields
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                  static_cast<int>(ms % 1000));
    return buf;
}

// Length of the valid UTF-8 sequence starting at s[i], or 0 if invalid.
size_t utf8_sequence(std::string_view s, size_t i) {
    const auto c = static_cast<uint8_t>(s[i]);
    size_t n;
    uint32_t min;
    if (c < 0x80) return 1;
    if ((c & 0xe0) == 0xc0)
        n = 2, min = 0x80;
    else if ((c & 0xf0) == 0xe0)
        n = 3, min = 0x800;
    else if ((c & 0xf8) == 0xf0)
        n = 4, min = 0x10000;
    else
        return 0;
    if (i + n > s.size()) return 0;
    uint32_t cp = c & (0x7f >> n);
    for (size_t k = 1; k < n; ++k) {
        const auto cc = static_cast<uint8_t>(s[i + k]);
        if ((cc & 0xc0) != 0x80) return 0;
        cp = cp << 6 | (cc & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
    return n;
}

void append_value(std::string& out, const LogField::Value& v, bool json) {
    if (const auto* s = std::get_if<std::string>(&v)) {
        if (json) out.push_back('"');
        append_json_escaped(out, *s);
        if (json) out.push_back('"');
    } else if (const auto* i = std::get_if<int64_t>(&v)) {
        out += std::to_string(*i);
    } else if (const auto* u = std::get_if<uint64_t>(&v)) {
        out += std::to_string(*u);
    } else if (const auto* d = std::get_if<double>(&v)) {
        if (!std::isfinite(*d)) {
            out += json ? "null" : "nan";
        } else {
            char buf[32];
            std::snprintf(buf, sizeof buf, "%.17g", *d);
            out += buf;
        }
    } else {
        out += std::get<bool>(v) ? "true" : "false";
    }
}

}  // namespace

bool parse_log_level(std::string_view text, LogLevel& out) {
    if (text == "debug")
        out = LogLevel::debug;
    else if (text == "info")
        out = LogLevel::info;
    else if (text == "warn")
        out = LogLevel::warn;
    else if (text == "error")
        out = LogLevel::error;
    else
        return false;
    return true;
}

bool parse_log_format(std::string_view text, LogFormat& out) {
    if (text == "json")
        out = LogFormat::json;
    else if (text == "text")
        out = LogFormat::text;
    else
        return false;
    return true;
}

void append_json_escaped(std::string& out, std::string_view text) {
    static constexpr char kHex[] = "0123456789abcdef";
    for (size_t i = 0; i < text.size();) {
        const auto c = static_cast<uint8_t>(text[i]);
        if (c == '"' || c == '\\') {
            out.push_back('\\');
            out.push_back(static_cast<char>(c));
        } else if (c == '\n') {
            out += "\\n";
        } else if (c == '\r') {
            out += "\\r";
        } else if (c == '\t') {
            out += "\\t";
        } else if (c < 0x20 || c == 0x7f) {
            out += "\\u00";
            out.push_back(kHex[c >> 4]);
            out.push_back(kHex[c & 0xf]);
        } else if (c >= 0x80) {
            size_t n = utf8_sequence(text, i);
            if (n == 0) {
                out += "\\ufffd";
                ++i;
                continue;
            }
            out.append(text.substr(i, n));
            i += n;
            continue;
        } else {
            out.push_back(static_cast<char>(c));
        }
        ++i;
    }
}

Logger::Logger(std::ostream& sink, LogFormat format, LogLevel min_level, Clock clock)
    : sink_(std::make_shared<Sink>(sink)),
      format_(format),
      min_level_(min_level),
      clock_(clock ? std::move(clock) : Clock([] { return std::chrono::system_clock::now(); })) {}

Logger Logger::with(std::string_view component, std::string_view chain) const {
    Logger copy = *this;
    if (!component.empty()) copy.component_ = component;
    if (!chain.empty()) copy.chain_ = chain;
    return copy;
}

std::string Logger::format_line(LogLevel level, std::string_view msg,
                                std::initializer_list<LogField> fields) const {
    std::string line;
    line.reserve(128);
    const std::string ts = format_time(clock_());
    if (format_ == LogFormat::json) {
        line += "{\"ts\":\"" + ts + "\",\"level\":\"" + level_name(level) + "\"";
        if (!component_.empty()) {
            line += ",\"component\":\"";
            append_json_escaped(line, component_);
            line += "\"";
        }
        if (!chain_.empty()) {
            line += ",\"chain\":\"";
            append_json_escaped(line, chain_);
            line += "\"";
        }
        line += ",\"msg\":\"";
        append_json_escaped(line, msg);
        line += "\"";
        for (const LogField& f : fields) {
            line += ",\"";
            append_json_escaped(line, f.key);
            line += "\":";
            append_value(line, f.value, true);
        }
        line += "}";
    } else {
        line += ts + " " + level_name(level);
        if (!component_.empty())
            line += " [" + component_ + (chain_.empty() ? "" : "/" + chain_) + "]";
        line += " ";
        append_json_escaped(line, msg);
        for (const LogField& f : fields) {
            line += " " + f.key + "=";
            append_value(line, f.value, false);
        }
    }
    return line;
}

void Logger::log(LogLevel level, std::string_view msg,
                 std::initializer_list<LogField> fields) const {
    if (!enabled(level)) return;
    std::string line = format_line(level, msg, fields);
    line.push_back('\n');
    std::lock_guard<std::mutex> lock(sink_->mu);
    sink_->out << line;
    sink_->out.flush();
}

}  // namespace vigil::core
