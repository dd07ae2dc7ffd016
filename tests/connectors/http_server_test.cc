// The HTTP server against hostile requests: through answer() (the same parser, limits and
// routes as a connection, no socket) and over real sockets for the slow clients.
#include "connectors/http_server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <thread>

#include "events/json_limits.h"
#include "tests/support/manual_clock.h"

namespace jiayuan {
namespace {

using nlohmann::json;

int status_of(const std::string& answer) {
  return answer.size() > 12 ? std::stoi(answer.substr(9, 3)) : 0;
}
json body_of(const std::string& answer) {
  const size_t at = answer.find("\r\n\r\n");
  return json::parse(answer.substr(at + 4), nullptr, false);
}

class HttpServerTest : public ::testing::Test {
 protected:
  HttpServerTest()
      : server_({{"district-token-0123456789", Principal{Scope::kDistrict, "", DepartmentId()}}},
                limits()) {
    server_.route("GET", "/healthz", [](const HttpRequest&, HttpResponse& res) {
      res.set_content("{}", "application/json");
    });
    server_.route("GET", "/v1/things/{id}", [](const HttpRequest& req, HttpResponse& res) {
      res.set_content(json{{"id", req.matches[1]}, {"q", req.param("q")}}.dump(),
                      "application/json");
    });
    server_.route("POST", "/v1/echo", [this](const HttpRequest& req, HttpResponse& res) {
      if (server_.authenticate(req, res) == nullptr) return;
      res.set_content(req.body, "text/plain");
    });
    server_.route("GET", "/v1/throws",
                  [](const HttpRequest&, HttpResponse&) { throw std::runtime_error("boom"); });
  }
  static HttpLimits limits() {
    HttpLimits l;
    l.max_body_bytes = 1000;
    l.max_headers = 10;
    l.max_header_bytes = 2000;
    l.header_timeout = std::chrono::milliseconds(1500);
    return l;
  }
  HttpServer server_;
};

TEST_F(HttpServerTest, BadBytesInThePathOrAParameterAre400NamingThem) {
  for (const char* target : {"/%FF", "/v1/nothere%FF", "/dashboard/%FF",
                             "/dashboard/%c0%ae%c0%ae/etc/passwd", "/v1/events%FF"}) {
    const std::string a = server_.answer(std::string("GET ") + target + " HTTP/1.1\r\n\r\n");
    EXPECT_EQ(status_of(a), 400) << target;
    EXPECT_NE(body_of(a)["detail"].get<std::string>().find("the path: expected UTF-8 text"),
              std::string::npos)
        << a;
  }
  const std::string a = server_.answer("GET /v1/things/x?q=%FF%FE HTTP/1.1\r\n\r\n");
  EXPECT_EQ(status_of(a), 400);
  EXPECT_EQ(body_of(a)["parameter"], "q");
}

TEST_F(HttpServerTest, ParametersAndPathSegmentsArriveDecoded) {
  const std::string a = server_.answer("GET /v1/things/%E4%BA%91?q=a+b%26c HTTP/1.1\r\n\r\n");
  ASSERT_EQ(status_of(a), 200) << a;
  EXPECT_EQ(body_of(a)["id"], "云");
  EXPECT_EQ(body_of(a)["q"], "a b&c");
}

TEST_F(HttpServerTest, MalformedRequestsAreProblemsNeverCrashes) {
  struct Case {
    std::string raw;
    int status;
  };
  const std::vector<Case> cases = {
      {"GARBAGE\r\n\r\n", 400},
      {"GET /healthz HTTP/2.0\r\n\r\n", 505},
      {"GET healthz HTTP/1.1\r\n\r\n", 400},
      {"GET /healthz HTTP/1.1\r\nNo colon here\r\n\r\n", 400},
      {"GET /healthz HTTP/1.1\r\nX-A: 1\r\n folded\r\n\r\n", 400},
      {"GET /healthz HTTP/1.1\r\nX-A: \xff\xfe\r\n\r\n", 400},
      {"POST /v1/echo HTTP/1.1\r\nContent-Length: 12x\r\n\r\n", 400},
      {"POST /v1/echo HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n", 400},
      {"POST /v1/echo HTTP/1.1\r\nContent-Length: 5000\r\n\r\n", 413},
      {"POST /v1/echo HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", 501},
      {"GET /" + std::string(9000, 'a') + " HTTP/1.1\r\n\r\n", 414},
      {"GET /healthz HTTP/1.1\r\nX: " + std::string(3000, 'a') + "\r\n\r\n", 431},
      {"DELETE /healthz HTTP/1.1\r\n\r\n", 405},
      {"GET /nowhere HTTP/1.1\r\n\r\n", 404},
      {"GET /v1/throws HTTP/1.1\r\n\r\n", 500},
  };
  std::string many = "GET /healthz HTTP/1.1\r\n";
  for (int i = 0; i < 11; ++i) many += "X-" + std::to_string(i) + ": 1\r\n";
  const std::string too_many = many + "\r\n";
  for (const Case& c : cases) {
    const std::string a = server_.answer(c.raw);
    EXPECT_EQ(status_of(a), c.status) << printable(c.raw, 60) << " -> " << a.substr(0, 200);
    EXPECT_NE(a.find("application/problem+json"), std::string::npos) << a;
    EXPECT_TRUE(body_of(a).contains("detail")) << a;
  }
  EXPECT_EQ(status_of(server_.answer(too_many)), 431);
  // A handler that threw answered 500 with what happened, and the server answers the next one.
  EXPECT_NE(server_.answer("GET /v1/throws HTTP/1.1\r\n\r\n").find("boom"), std::string::npos);
  EXPECT_EQ(status_of(server_.answer("GET /healthz HTTP/1.1\r\n\r\n")), 200);
}

TEST_F(HttpServerTest, ChunkedBodiesAreReadAndBounded) {
  const std::string token = "Authorization: Bearer district-token-0123456789\r\n";
  const std::string ok =
      server_.answer("POST /v1/echo HTTP/1.1\r\n" + token +
                     "Transfer-Encoding: chunked\r\n\r\n4\r\nabcd\r\n3;x=1\r\nefg\r\n0\r\n\r\n");
  ASSERT_EQ(status_of(ok), 200) << ok;
  EXPECT_TRUE(ok.ends_with("\r\n\r\nabcdefg"));
  const std::string big = server_.answer("POST /v1/echo HTTP/1.1\r\n" + token +
                                         "Transfer-Encoding: chunked\r\n\r\n800\r\n" +
                                         std::string(0x800, 'a') + "\r\n0\r\n\r\n");
  EXPECT_EQ(status_of(big), 413);
}

// The token bucket: `requests_per_second` a second per token, refilled as the clock moves (a
// manual clock here: no sleeping), 429 with Retry-After when empty; other tokens unaffected.
TEST(HttpRateLimit, ATokenGetsItsRateASecondAndThen429UntilTheClockRefillsIt) {
  HttpLimits l;
  l.requests_per_second = 3;
  HttpServer server({{"district-token-0123456789", Principal{Scope::kDistrict, "", DepartmentId()}},
                     {"auditor-token-0123456789", Principal{Scope::kAuditor, "", DepartmentId()}}},
                    l);
  testing::ManualClock clock(1'700'000'000'000);
  server.set_clock(clock);
  server.route("GET", "/v1/me", [&server](const HttpRequest& req, HttpResponse& res) {
    if (server.authenticate(req, res) != nullptr) res.set_content("{}", "application/json");
  });
  auto ask = [&](const char* token) {
    return server.answer(std::string("GET /v1/me HTTP/1.1\r\nAuthorization: Bearer ") + token +
                         "\r\n\r\n");
  };
  for (int i = 0; i < 3; ++i) EXPECT_EQ(status_of(ask("district-token-0123456789")), 200) << i;
  const std::string refused = ask("district-token-0123456789");
  EXPECT_EQ(status_of(refused), 429);
  EXPECT_NE(refused.find("Retry-After: 1"), std::string::npos) << refused;
  EXPECT_EQ(status_of(ask("auditor-token-0123456789")), 200) << "another token has its own bucket";
  clock.advance_ms(300);  // 0.9 of a request refilled: still empty
  EXPECT_EQ(status_of(ask("district-token-0123456789")), 429);
  clock.advance_ms(100);  // 1.2 since the refusal: one request
  EXPECT_EQ(status_of(ask("district-token-0123456789")), 200);
  EXPECT_EQ(status_of(ask("district-token-0123456789")), 429);
  clock.advance_ms(60'000);  // a long pause refills to the rate, not beyond
  for (int i = 0; i < 3; ++i) EXPECT_EQ(status_of(ask("district-token-0123456789")), 200) << i;
  EXPECT_EQ(status_of(ask("district-token-0123456789")), 429);
}

TEST_F(HttpServerTest, TheBearerSchemeIsCaseInsensitive) {
  for (const char* scheme : {"Bearer", "bearer", "BEARER"}) {
    const std::string a =
        server_.answer(std::string("POST /v1/echo HTTP/1.1\r\nAuthorization: ") + scheme +
                       " district-token-0123456789\r\nContent-Length: 2\r\n\r\nhi");
    EXPECT_EQ(status_of(a), 200) << scheme;
  }
  EXPECT_EQ(status_of(server_.answer("POST /v1/echo HTTP/1.1\r\nAuthorization: Basic x\r\n\r\n")),
            401);
}

TEST_F(HttpServerTest, APostWithNoBodyAndNoLengthIsAnsweredAtOnce) {
  // RFC 9112 §6.3: neither Content-Length nor Transfer-Encoding means an empty body.
  const std::string a = server_.answer(
      "POST /v1/echo HTTP/1.1\r\nAuthorization: Bearer district-token-0123456789\r\n\r\n");
  EXPECT_EQ(status_of(a), 200);
  EXPECT_TRUE(a.ends_with("\r\n\r\n"));
}

// ---- over sockets ------------------------------------------------------------------------

int connect_to(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return -1;
  }
  timeval tv{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  return fd;
}

std::string send_and_read(int fd, const std::string& request) {
  (void)!::send(fd, request.data(), request.size(), MSG_NOSIGNAL);
  std::string got;
  char buf[4096];
  while (got.find("\r\n\r\n") == std::string::npos) {
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    got.append(buf, static_cast<size_t>(n));
  }
  return got;
}

TEST_F(HttpServerTest, SixtyFourSlowClientsCostOnlyTheirOwnConnections) {
  ASSERT_TRUE(server_.start("127.0.0.1", 0));
  std::vector<int> slow;
  for (int i = 0; i < 64; ++i) {
    const int fd = connect_to(server_.port());
    ASSERT_GE(fd, 0);
    (void)!::send(fd, "GET /healthz HTTP/1.1\r\n", 23, MSG_NOSIGNAL);
    slow.push_back(fd);
  }
  // While all 64 trickle a header line at a time, others are answered as if they were not there.
  for (int round = 0; round < 5; ++round) {
    for (int fd : slow) (void)!::send(fd, "X-Slow: 1\r\n", 11, MSG_NOSIGNAL);
    const auto t0 = std::chrono::steady_clock::now();
    const int fd = connect_to(server_.port());
    const std::string a =
        send_and_read(fd, "GET /v1/things/a HTTP/1.1\r\nConnection: close\r\n\r\n");
    ::close(fd);
    const auto took = std::chrono::steady_clock::now() - t0;
    EXPECT_EQ(status_of(a), 200);
    EXPECT_LT(took, std::chrono::milliseconds(100)) << "round " << round;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  // A client that never finishes its headers is answered 408 at the header deadline and let go.
  std::this_thread::sleep_for(std::chrono::milliseconds(1600));
  char buf[512] = {};
  const ssize_t n = ::recv(slow.front(), buf, sizeof buf - 1, 0);
  ASSERT_GT(n, 0);
  EXPECT_EQ(std::string(buf).substr(0, 12), "HTTP/1.1 408");
  for (int fd : slow) ::close(fd);
  server_.stop();
}

TEST_F(HttpServerTest, ABodyThatNeverComesIsAnswered408AtItsDeadline) {
  HttpLimits l = limits();
  l.body_timeout = std::chrono::milliseconds(300);
  HttpServer server({}, l);
  server.route("POST", "/v1/echo", [](const HttpRequest& req, HttpResponse& res) {
    res.set_content(req.body, "text/plain");
  });
  ASSERT_TRUE(server.start("127.0.0.1", 0));
  const int fd = connect_to(server.port());
  const std::string a =
      send_and_read(fd, "POST /v1/echo HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc");
  ::close(fd);
  EXPECT_EQ(status_of(a), 408) << a;
  server.stop();
}

TEST_F(HttpServerTest, KeptAliveConnectionsAnswerRequestAfterRequest) {
  ASSERT_TRUE(server_.start("127.0.0.1", 0));
  const int fd = connect_to(server_.port());
  for (int i = 0; i < 3; ++i) {
    const std::string a = send_and_read(fd, "GET /healthz HTTP/1.1\r\n\r\n");
    EXPECT_EQ(status_of(a), 200) << i;
    EXPECT_NE(a.find("Connection: keep-alive"), std::string::npos);
  }
  ::close(fd);
  server_.stop();
}

}  // namespace
}  // namespace jiayuan
