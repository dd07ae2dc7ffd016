// Metrics in the Prometheus text format, through prometheus-cpp (Debian's prometheus-cpp-dev).
// One `jiayuan_` prefix, base units (seconds, records), `_total` counters:
//
//   jiayuan_facts_total{outcome}                 facts offered to intake:
//   accepted|duplicate|rejected jiayuan_facts_rejected_total{stage,code}     rejected facts by
//   reason code (intake, stage1) jiayuan_facts_folded_total                   facts stage 1 folded
//   jiayuan_decisions_total{kind}                decisions taken, by kind (community.rated,
//   case.opened, ...) jiayuan_lag_records{topic,partition}         records not yet folded, per
//   partition jiayuan_step_duration_seconds                one round of the stages (histogram)
//   jiayuan_http_request_duration_seconds{route,method,code}   (histogram)
//   jiayuan_facts_waiting                        facts waiting for their community's registration
//   jiayuan_build_info{version,rule_sets}        1
//
//   Metrics m("0.1.0", "songjiang-2022-134");
//   m.intake_outcome("accepted");
//   std::string text = m.render();
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace prometheus {
class Registry;
class Histogram;
class Counter;
class Gauge;
template <typename T>
class Family;
}  // namespace prometheus

namespace jiayuan {

class Metrics {
 public:
  Metrics(const std::string& version, const std::string& rule_sets);
  ~Metrics();

  void intake_outcome(const std::string& outcome, const std::string& code = "", size_t n = 1);
  void stage_rejected(const std::string& code, size_t n = 1);
  void folded(size_t facts);
  void decision(const std::string& kind, size_t n = 1);
  void lag(const std::string& topic, int32_t partition, int64_t records);
  void step_seconds(double seconds);
  void waiting(size_t facts);  // jiayuan_facts_waiting
  void request(const std::string& route, const std::string& method, int status, double seconds);

  // The text exposition format (version 0.0.4).
  std::string render() const;

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>* facts_;
  prometheus::Family<prometheus::Counter>* rejected_;
  prometheus::Counter* folded_;
  prometheus::Family<prometheus::Counter>* decisions_;
  prometheus::Family<prometheus::Gauge>* lag_;
  prometheus::Histogram* step_;
  prometheus::Gauge* waiting_;
  prometheus::Family<prometheus::Histogram>* requests_;
  mutable std::mutex mu_;  // families' Add is thread-safe; this guards nothing else but render
};

}  // namespace jiayuan
