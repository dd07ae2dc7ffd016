#include "connectors/internal/http_wire.h"

#include <algorithm>
#include <charconv>

#include "events/json_limits.h"

namespace jiayuan::internal {
namespace {

bool token_char(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Where the head (request line and headers) ends and how long its terminator is, or npos.
std::pair<size_t, size_t> head_end(std::string_view b) {
  for (size_t i = 0; i < b.size(); ++i) {
    if (b[i] != '\n') continue;
    if (i + 1 < b.size() && b[i + 1] == '\n') return {i + 1, 1};
    if (i + 2 < b.size() && b[i + 1] == '\r' && b[i + 2] == '\n') return {i + 1, 2};
  }
  return {std::string_view::npos, 0};
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string percent_decode(std::string_view s, bool plus_is_space) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && hex_value(s[i + 1]) >= 0 && hex_value(s[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2])));
      i += 2;
    } else if (plus_is_space && s[i] == '+') {
      out.push_back(' ');
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

RequestParser::State RequestParser::fail(int status, std::string detail) {
  error_status_ = status;
  error_detail_ = std::move(detail);
  return kError;
}

bool RequestParser::refuse(int status, std::string detail) {
  fail(status, std::move(detail));
  return false;
}

WireRequest RequestParser::take() {
  stage_ = Stage::kIdle;
  return std::exchange(req_, WireRequest{});
}

RequestParser::State RequestParser::feed(std::string& buffer) {
  if (stage_ == Stage::kIdle) {
    // Empty lines before a request are ignored (RFC 9112 §2.2).
    const size_t first = buffer.find_first_not_of("\r\n");
    buffer.erase(0, first == std::string::npos ? buffer.size() : first);
    if (buffer.empty()) return kNeedMore;
    stage_ = Stage::kHead;
  }
  if (stage_ == Stage::kHead) {
    const auto [end, terminator] = head_end(buffer);
    const size_t line_end = std::min(buffer.find('\n'), buffer.size());
    if (line_end > limits_.max_target_bytes + 32) {
      return fail(414, "the request line is longer than " +
                           std::to_string(limits_.max_target_bytes + 32) + " bytes");
    }
    if (std::min(end, buffer.size()) > limits_.max_header_bytes) {
      return fail(431, "the request line and headers are longer than " +
                           std::to_string(limits_.max_header_bytes) + " bytes");
    }
    if (end == std::string::npos) return kNeedMore;
    const std::string head = buffer.substr(0, end);
    buffer.erase(0, end + terminator);
    if (State s = parse_head(head); s == kError) return s;
    if (stage_ == Stage::kDone) {
      return kComplete;
    }
  }
  if (stage_ == Stage::kBody) {
    const size_t n = std::min(body_left_, buffer.size());
    req_.body.append(buffer, 0, n);
    buffer.erase(0, n);
    body_left_ -= n;
    if (body_left_ > 0) return kNeedMore;
    stage_ = Stage::kDone;
    return kComplete;
  }
  return feed_chunked(buffer);
}

// The request line: METHOD SP target SP HTTP/1.x
bool RequestParser::parse_request_line(std::string_view line) {
  const size_t sp1 = line.find(' ');
  const size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp1 == std::string_view::npos || sp2 == std::string_view::npos ||
      line.find(' ', sp2 + 1) != std::string_view::npos) {
    return refuse(400, "the request line: expected \"METHOD /path HTTP/1.1\", got \"" +
                           printable(line, 80) + "\"");
  }
  const std::string_view method = line.substr(0, sp1), target = line.substr(sp1 + 1, sp2 - sp1 - 1),
                         version = line.substr(sp2 + 1);
  if (method.empty() || method.size() > 20 ||
      !std::all_of(method.begin(), method.end(),
                   [](char c) { return token_char(static_cast<unsigned char>(c)); })) {
    return refuse(400, "the request method: expected a token such as GET or POST, got \"" +
                           printable(method, 24) + "\"");
  }
  if (target.size() > limits_.max_target_bytes) {
    return refuse(414, "the request target is longer than " +
                           std::to_string(limits_.max_target_bytes) + " bytes");
  }
  if (target.empty() || target.front() != '/') {
    return refuse(400, "the request target: expected a path starting with /, got \"" +
                           printable(target, 80) + "\"");
  }
  for (unsigned char c : target) {
    if (c <= 0x20 || c >= 0x7F) {
      return refuse(
          400,
          "the request target: expected printable ASCII (other bytes percent-encoded), got \"" +
              printable(target, 80) + "\"");
    }
  }
  if (version != "HTTP/1.1" && version != "HTTP/1.0") {
    if (version.starts_with("HTTP/")) {
      return refuse(505,
                    "HTTP version " + printable(version, 16) + ": this server speaks HTTP/1.1");
    }
    return refuse(400, "the request line: expected HTTP/1.1 at its end, got \"" +
                           printable(version, 16) + "\"");
  }
  req_.method = std::string(method);
  req_.target = std::string(target);
  req_.http10 = version == "HTTP/1.0";
  return true;
}

// One header line, kept in the request; the ones that frame the body noted in `framing`.
bool RequestParser::parse_header(std::string_view h, Framing& framing) {
  if (h.front() == ' ' || h.front() == '\t')
    return refuse(400, "a header continued on a second line (obsolete folding)");
  const size_t colon = h.find(':');
  if (colon == std::string_view::npos || colon == 0) {
    return refuse(400, "a header: expected \"Name: value\", got \"" + printable(h, 80) + "\"");
  }
  const std::string_view name = h.substr(0, colon);
  if (!std::all_of(name.begin(), name.end(),
                   [](char c) { return token_char(static_cast<unsigned char>(c)); })) {
    return refuse(400, "a header name: expected a token, got \"" + printable(name, 40) + "\"");
  }
  const std::string_view value = trim(h.substr(colon + 1));
  if (!is_utf8(value)) {
    return refuse(400, "header " + std::string(name) + ": expected UTF-8 text, got \"" +
                           printable(value, 60) + "\"");
  }
  for (unsigned char c : value) {
    if ((c < 0x20 && c != '\t') || c == 0x7F) {
      return refuse(400, "header " + std::string(name) +
                             ": expected text without control characters, got \"" +
                             printable(value, 60) + "\"");
    }
  }
  std::string key = lower(name);
  if (key == "content-length") {
    if (!framing.content_length.empty() && framing.content_length != value) {
      return refuse(400, "two different Content-Length headers");
    }
    framing.content_length = std::string(value);
  } else if (key == "transfer-encoding") {
    framing.transfer_encoding = lower(value);
  } else if (key == "connection") {
    framing.connection = lower(value);
  } else if (key == "expect") {
    framing.expect = lower(value);
  }
  req_.headers.emplace_back(std::move(key), std::string(value));
  return true;
}

// After the headers: keep-alive, and the body the framing announces (chunked, a length, none).
RequestParser::State RequestParser::start_body(const Framing& framing) {
  req_.keep_alive = req_.http10 ? framing.connection.find("keep-alive") != std::string::npos
                                : framing.connection.find("close") == std::string::npos;
  if (!framing.transfer_encoding.empty()) {
    if (!framing.content_length.empty())
      return fail(400, "both Content-Length and Transfer-Encoding: send one");
    if (framing.transfer_encoding != "chunked") {
      return fail(501, "Transfer-Encoding: " + printable(framing.transfer_encoding, 40) +
                           " (this server takes chunked or a Content-Length)");
    }
    stage_ = Stage::kChunkSize;
    expect_continue_ = framing.expect == "100-continue";
    return kNeedMore;
  }
  if (framing.content_length.empty()) {  // no body (RFC 9112 §6.3: neither header means length 0)
    stage_ = Stage::kDone;
    return kComplete;
  }
  const std::string& length = framing.content_length;
  uint64_t n = 0;
  const auto [p, ec] = std::from_chars(length.data(), length.data() + length.size(), n);
  if (ec != std::errc() || p != length.data() + length.size()) {
    return fail(
        400, "Content-Length: expected a number of bytes, got \"" + printable(length, 24) + "\"");
  }
  if (n > limits_.max_body_bytes) {
    return fail(413, "body: " + std::to_string(n) + " bytes, larger than the limit of " +
                         std::to_string(limits_.max_body_bytes));
  }
  body_left_ = static_cast<size_t>(n);
  req_.body.reserve(body_left_);
  stage_ = body_left_ == 0 ? Stage::kDone : Stage::kBody;
  expect_continue_ = body_left_ > 0 && framing.expect == "100-continue";
  return stage_ == Stage::kDone ? kComplete : kNeedMore;
}

RequestParser::State RequestParser::parse_head(std::string_view head) {
  std::vector<std::string_view> lines;
  for (size_t at = 0; at < head.size();) {
    size_t nl = head.find('\n', at);
    if (nl == std::string_view::npos) nl = head.size();
    std::string_view line = head.substr(at, nl - at);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    lines.push_back(line);
    at = nl + 1;
  }
  if (lines.empty()) return fail(400, "an empty request");
  if (!parse_request_line(lines.front())) return kError;
  if (lines.size() - 1 > limits_.max_headers) {
    return fail(431, "more than " + std::to_string(limits_.max_headers) + " headers");
  }
  Framing framing;
  for (size_t i = 1; i < lines.size(); ++i) {
    if (!lines[i].empty() && !parse_header(lines[i], framing)) return kError;
  }
  return start_body(framing);
}

RequestParser::State RequestParser::feed_chunked(std::string& buffer) {
  for (;;) {
    if (stage_ == Stage::kChunkSize || stage_ == Stage::kChunkEnd || stage_ == Stage::kTrailer) {
      const size_t nl = buffer.find('\n');
      if (nl == std::string::npos) {
        if (buffer.size() > 1024) return fail(400, "a chunk's size line is longer than 1024 bytes");
        return kNeedMore;
      }
      std::string_view line(buffer.data(), nl);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      const std::string text(line);
      buffer.erase(0, nl + 1);
      if (stage_ == Stage::kChunkEnd) {
        if (!text.empty()) return fail(400, "a chunk's data is longer than its size says");
        stage_ = Stage::kChunkSize;
        continue;
      }
      if (stage_ == Stage::kTrailer) {
        trailer_bytes_ += text.size();
        if (trailer_bytes_ > limits_.max_header_bytes)
          return fail(431, "the chunked body's trailers are too long");
        if (!text.empty()) continue;
        stage_ = Stage::kDone;
        return kComplete;
      }
      const std::string size_text = text.substr(0, text.find(';'));
      uint64_t n = 0;
      const auto [p, ec] =
          std::from_chars(size_text.data(), size_text.data() + size_text.size(), n, 16);
      if (size_text.empty() || ec != std::errc() || p != size_text.data() + size_text.size()) {
        return fail(400, "a chunk size: expected hexadecimal digits, got \"" +
                             printable(size_text, 24) + "\"");
      }
      if (n > limits_.max_body_bytes - req_.body.size()) {
        return fail(413, "body: larger than the limit of " +
                             std::to_string(limits_.max_body_bytes) + " bytes");
      }
      if (n == 0) {
        stage_ = Stage::kTrailer;
        continue;
      }
      body_left_ = static_cast<size_t>(n);
      stage_ = Stage::kChunkData;
    }
    if (stage_ == Stage::kChunkData) {
      const size_t n = std::min(body_left_, buffer.size());
      req_.body.append(buffer, 0, n);
      buffer.erase(0, n);
      body_left_ -= n;
      if (body_left_ > 0) return kNeedMore;
      stage_ = Stage::kChunkEnd;
    }
  }
}

bool decode_request(WireRequest&& wire, const HttpLimits& limits, HttpRequest& out,
                    HttpResponse& error) {
  out.method = std::move(wire.method);
  out.target = std::move(wire.target);
  out.headers = std::move(wire.headers);
  out.body = std::move(wire.body);
  const size_t q = out.target.find('?');
  out.path = percent_decode(std::string_view(out.target).substr(0, q), false);
  if (!is_utf8(out.path) || out.path.find('\0') != std::string::npos) {
    problem(error, 400,
            "the path: expected UTF-8 text once percent-decoded, got \"" + printable(out.path, 80) +
                "\"");
    return false;
  }
  if (q == std::string::npos) return true;
  const std::string_view query = std::string_view(out.target).substr(q + 1);
  size_t count = 0;
  for (size_t at = 0; at <= query.size();) {
    size_t amp = query.find('&', at);
    if (amp == std::string_view::npos) amp = query.size();
    const std::string_view pair = query.substr(at, amp - at);
    at = amp + 1;
    if (pair.empty()) continue;
    if (++count > limits.max_params) {
      problem(error, 400,
              "the query: more than " + std::to_string(limits.max_params) + " parameters");
      return false;
    }
    const size_t eq = pair.find('=');
    std::string name = percent_decode(pair.substr(0, eq), true);
    std::string value =
        eq == std::string_view::npos ? std::string() : percent_decode(pair.substr(eq + 1), true);
    if (!is_utf8(name) || !is_utf8(value)) {
      problem(error, 400,
              printable(name, 40) + ": expected UTF-8 text once percent-decoded, got \"" +
                  printable(value, 60) + "\"",
              {{"parameter", printable(name, 40)}});
      return false;
    }
    out.params.emplace(std::move(name), std::move(value));
  }
  return true;
}

}  // namespace jiayuan::internal
