// The shipped configuration (config/) for tests: loaded once per test process, copied into each
// fixture (a test may change its copy). A process that cannot load it stops with the reason:
// every test in it would fail the same way.
//
//   config_ = testing::shipped_config();
#pragma once

#include <cstdio>
#include <cstdlib>

#include "config/config.h"

namespace jiayuan::testing {

inline const Config& shipped_config() {
  static const Config config = [] {
    auto c = load_config(JIAYUAN_TEST_CONFIG_DIR);
    if (!c) {
      std::fprintf(stderr, "the shipped configuration %s does not load: %s\n",
                   JIAYUAN_TEST_CONFIG_DIR, c.error().message.c_str());
      std::abort();
    }
    return std::move(*c);
  }();
  return config;
}

}  // namespace jiayuan::testing
