// The fixture of the stages' tests (tests/engine/stages_test.cc, stage1_steps_test.cc): the
// shipped configuration, a generated district, and a whole run of the engine over a log.
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "config/config.h"
#include "engine/generator.h"
#include "engine/intake.h"
#include "engine/runner.h"
#include "events/json_codec.h"
#include "projections/store.h"
#include "tests/support/config.h"
#include "tests/support/temp_dir.h"

namespace jiayuan::testing {

class StagesTest : public ::testing::Test {
 protected:
  void SetUp() override { config_ = shipped_config(); }
  std::vector<std::string> demo_lines(int communities = 30) {
    std::vector<std::string> lines;
    GeneratorOptions o;
    o.communities = communities;
    o.seed = 7;
    EXPECT_TRUE(generate_district(o, config_, [&](const std::string& l) { lines.push_back(l); }));
    return lines;
  }
  // The first community registration of generated lines (companies are registered before it).
  static std::string first_registration(const std::vector<std::string>& lines) {
    for (const std::string& l : lines) {
      if (l.find("\"jiayuan.community.registered\"") != std::string::npos) return l;
    }
    return "{}";
  }
  // Submits the events (as JSON) to intake; each must be accepted.
  static void submit_all(Intake& intake, const std::vector<Event>& events) {
    std::vector<IntakeInput> in;
    for (const Event& e : events) in.push_back({encode_event_json(e), "t", std::nullopt});
    auto out = intake.submit(in);
    ASSERT_TRUE(out) << out.error().message;
    for (const IntakeOutcome& o : *out)
      EXPECT_EQ(o.verdict, Verdict::kAccepted) << o.reason.code << ": " << o.reason.message;
  }
  // Publishes lines to a fresh log, runs the engine to idle, returns the projection digest.
  // `stage1_log`: stage 1's own view of the log (RunOptions::stage1_log), as on Kafka.
  std::string run_all(Log& log, const std::vector<std::string>& lines, size_t batch = 1000,
                      Log* stage1_log = nullptr) {
    auto intake = Intake::open(log, config_);
    std::vector<IntakeInput> in;
    for (const auto& l : lines) in.push_back({l, "t", std::nullopt});
    auto out = (*intake)->submit(in);
    EXPECT_TRUE(out);
    store_dirs_.push_back(std::make_unique<TempDir>());
    auto store = Store::open(*store_dirs_.back() / "engine");
    EXPECT_TRUE(store) << store.error().message;
    std::atomic<bool> stop{false};
    RunOptions opts;
    opts.batch_size = batch;
    opts.stage1_log = stage1_log;
    auto summary = run_engine(log, **store, config_, opts, stop);
    EXPECT_TRUE(summary) << summary.error().message;
    last_store_ = std::move(*store);
    return *last_store_->projection_digest();
  }
  Config config_;
  std::vector<std::unique_ptr<TempDir>> store_dirs_;
  std::unique_ptr<Store> last_store_;
};

}  // namespace jiayuan::testing
