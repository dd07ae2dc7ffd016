#include "events/result.h"

namespace jiayuan {

Error field_error(std::string_view code, std::string_view path, std::string_view expected,
                  std::string_view got) {
  std::string m;
  m.reserve(path.size() + expected.size() + got.size() + 24);
  m.append(path).append(": expected ").append(expected).append(", got ").append(got);
  return Error{std::string(code), std::move(m)};
}

}  // namespace jiayuan
