#include "connectors/ndjson.h"

namespace jiayuan {

bool NdjsonReader::next(NdjsonLine& line) {
  for (;;) {
    line = NdjsonLine{};
    bool any = false;
    std::streambuf* buf = in_.rdbuf();
    for (int c; buf != nullptr && (c = buf->sbumpc()) != std::char_traits<char>::eof();) {
      any = true;
      if (c == '\n') break;
      ++line.size;
      if (line.text.size() < max_line_) {
        line.text.push_back(static_cast<char>(c));
      } else {
        line.too_long = true;
      }
    }
    if (!any) return false;
    ++number_;
    line.number = number_;
    line.origin = name_ + ":" + std::to_string(number_);
    if (line.too_long) {
      line.text.resize(kKeptBytes);
      return true;
    }
    if (!line.text.empty() && line.text.back() == '\r') line.text.pop_back();
    if (line.text.find_first_not_of(" \t") == std::string::npos) continue;
    return true;
  }
}

}  // namespace jiayuan
