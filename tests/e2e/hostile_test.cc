// What once stopped jiayuan (docs/reliability.md), each through the real binary: requests that
// killed the HTTP server, nesting bombs, a publish line too long to hold, a full disk.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace jiayuan {
namespace {

using nlohmann::json;

const std::string kBureauToken = "bureau-token-0123456789";
const std::string kDistrictToken = "district-token-0123456789";

std::string registration(const std::string& id, const std::string& street = "yueyang") {
  return R"({"specversion":"1.0","id":"reg-)" + id +
         R"(","source":"bureau","type":"jiayuan.community.registered",)"
         R"("occurred":"2022-06-01","data":{"community":")" +
         id + R"(","name":"n","street":")" + street +
         R"(","households":10,"fee":2.5,"enclosure":"closed","category":"mixed"}})";
}

// One request's raw bytes to the server; the whole answer (the server closes after it).
std::string talk(int port, const std::string& request) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return "";
  }
  timeval tv{10, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  for (size_t sent = 0; sent < request.size();) {
    const ssize_t n = ::send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;
    sent += static_cast<size_t>(n);
  }
  std::string got;
  char buf[65536];
  for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;)
    got.append(buf, static_cast<size_t>(n));
  ::close(fd);
  return got;
}

int status_of(const std::string& answer) {
  return answer.size() > 12 ? std::stoi(answer.substr(9, 3)) : 0;
}
json body_of(const std::string& answer) {
  const size_t at = answer.find("\r\n\r\n");
  return at == std::string::npos ? json() : json::parse(answer.substr(at + 4), nullptr, false);
}

std::string post(const std::string& path, const std::string& type, const std::string& body,
                 const std::string& auth = "Bearer " + kBureauToken) {
  return "POST " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: " + auth +
         "\r\nContent-Type: " + type + "\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\n\r\n" + body;
}

class Hostile : public ::testing::Test {
 protected:
  testing::ProcessResult jy(const std::string& data, std::vector<std::string> args) {
    args.insert(args.begin(),
                {"--config", JIAYUAN_TEST_CONFIG_DIR, "--data-dir", data, "--log-level", "warn"});
    return testing::run(JIAYUAN_BINARY, args, dir_.path().string());
  }
  // `jiayuan run --http` on data; waits for its port.
  void serve(const std::string& data) {
    std::ofstream(dir_ / "tokens.toml") << "[tokens]\n\"" << kBureauToken << "\" = \"bureau\"\n\""
                                        << kDistrictToken << "\" = { scope = \"district\" }\n";
    pid_ =
        testing::spawn(JIAYUAN_BINARY,
                       {"--config", JIAYUAN_TEST_CONFIG_DIR, "--data-dir", data, "--log-level",
                        "warn", "run", "--http", "127.0.0.1:0", "--tokens", dir_ / "tokens.toml"},
                       dir_ / "out", dir_ / "err");
    port_ = testing::wait_for_port(dir_ / "out");
    ASSERT_GT(port_, 0) << testing::slurp(dir_ / "err");
  }
  void stop_server() {
    if (pid_ == 0) return;
    kill(pid_, SIGTERM);
    auto r = testing::wait_for(pid_, dir_ / "out", dir_ / "err");
    pid_ = 0;
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.signal, 0) << r.err;
  }
  void TearDown() override { stop_server(); }
  bool alive() {
    return status_of(talk(port_, "GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n")) == 200;
  }

  testing::TempDir dir_;
  pid_t pid_ = 0;
  int port_ = 0;
};

TEST_F(Hostile, RequestsThatOnceKilledTheServerAreAnswered400AndItServesOn) {
  serve(dir_ / "data");
  for (const char* target :
       {"/%FF", "/v1/nothere%FF", "/dashboard/%FF", "/dashboard/%c0%ae%c0%ae/etc/passwd"}) {
    const std::string a =
        talk(port_, std::string("GET ") + target + " HTTP/1.1\r\nConnection: close\r\n\r\n");
    EXPECT_EQ(status_of(a), 400) << target << ": " << a;
    EXPECT_NE(
        body_of(a)["detail"].get<std::string>().find("expected UTF-8 text once percent-decoded"),
        std::string::npos);
    ASSERT_TRUE(alive()) << target;
  }
  EXPECT_EQ(status_of(talk(port_, "DELETE /v1/events%FF HTTP/1.1\r\nConnection: close\r\n\r\n")),
            400);
  // A bad byte in a parameter, a Content-Type, a body: 400 naming it, never 500.
  const std::string auth = "Authorization: Bearer " + kDistrictToken + "\r\n";
  const std::string p =
      talk(port_, "GET /v1/communities?year=%FF HTTP/1.1\r\nConnection: close\r\n" + auth + "\r\n");
  EXPECT_EQ(status_of(p), 400);
  EXPECT_EQ(body_of(p)["parameter"], "year");
  EXPECT_EQ(status_of(talk(port_, post("/v1/events", "application/json\xff", registration("X1")))),
            400);
  const std::string bad_body =
      talk(port_, post("/v1/events", "application/json", "{\"id\":\"\xff\"}"));
  EXPECT_EQ(status_of(bad_body), 200) << bad_body;
  EXPECT_EQ(body_of(bad_body)["results"][0]["code"], "not_utf8");
  ASSERT_TRUE(alive());
}

TEST_F(Hostile, NestingBombsAreRefusedInEveryContentType) {
  serve(dir_ / "data");
  const std::string bomb = std::string(100000, '[') + std::string(100000, ']');
  for (const char* type : {"application/json", "application/cloudevents-batch+json"}) {
    const std::string a = talk(port_, post("/v1/events", type, bomb));
    EXPECT_EQ(status_of(a), 400) << type;
    EXPECT_NE(body_of(a)["detail"].get<std::string>().find("body: expected at most 17 levels"),
              std::string::npos)
        << a;
  }
  // NDJSON answers per line: the bomb is rejected, the good line beside it accepted.
  const std::string a =
      talk(port_, post("/v1/events", "application/x-ndjson", bomb + "\n" + registration("B1")));
  ASSERT_EQ(status_of(a), 200) << a;
  EXPECT_EQ(body_of(a)["results"][0]["code"], "too_deep");
  EXPECT_EQ(body_of(a)["results"][1]["status"], "accepted");
  ASSERT_TRUE(alive());
}

TEST_F(Hostile, MediaTypesAndTheBearerSchemeAreCaseInsensitive) {
  serve(dir_ / "data");
  const std::string a = talk(
      port_, post("/v1/events", "APPLICATION/JSON", registration("C1"), "bearer " + kBureauToken));
  ASSERT_EQ(status_of(a), 200) << a;
  EXPECT_EQ(body_of(a)["results"][0]["status"], "accepted");
  // A POST with no body and no length is answered at once, saying what is missing.
  const auto t0 = std::chrono::steady_clock::now();
  const std::string empty = talk(port_,
                                 "POST /v1/events HTTP/1.1\r\nConnection: close\r\nContent-Type: "
                                 "application/json\r\nAuthorization: Bearer " +
                                     kBureauToken + "\r\n\r\n");
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(2));
  EXPECT_EQ(status_of(empty), 400);
  EXPECT_EQ(body_of(empty)["detail"],
            "body: expected an event or a JSON array of events, got an empty body");
}

TEST_F(Hostile, PublishRefusesBombsLongLinesAndInexactScoresAndGoesOn) {
  const std::string file = dir_ / "hostile.ndjson";
  {
    std::ofstream out(file, std::ios::binary);
    out << registration("P1") << "\n";
    out << R"({"specversion":"1.0","id":"bomb","source":"bureau","type":"jiayuan.inspection","occurred":"2023-03-01","data":)"
        << std::string(100000, '[') << std::string(100000, ']') << "}\n";
    out << std::string(3 << 20, ' ') << "x\n";
    out << R"({"specversion":"1.0","id":"s1","source":"bureau","type":"jiayuan.survey","occurred":"2023-03-01",)"
           R"("data":{"community":"P1","satisfaction":80.0000000000000000000000000001,"respondents":5}})"
        << "\n";
    out << registration("P2") << "\n";
  }
  const auto r = jy(dir_ / "data", {"publish", file});
  EXPECT_EQ(r.signal, 0) << r.err;
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.out.find("published: 2 accepted, 0 already in the log, 3 rejected"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.err.find(":2: rejected: data: expected at most 16 levels"), std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find(":3: rejected: line: expected at most 1 MiB (one event), got 3145729 bytes"),
            std::string::npos)
      << r.err;
  EXPECT_NE(
      r.err.find("data.satisfaction: expected a number 0.00..100.00 with at most two decimals, got "
                 "80.0000000000000000000000000001"),
      std::string::npos)
      << r.err;
  const auto dead = jy(dir_ / "data", {"dead-letter", "list"});
  EXPECT_EQ(std::count(dead.out.begin(), dead.out.end(), '\n'), 3) << dead.out;
}

// ---- a full disk -------------------------------------------------------------------------

// A tmpfs of `mb` megabytes at `dir`, unmounted when this goes; empty() when this machine does
// not let the test mount one (not root, or no CAP_SYS_ADMIN).
class SmallDisk {
 public:
  SmallDisk(const std::string& dir, int mb) : dir_(dir) {
    std::filesystem::create_directories(dir);
    mounted_ = ::mount("tmpfs", dir.c_str(), "tmpfs", 0,
                       ("size=" + std::to_string(mb) + "m").c_str()) == 0;
  }
  ~SmallDisk() {
    if (mounted_) ::umount2(dir_.c_str(), MNT_DETACH);
  }
  bool resize(int mb) {
    return ::mount("tmpfs", dir_.c_str(), "tmpfs", MS_REMOUNT,
                   ("size=" + std::to_string(mb) + "m").c_str()) == 0;
  }
  bool mounted() const { return mounted_; }

 private:
  std::string dir_;
  bool mounted_ = false;
};

TEST_F(Hostile, AFullDiskIsAClearErrorAndPublishingResumesWhenSpaceReturns) {
  // 2 MB above the reserve: the log keeps ~40 bytes a fact (compressed), so 30k facts fill it.
  SmallDisk disk(dir_ / "small", 6);
  if (!disk.mounted())
    GTEST_SKIP() << "cannot mount a tmpfs here (needs root with CAP_SYS_ADMIN): "
                 << std::strerror(errno);
  ::setenv("JIAYUAN_DISK_RESERVE_MB", "4", 1);
  const std::string facts = dir_ / "year.ndjson";
  ASSERT_EQ(jy(dir_ / "gen",
               {"gen", "--communities", "100", "--complaints", "400", "--seed", "3", "-o", facts})
                .exit_code,
            0);
  const std::string data = dir_ / "small/data";
  const auto full = jy(data, {"publish", facts});
  EXPECT_EQ(full.signal, 0) << full.err;
  EXPECT_NE(full.exit_code, 0);
  EXPECT_NE(full.err.find("the disk holding the data directory is full"), std::string::npos)
      << full.err;
  EXPECT_NE(full.err.find("free space there"), std::string::npos) << full.err;
  // Reading goes on on a full disk.
  const auto status = jy(data, {"status"});
  EXPECT_EQ(status.exit_code, 0) << status.err;
  // Space returns: the same publish takes the rest (what was taken is recognised), nothing lost.
  ASSERT_TRUE(disk.resize(256));
  const auto rest = jy(data, {"publish", facts});
  ASSERT_EQ(rest.exit_code, 0) << rest.err;
  ASSERT_EQ(jy(data, {"run"}).exit_code, 0);
  ::unsetenv("JIAYUAN_DISK_RESERVE_MB");
  const std::string reference = dir_ / "reference";
  ASSERT_EQ(jy(reference, {"publish", facts}).exit_code, 0);
  ASSERT_EQ(jy(reference, {"run"}).exit_code, 0);
  EXPECT_EQ(jy(data, {"digest"}).out, jy(reference, {"digest"}).out);
}

TEST_F(Hostile, TheServerAnswers503OnAFullDiskReadsGoOnAndItResumesByItself) {
  SmallDisk disk(dir_ / "small", 32);
  if (!disk.mounted())
    GTEST_SKIP() << "cannot mount a tmpfs here (needs root with CAP_SYS_ADMIN): "
                 << std::strerror(errno);
  ::setenv("JIAYUAN_DISK_RESERVE_MB", "8", 1);
  serve(dir_ / "small/data");
  ::unsetenv("JIAYUAN_DISK_RESERVE_MB");
  ASSERT_EQ(
      body_of(talk(port_, post("/v1/events", "application/json", registration("F1"))))["accepted"],
      1);
  auto visible = [&](const std::string& id) {
    for (int i = 0; i < 100; ++i) {
      if (status_of(talk(port_, "GET /v1/communities/" + id +
                                    " HTTP/1.1\r\nConnection: close\r\nAuthorization: Bearer " +
                                    kDistrictToken + "\r\n\r\n")) == 200) {
        return true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  };
  ASSERT_TRUE(visible("F1"));
  // Something else fills the disk.
  const std::string filler = dir_ / "small/filler";
  {
    std::ofstream out(filler, std::ios::binary);
    const std::string mb(1 << 20, 'x');
    for (int i = 0; i < 64 && out; ++i) out << mb;
  }
  const std::string refused =
      talk(port_, post("/v1/events", "application/json", registration("F2")));
  EXPECT_EQ(status_of(refused), 503) << refused;
  EXPECT_EQ(body_of(refused)["code"], "disk_full");
  EXPECT_NE(refused.find("Retry-After: 60"), std::string::npos);
  const std::string read =
      talk(port_, "GET /v1/communities/F1 HTTP/1.1\r\nConnection: close\r\nAuthorization: Bearer " +
                      kDistrictToken + "\r\n\r\n");
  EXPECT_EQ(status_of(read), 200) << read;
  // Space returns: the same request is taken, and the engine folds it without a restart.
  std::filesystem::remove(filler);
  const std::string taken = talk(port_, post("/v1/events", "application/json", registration("F2")));
  ASSERT_EQ(status_of(taken), 200) << taken;
  EXPECT_EQ(body_of(taken)["accepted"], 1);
  EXPECT_TRUE(visible("F2"));
  stop_server();
}

}  // namespace
}  // namespace jiayuan
