// The HTTP server's threads: one I/O thread (epoll) reads and writes every connection and keeps
// its deadlines; a bounded pool of workers runs handlers on complete requests only. A client
// that trickles its headers, never finishes its body or never reads its answer holds nothing
// but its own socket, and loses it at the deadline.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <spdlog/spdlog.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <unordered_map>

#include "connectors/http_server.h"
#include "connectors/internal/http_wire.h"

namespace jiayuan {

class HttpServer::Loop {
 public:
  Loop(const HttpServer& server, int listen_fd)
      : server_(server), limits_(server.limits()), listen_fd_(listen_fd) {}
  ~Loop() { stop(); }

  Status start() {
    epoll_ = epoll_create1(EPOLL_CLOEXEC);
    wake_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (epoll_ < 0 || wake_ < 0)
      return fail("io", std::string("cannot start the HTTP server: ") + std::strerror(errno));
    watch(listen_fd_, EPOLLIN, EPOLL_CTL_ADD);
    watch(wake_, EPOLLIN, EPOLL_CTL_ADD);
    io_ = std::thread([this] { run(); });
    for (size_t i = 0; i < std::max<size_t>(1, limits_.workers); ++i)
      workers_.emplace_back([this] { work(); });
    return {};
  }

  void stop() {
    if (stopping_.exchange(true)) return;
    wake();
    {
      std::lock_guard lock(jobs_mu_);
      jobs_.clear();
    }
    jobs_cv_.notify_all();
    if (io_.joinable()) io_.join();
    for (std::thread& t : workers_) t.join();
    workers_.clear();
    for (auto& [fd, c] : conns_) ::close(fd);
    conns_.clear();
    if (listen_fd_ >= 0) ::close(listen_fd_);
    if (wake_ >= 0) ::close(wake_);
    if (epoll_ >= 0) ::close(epoll_);
    listen_fd_ = wake_ = epoll_ = -1;
  }

 private:
  using Clock = std::chrono::steady_clock;
  // What a connection is doing, and so which deadline runs.
  enum class Phase { kIdle, kHead, kBody, kBusy, kWrite, kDrain };
  struct Conn {
    Conn(uint64_t i, int f, const HttpLimits& l) : id(i), fd(f), parser(l) {}
    uint64_t id;
    int fd;
    std::string in, out;
    size_t sent = 0;
    internal::RequestParser parser;
    Phase phase = Phase::kIdle;
    Clock::time_point deadline;
    bool close_after = false;
    bool peer_closed = false;  // the client sent EOF: close once the answer is out
  };
  struct Job {
    uint64_t conn = 0;
    int fd = -1;
    internal::WireRequest wire;
  };
  struct Done {
    uint64_t conn = 0;
    int fd = -1;
    std::string bytes;
    bool keep_alive = false;
  };

  void watch(int fd, uint32_t events, int op) {
    epoll_event ev{};
    ev.events = events;
    ev.data.fd = fd;
    epoll_ctl(epoll_, op, fd, &ev);
  }
  void wake() {
    const uint64_t one = 1;
    if (wake_ >= 0) (void)!::write(wake_, &one, sizeof one);
  }

  void run() {
    std::vector<epoll_event> events(256);
    auto last_sweep = Clock::now();
    while (!stopping_.load()) {
      const int n = epoll_wait(epoll_, events.data(), static_cast<int>(events.size()), 100);
      for (int i = 0; i < n; ++i) {
        const int fd = events[static_cast<size_t>(i)].data.fd;
        const uint32_t what = events[static_cast<size_t>(i)].events;
        if (fd == listen_fd_) {
          accept_all();
        } else if (fd == wake_) {
          uint64_t count = 0;
          (void)!::read(wake_, &count, sizeof count);
          finish_done();
        } else if (auto it = conns_.find(fd); it != conns_.end()) {
          Conn& c = *it->second;
          if ((what & (EPOLLERR | EPOLLHUP)) != 0 && c.phase != Phase::kIdle &&
              c.phase != Phase::kHead && c.phase != Phase::kBody && c.phase != Phase::kDrain) {
            close_conn(c);
            continue;
          }
          if ((what & EPOLLOUT) != 0 && c.phase == Phase::kWrite) write_some(c);
          if (conns_.contains(fd) && (what & (EPOLLIN | EPOLLHUP | EPOLLERR)) != 0)
            read_some(*conns_.at(fd));
        }
      }
      if (Clock::now() - last_sweep > std::chrono::milliseconds(50)) {
        last_sweep = Clock::now();
        sweep();
      }
    }
  }

  void accept_all() {
    for (;;) {
      sockaddr_storage addr{};
      socklen_t len = sizeof addr;
      const int fd = accept4(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len,
                             SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) {
        if (errno == EINTR) continue;
        if (errno == EMFILE || errno == ENFILE)
          spdlog::warn("http: cannot accept: {}", std::strerror(errno));
        return;
      }
      const int one = 1;
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      if (conns_.size() >= limits_.max_connections) {
        HttpResponse res;
        problem(res, 503,
                "too many connections (" + std::to_string(limits_.max_connections) +
                    "); retry shortly");
        res.set_header("Retry-After", "1");
        const std::string bytes = serialize_response(res, false, false);
        (void)!::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
        ::close(fd);
        continue;
      }
      auto c = std::make_unique<Conn>(++next_id_, fd, limits_);
      c->deadline = Clock::now() + limits_.idle_timeout;
      watch(fd, EPOLLIN, EPOLL_CTL_ADD);
      conns_.emplace(fd, std::move(c));
    }
  }

  void read_some(Conn& c) {
    if (c.phase == Phase::kBusy || c.phase == Phase::kWrite) return;
    char buf[65536];
    bool closed = false;
    // At most 1 MB a turn, so one fast client cannot keep the loop from the others.
    for (size_t turn = 0; turn < 16; ++turn) {
      const ssize_t n = ::recv(c.fd, buf, sizeof buf, 0);
      if (n > 0) {
        if (c.phase != Phase::kDrain)
          c.in.append(buf, static_cast<size_t>(n));  // draining: discarded
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
      closed = true;  // the client closed its side (n == 0), or the connection failed
      break;
    }
    if (c.phase == Phase::kDrain) {
      if (closed) close_conn(c);
      return;
    }
    if (!c.in.empty()) process(c);
    if (!closed) return;
    // Nothing more will come: a request being answered is answered, then the socket closes.
    auto it = conns_.find(c.fd);
    if (it == conns_.end() || it->second.get() != &c) return;
    if (c.phase == Phase::kBusy || c.phase == Phase::kWrite) {
      c.close_after = true;
      c.peer_closed = true;
    } else {
      close_conn(c);
    }
  }

  // Parses what has come; hands a complete request to a worker, or answers an error.
  void process(Conn& c) {
    const auto state = c.parser.feed(c.in);
    if (c.parser.take_expect_continue()) {
      static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
      (void)!::send(c.fd, kContinue.data(), kContinue.size(), MSG_NOSIGNAL);
    }
    if (state == internal::RequestParser::kError) {
      HttpResponse res;
      problem(res, c.parser.error_status(), c.parser.error_detail());
      respond(c, serialize_response(res, false, false), false);
      return;
    }
    if (state == internal::RequestParser::kNeedMore) {
      const Phase now = c.parser.reading_body() ? Phase::kBody
                        : c.parser.started()    ? Phase::kHead
                                                : Phase::kIdle;
      if (now != c.phase) {
        c.phase = now;
        c.deadline = Clock::now() + (now == Phase::kBody   ? limits_.body_timeout
                                     : now == Phase::kHead ? limits_.header_timeout
                                                           : limits_.idle_timeout);
      }
      return;
    }
    Job job{c.id, c.fd, c.parser.take()};
    {
      std::lock_guard lock(jobs_mu_);
      if (jobs_.size() >= limits_.max_queued) {
        HttpResponse res;
        problem(res, 503,
                "the server is busy (" + std::to_string(jobs_.size()) +
                    " requests waiting); retry shortly");
        res.set_header("Retry-After", "1");
        respond(c, serialize_response(res, false, false), false);
        return;
      }
      jobs_.push_back(std::move(job));
    }
    jobs_cv_.notify_one();
    c.phase = Phase::kBusy;
    watch(c.fd, 0, EPOLL_CTL_MOD);  // nothing more is read until the answer is written
  }

  void work() {
    for (;;) {
      Job job;
      {
        std::unique_lock lock(jobs_mu_);
        jobs_cv_.wait(lock, [&] { return stopping_.load() || !jobs_.empty(); });
        if (stopping_.load()) return;
        job = std::move(jobs_.front());
        jobs_.pop_front();
      }
      const bool keep_alive = job.wire.keep_alive;
      HttpRequest req;
      HttpResponse res;
      if (internal::decode_request(std::move(job.wire), limits_, req, res))
        server_.dispatch(req, res);
      Done done{job.conn, job.fd, serialize_response(res, keep_alive, req.method == "HEAD"),
                keep_alive};
      {
        std::lock_guard lock(done_mu_);
        done_.push_back(std::move(done));
      }
      wake();
    }
  }

  void finish_done() {
    std::vector<Done> done;
    {
      std::lock_guard lock(done_mu_);
      done.swap(done_);
    }
    for (Done& d : done) {
      auto it = conns_.find(d.fd);
      if (it == conns_.end() || it->second->id != d.conn) continue;  // the client went away
      respond(*it->second, std::move(d.bytes), d.keep_alive);
    }
  }

  void respond(Conn& c, std::string bytes, bool keep_alive) {
    c.out = std::move(bytes);
    c.sent = 0;
    c.close_after = !keep_alive || c.peer_closed;
    c.phase = Phase::kWrite;
    c.deadline = Clock::now() + limits_.write_timeout;
    write_some(c);
  }

  void write_some(Conn& c) {
    while (c.sent < c.out.size()) {
      const ssize_t n = ::send(c.fd, c.out.data() + c.sent, c.out.size() - c.sent, MSG_NOSIGNAL);
      if (n > 0) {
        c.sent += static_cast<size_t>(n);
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        watch(c.fd, EPOLLOUT, EPOLL_CTL_MOD);
        return;
      }
      close_conn(c);
      return;
    }
    c.out.clear();
    if (c.close_after) {
      // Let the client read the answer before the socket goes: stop writing, discard what it
      // still sends for a moment, then close (closing with unread bytes would reset it).
      ::shutdown(c.fd, SHUT_WR);
      c.phase = Phase::kDrain;
      c.deadline = Clock::now() + std::chrono::milliseconds(1000);
      watch(c.fd, EPOLLIN, EPOLL_CTL_MOD);
      return;
    }
    c.phase = Phase::kIdle;
    c.deadline = Clock::now() + limits_.idle_timeout;
    watch(c.fd, EPOLLIN, EPOLL_CTL_MOD);
    if (!c.in.empty()) process(c);  // a pipelined request
  }

  // Closes the connections whose deadline has passed; a request too slow to come gets a 408.
  void sweep() {
    const auto now = Clock::now();
    std::vector<Conn*> late;
    for (auto& [fd, c] : conns_) {
      if (c->phase != Phase::kBusy && c->deadline <= now) late.push_back(c.get());
    }
    for (Conn* c : late) {
      if (c->phase == Phase::kHead || c->phase == Phase::kBody) {
        HttpResponse res;
        problem(
            res, 408,
            std::string(c->phase == Phase::kHead ? "the request's headers" : "the request's body") +
                " did not come in time (" +
                std::to_string(
                    (c->phase == Phase::kHead ? limits_.header_timeout : limits_.body_timeout)
                        .count()) +
                " ms)");
        c->in.clear();
        respond(*c, serialize_response(res, false, false), false);
      } else {
        close_conn(*c);
      }
    }
  }

  void close_conn(Conn& c) {
    const int fd = c.fd;
    epoll_ctl(epoll_, EPOLL_CTL_DEL, fd, nullptr);
    ::close(fd);
    conns_.erase(fd);  // destroys c
  }

  const HttpServer& server_;
  const HttpLimits limits_;
  int listen_fd_ = -1;
  int epoll_ = -1;
  int wake_ = -1;
  std::atomic<bool> stopping_{false};
  std::thread io_;
  std::vector<std::thread> workers_;
  std::unordered_map<int, std::unique_ptr<Conn>> conns_;  // by fd; the I/O thread's alone
  uint64_t next_id_ = 0;
  std::mutex jobs_mu_;
  std::condition_variable jobs_cv_;
  std::deque<Job> jobs_;
  std::mutex done_mu_;
  std::vector<Done> done_;
};

HttpServer::HttpServer(std::map<std::string, Principal> tokens, HttpLimits limits)
    : limits_(limits) {
  set_tokens(std::move(tokens));
}

void HttpServer::set_tokens(std::map<std::string, Principal> tokens) {
  std::lock_guard lock(tokens_mu_);
  token_sets_.push_back(std::make_unique<const Tokens>(std::move(tokens)));
  tokens_.store(token_sets_.back().get());
}

HttpServer::~HttpServer() { stop(); }

Status HttpServer::start(const std::string& host, int port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const std::string service = std::to_string(port);
  const std::string where = host + ":" + service;
  if (getaddrinfo(host.empty() ? nullptr : host.c_str(), service.c_str(), &hints, &found) != 0 ||
      found == nullptr) {
    return fail("io", where + ": cannot listen (not an address of this machine)");
  }
  int fd = -1;
  for (addrinfo* a = found; a != nullptr && fd < 0; a = a->ai_next) {
    fd = ::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) continue;
    const int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (::bind(fd, a->ai_addr, a->ai_addrlen) != 0 || ::listen(fd, 1024) != 0) {
      ::close(fd);
      fd = -1;
    }
  }
  freeaddrinfo(found);
  if (fd < 0)
    return fail("io", where + ": cannot listen (in use, or not an address of this machine)");
  sockaddr_storage bound{};
  socklen_t len = sizeof bound;
  getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &len);
  port_ = ntohs(bound.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                                            : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  loop_ = std::make_unique<Loop>(*this, fd);
  return loop_->start();
}

void HttpServer::stop() {
  if (loop_) loop_->stop();
  loop_.reset();
}

}  // namespace jiayuan
