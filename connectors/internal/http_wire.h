// Internal to the HTTP server: HTTP/1.1 requests read incrementally from a connection's bytes,
// with every limit of HttpLimits enforced as the bytes come (RFC 9112 framing: Content-Length or
// chunked; a request with neither has no body).
//
//   RequestParser parser(limits);
//   buffer += bytes_received;
//   switch (parser.feed(buffer)) {        // consumes what it used from the front of `buffer`
//     case RequestParser::kNeedMore: ...  // wait for more bytes (parser.started(): a request
//     began) case RequestParser::kComplete: use(parser.take()); break; case RequestParser::kError:
//     answer(parser.error_status(), parser.error_detail()); close();
//   }
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "connectors/http_server.h"

namespace jiayuan::internal {

struct WireRequest {
  std::string method;
  std::string target;
  bool http10 = false;
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;
  bool keep_alive = true;
};

class RequestParser {
 public:
  enum State { kNeedMore, kComplete, kError };
  explicit RequestParser(const HttpLimits& limits) : limits_(limits) {}

  State feed(std::string& buffer);
  // True once a request's first byte has come (its header deadline runs from then).
  bool started() const { return stage_ != Stage::kIdle; }
  // True once the headers are in and a body is still to come (the body deadline runs).
  bool reading_body() const {
    return stage_ == Stage::kBody || stage_ == Stage::kChunkSize || stage_ == Stage::kChunkData ||
           stage_ == Stage::kChunkEnd || stage_ == Stage::kTrailer;
  }
  // After the headers, when the client asked for "Expect: 100-continue"; cleared when read.
  bool take_expect_continue() { return std::exchange(expect_continue_, false); }
  WireRequest take();
  int error_status() const { return error_status_; }
  const std::string& error_detail() const { return error_detail_; }

 private:
  enum class Stage { kIdle, kHead, kBody, kChunkSize, kChunkData, kChunkEnd, kTrailer, kDone };
  // What the headers say of the body and the connection.
  struct Framing {
    std::string connection, content_length, transfer_encoding, expect;
  };
  State parse_head(std::string_view head);
  // The parts of parse_head: false once refused.
  bool parse_request_line(std::string_view line);
  bool parse_header(std::string_view line, Framing& framing);
  State start_body(const Framing& framing);
  State fail(int status, std::string detail);
  bool refuse(int status, std::string detail);  // fail(), for the parts that answer bool
  State feed_chunked(std::string& buffer);

  const HttpLimits& limits_;
  Stage stage_ = Stage::kIdle;
  WireRequest req_;
  size_t body_left_ = 0;
  size_t trailer_bytes_ = 0;
  bool expect_continue_ = false;
  int error_status_ = 0;
  std::string error_detail_;
};

// The request a handler sees: path and query percent-decoded and UTF-8; false (with the problem
// written into `error`) when they are not.
bool decode_request(WireRequest&& wire, const HttpLimits& limits, HttpRequest& out,
                    HttpResponse& error);

// Percent-decoding; '+' is a space when `plus_is_space` (query strings).
std::string percent_decode(std::string_view s, bool plus_is_space);

}  // namespace jiayuan::internal
