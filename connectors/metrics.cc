#include "connectors/metrics.h"

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

namespace jiayuan {

namespace {

prometheus::Histogram::BucketBoundaries latency_buckets() {
  return {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

}  // namespace

Metrics::Metrics(const std::string& version, const std::string& rule_sets)
    : registry_(std::make_shared<prometheus::Registry>()) {
  facts_ = &prometheus::BuildCounter()
                .Name("jiayuan_facts_total")
                .Help("Facts offered to intake, by outcome")
                .Register(*registry_);
  rejected_ =
      &prometheus::BuildCounter()
           .Name("jiayuan_facts_rejected_total")
           .Help("Rejected facts by stage and reason code (each also in the dead-letter log)")
           .Register(*registry_);
  folded_ = &prometheus::BuildCounter()
                 .Name("jiayuan_facts_folded_total")
                 .Help("Facts stage 1 folded into community workflows")
                 .Register(*registry_)
                 .Add({});
  decisions_ = &prometheus::BuildCounter()
                    .Name("jiayuan_decisions_total")
                    .Help("Decisions taken, by kind")
                    .Register(*registry_);
  lag_ = &prometheus::BuildGauge()
              .Name("jiayuan_lag_records")
              .Help("Records of a partition not yet folded by its consumer")
              .Register(*registry_);
  waiting_ = &prometheus::BuildGauge()
                  .Name("jiayuan_facts_waiting")
                  .Help(
                      "Facts accepted but waiting for the registration of the community or company "
                      "they name")
                  .Register(*registry_)
                  .Add({});
  step_ = &prometheus::BuildHistogram()
               .Name("jiayuan_step_duration_seconds")
               .Help("Duration of one round of the stages (intake, fold, relay, project)")
               .Register(*registry_)
               .Add({}, latency_buckets());
  requests_ = &prometheus::BuildHistogram()
                   .Name("jiayuan_http_request_duration_seconds")
                   .Help("HTTP requests by route, method and status code")
                   .Register(*registry_);
  prometheus::BuildGauge()
      .Name("jiayuan_build_info")
      .Help("The build and the rule sets loaded; always 1")
      .Register(*registry_)
      .Add({{"version", version}, {"rule_sets", rule_sets}})
      .Set(1);
}

Metrics::~Metrics() = default;

void Metrics::intake_outcome(const std::string& outcome, const std::string& code, size_t n) {
  facts_->Add({{"outcome", outcome}}).Increment(static_cast<double>(n));
  if (outcome == "rejected") {
    rejected_->Add({{"stage", "intake"}, {"code", code.empty() ? "unknown" : code}})
        .Increment(static_cast<double>(n));
  }
}

void Metrics::stage_rejected(const std::string& code, size_t n) {
  rejected_->Add({{"stage", "stage1"}, {"code", code}}).Increment(static_cast<double>(n));
}

void Metrics::folded(size_t facts) { folded_->Increment(static_cast<double>(facts)); }

void Metrics::decision(const std::string& kind, size_t n) {
  decisions_->Add({{"kind", kind}}).Increment(static_cast<double>(n));
}

void Metrics::lag(const std::string& topic, int32_t partition, int64_t records) {
  lag_->Add({{"topic", topic}, {"partition", std::to_string(partition)}})
      .Set(static_cast<double>(records));
}

void Metrics::step_seconds(double seconds) { step_->Observe(seconds); }

void Metrics::waiting(size_t facts) { waiting_->Set(static_cast<double>(facts)); }

void Metrics::request(const std::string& route, const std::string& method, int status,
                      double seconds) {
  requests_
      ->Add({{"route", route}, {"method", method}, {"code", std::to_string(status)}},
            latency_buckets())
      .Observe(seconds);
}

std::string Metrics::render() const {
  std::lock_guard lock(mu_);
  return prometheus::TextSerializer().Serialize(registry_->Collect());
}

}  // namespace jiayuan
