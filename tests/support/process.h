// Runs the real `jiayuan` binary for end-to-end tests.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace jiayuan::testing {

struct ProcessResult {
  int exit_code = -1;  // when exited
  int signal = 0;      // when killed by a signal
  std::string out;
  std::string err;
};

inline std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream os;
  os << in.rdbuf();
  return os.str();
}

// Starts `binary args...` with stdout/stderr to the given files; returns its pid.
inline pid_t spawn(const std::string& binary, const std::vector<std::string>& args,
                   const std::string& out_path, const std::string& err_path) {
  pid_t pid = fork();
  if (pid == 0) {
    int out = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int err = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(out, 1);
    dup2(err, 2);
    std::vector<char*> argv;
    argv.push_back(const_cast<char*>(binary.c_str()));
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(binary.c_str(), argv.data());
    _exit(127);
  }
  return pid;
}

inline ProcessResult wait_for(pid_t pid, const std::string& out_path, const std::string& err_path) {
  int status = 0;
  waitpid(pid, &status, 0);
  ProcessResult r;
  if (WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) r.signal = WTERMSIG(status);
  r.out = slurp(out_path);
  r.err = slurp(err_path);
  return r;
}

// True once the child has exited (it is a zombie until wait_for reaps it), without reaping it.
inline bool exited(pid_t pid) {
  siginfo_t info{};
  return waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
         info.si_pid == pid;
}

// The port a `jiayuan run --http 127.0.0.1:0` prints on its stdout ("listening on
// http://127.0.0.1:PORT"), waiting up to 20 s for it; 0 if it never does.
inline int wait_for_port(const std::string& out_path) {
  const std::string banner = "listening on http://127.0.0.1:";
  for (int i = 0; i < 400; ++i) {
    const std::string out = slurp(out_path);
    const size_t at = out.find(banner);
    if (at != std::string::npos && out.find('\n', at) != std::string::npos)
      return std::stoi(out.substr(at + banner.size()));
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return 0;
}

inline ProcessResult run(const std::string& binary, const std::vector<std::string>& args,
                         const std::string& scratch) {
  const std::string out = scratch + "/stdout", err = scratch + "/stderr";
  return wait_for(spawn(binary, args, out, err), out, err);
}

}  // namespace jiayuan::testing
