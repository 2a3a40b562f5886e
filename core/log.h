// Logger: structured logs, one JSON object per line (ts, level, component, chain, msg,
// fields), or a plain text line for humans (--log-format text).
//
// A Logger is cheap to copy; copies share the sink. `with()` derives a logger that adds
// the component / chain to every line. Thread-safe: lines from several threads never
// interleave. Never pass secrets as fields: the logger cannot tell them apart.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <ostream>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace vigil::core {

enum class LogLevel { debug = 0, info = 1, warn = 2, error = 3 };
enum class LogFormat { json, text };

// Parses "debug" | "info" | "warn" | "error"; "json" | "text". False on anything else.
bool parse_log_level(std::string_view text, LogLevel& out);
bool parse_log_format(std::string_view text, LogFormat& out);

struct LogField {
    using Value = std::variant<std::string, int64_t, uint64_t, double, bool>;
    std::string key;
    Value value;

    LogField(std::string k, std::string v) : key(std::move(k)), value(std::move(v)) {}
    LogField(std::string k, std::string_view v) : key(std::move(k)), value(std::string(v)) {}
    LogField(std::string k, const char* v) : key(std::move(k)), value(std::string(v)) {}
    LogField(std::string k, int v) : key(std::move(k)), value(int64_t{v}) {}
    LogField(std::string k, long v) : key(std::move(k)), value(int64_t{v}) {}
    LogField(std::string k, long long v) : key(std::move(k)), value(int64_t{v}) {}
    LogField(std::string k, unsigned v) : key(std::move(k)), value(uint64_t{v}) {}
    LogField(std::string k, unsigned long v) : key(std::move(k)), value(uint64_t{v}) {}
    LogField(std::string k, unsigned long long v) : key(std::move(k)), value(uint64_t{v}) {}
    LogField(std::string k, double v) : key(std::move(k)), value(v) {}
    LogField(std::string k, bool v) : key(std::move(k)), value(v) {}
};

// Appends `text` to `out` as a JSON string body (without the quotes), escaping quotes,
// backslashes and control characters; invalid UTF-8 bytes become U+FFFD.
void append_json_escaped(std::string& out, std::string_view text);

class Logger {
  public:
    using Clock = std::function<std::chrono::system_clock::time_point()>;

    // Writes to `sink`, which must outlive every copy of the logger.
    Logger(std::ostream& sink, LogFormat format, LogLevel min_level, Clock clock = {});

    Logger with(std::string_view component, std::string_view chain = {}) const;

    void log(LogLevel level, std::string_view msg,
             std::initializer_list<LogField> fields = {}) const;
    void debug(std::string_view msg, std::initializer_list<LogField> f = {}) const {
        log(LogLevel::debug, msg, f);
    }
    void info(std::string_view msg, std::initializer_list<LogField> f = {}) const {
        log(LogLevel::info, msg, f);
    }
    void warn(std::string_view msg, std::initializer_list<LogField> f = {}) const {
        log(LogLevel::warn, msg, f);
    }
    void error(std::string_view msg, std::initializer_list<LogField> f = {}) const {
        log(LogLevel::error, msg, f);
    }

    bool enabled(LogLevel level) const { return level >= min_level_; }

    // Formats one line (without the newline); exposed for tests.
    std::string format_line(LogLevel level, std::string_view msg,
                            std::initializer_list<LogField> fields) const;

  private:
    struct Sink {
        explicit Sink(std::ostream& o) : out(o) {}
        std::ostream& out;
        std::mutex mu;
    };
    std::shared_ptr<Sink> sink_;
    LogFormat format_;
    LogLevel min_level_;
    Clock clock_;
    std::string component_;
    std::string chain_;
};

}  // namespace vigil::core
