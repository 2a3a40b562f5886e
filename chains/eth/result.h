// Result<T>: the error-as-value type every fallible Vigil operation returns.
//
// GCC 12 has no std::expected, so this is the small stand-in the style guide asks for.
// An Error carries one human-readable message that names what failed and where
// (e.g. "rlp: list payload at offset 12 overruns input by 3 bytes"). Exceptions never
// cross module boundaries; code that may throw (a JSON library, the standard library)
// converts at its edge.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace vigil {

struct Error {
    std::string message;
    // A machine-readable kind for callers that act on it (e.g. rpc::ErrorCode to decide a
    // retry); defined by the module that fails. 0 = unspecified.
    int code = 0;
};

// Builds an Error; reads well at call sites: `return fail("rlp: empty input");`.
inline Error fail(std::string message, int code = 0) { return Error{std::move(message), code}; }

template <class T>
class [[nodiscard]] Result {
  public:
    Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}
    Result(Error error) : v_(std::in_place_index<1>, std::move(error)) {}

    bool ok() const noexcept { return v_.index() == 0; }
    explicit operator bool() const noexcept { return ok(); }

    // Requires ok().
    T& value() & { return std::get<0>(v_); }
    const T& value() const& { return std::get<0>(v_); }
    T&& value() && { return std::get<0>(std::move(v_)); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }

    // Requires !ok().
    const Error& error() const& { return std::get<1>(v_); }
    Error&& error() && { return std::get<1>(std::move(v_)); }

    T value_or(T fallback) const& { return ok() ? value() : std::move(fallback); }

  private:
    std::variant<T, Error> v_;
};

// Result<void>: success or an Error.
template <>
class [[nodiscard]] Result<void> {
  public:
    Result() = default;
    Result(Error error) : error_(std::move(error)), ok_(false) {}

    bool ok() const noexcept { return ok_; }
    explicit operator bool() const noexcept { return ok_; }
    const Error& error() const& { return error_; }

  private:
    Error error_;
    bool ok_ = true;
};

using Status = Result<void>;

}  // namespace vigil

// Propagates an error: `VIGIL_TRY(auto item, decode(x));` declares `item` on success,
// returns the Error from the enclosing function otherwise.
#define VIGIL_CONCAT_INNER(a, b) a##b
#define VIGIL_CONCAT(a, b) VIGIL_CONCAT_INNER(a, b)
#define VIGIL_TRY(decl, expr) VIGIL_TRY_IMPL(decl, expr, VIGIL_CONCAT(vigil_try_, __LINE__))
#define VIGIL_TRY_IMPL(decl, expr, tmp)                           \
    auto tmp = (expr);                                            \
    if (!tmp.ok()) return ::vigil::Error(std::move(tmp).error()); \
    decl = std::move(tmp).value()
// Propagates the error of a Status (or any Result whose value is not needed).
#define VIGIL_CHECK(expr) VIGIL_CHECK_IMPL(expr, VIGIL_CONCAT(vigil_chk_, __LINE__))
#define VIGIL_CHECK_IMPL(expr, tmp)                        \
    do {                                                   \
        auto tmp = (expr);                                 \
        if (!tmp.ok()) return ::vigil::Error(tmp.error()); \
    } while (0)
