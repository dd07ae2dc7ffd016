// Errors are values: every fallible call across a module boundary returns Result<T>.
//
//   Result<Date> d = Date::parse(text);
//   if (!d) return fail(d.error());
//   use(*d);
//
// Error carries a short machine code (for metrics and dead-letter headers) and a message a
// person can act on: which field, what was expected, what came.
#pragma once

#include <string>
#include <string_view>
#include <tl/expected.hpp>
#include <utility>

namespace jiayuan {

struct Error {
  std::string code;     // e.g. "missing_field", "out_of_range", "io"
  std::string message;  // e.g. "data.scores.cleaning: expected a number 0..100, got 130"
};

template <class T>
class [[nodiscard]] Result : public tl::expected<T, Error> {
 public:
  using tl::expected<T, Error>::expected;
  Result(tl::expected<T, Error> e) : tl::expected<T, Error>(std::move(e)) {}  // NOLINT
};

using Status = Result<void>;

inline tl::unexpected<Error> fail(std::string code, std::string message) {
  return tl::unexpected<Error>(Error{std::move(code), std::move(message)});
}
inline tl::unexpected<Error> fail(Error e) { return tl::unexpected<Error>(std::move(e)); }

// "PATH: expected EXPECTED, got GOT": the one shape of every validation message.
Error field_error(std::string_view code, std::string_view path, std::string_view expected,
                  std::string_view got);

// Explicit, greppable: this error is deliberately not acted upon.
template <class T>
void ignore_error(const Result<T>&) {}

}  // namespace jiayuan

// JY_TRY(auto x, expr): evaluates expr (a Result); on error returns it from the enclosing
// function, else binds its value to the declaration (which cannot be parenthesised).
// NOLINTBEGIN(bugprone-macro-parentheses)
#define JY_CONCAT_INNER_(a, b) a##b
#define JY_CONCAT_(a, b) JY_CONCAT_INNER_(a, b)
#define JY_TRY_IMPL_(tmp, decl, expr)                       \
  auto tmp = (expr);                                        \
  if (!tmp) return ::jiayuan::fail(std::move(tmp).error()); \
  decl = std::move(*tmp)
#define JY_TRY(decl, expr) JY_TRY_IMPL_(JY_CONCAT_(jy_try_, __LINE__), decl, expr)
// NOLINTEND(bugprone-macro-parentheses)
// JY_CHECK(expr): for Status-returning calls.
#define JY_CHECK(expr)                                                    \
  do {                                                                    \
    auto jy_check_ = (expr);                                              \
    if (!jy_check_) return ::jiayuan::fail(std::move(jy_check_).error()); \
  } while (0)
