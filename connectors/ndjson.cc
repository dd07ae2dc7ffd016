#include "connectors/ndjson.h"

#include <algorithm>
#include <string_view>

namespace jiayuan {

bool NdjsonReader::fill() {
  std::streambuf* buf = in_.rdbuf();
  if (buf == nullptr) return false;
  block_.resize(size_t{64} << 10);
  const std::streamsize got =
      buf->sgetn(block_.data(), static_cast<std::streamsize>(block_.size()));
  block_.resize(static_cast<size_t>(std::max<std::streamsize>(got, 0)));
  at_ = 0;
  return !block_.empty();
}

bool NdjsonReader::next(NdjsonLine& line) {
  for (;;) {
    line = NdjsonLine{};
    bool any = false;
    // The line's pieces, block by block, up to its '\n' (taken, not kept) or the stream's end.
    for (;;) {
      if (at_ == block_.size() && !fill()) break;
      any = true;
      const std::string_view rest = std::string_view(block_).substr(at_);
      const size_t newline = rest.find('\n');  // memchr
      const size_t n = newline != std::string_view::npos ? newline : rest.size();
      line.size += n;
      const size_t room = max_line_ - std::min(line.text.size(), max_line_);
      if (n > room) line.too_long = true;
      line.text.append(rest.substr(0, std::min(n, room)));
      at_ += n;
      if (newline != std::string_view::npos) {
        ++at_;
        break;
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
