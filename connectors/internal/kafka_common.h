// Internal to KafkaLog and KafkaGroupLog (kafka_log.cc, kafka_group_log.cc): librdkafka's errors
// as jiayuan's, partition lists that free themselves, records read back in their storage form.
//
//   JY_CHECK(from_error("committing", rd_kafka_commit_transaction(rk, timeout)));
//   PartitionList list = partition_list(4);
#pragma once

#include <librdkafka/rdkafka.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "engine/log.h"
#include "events/result.h"

namespace jiayuan {

// "kafka": <what>: librdkafka's text for the code.
Error kafka_error(std::string_view what, rd_kafka_resp_err_t err);
// The error object as a Status (and destroys it): codes kafka_txn_abort, kafka_fatal,
// kafka_retriable, else kafka; success for nullptr.
Status from_error(std::string_view what, rd_kafka_error_t* e);

using PartitionList = std::unique_ptr<rd_kafka_topic_partition_list_t,
                                      decltype(&rd_kafka_topic_partition_list_destroy)>;
PartitionList partition_list(int size);

// What jiayuan.events and jiayuan.decisions carry as JSON, read back in the storage form; a
// record `wanted` refuses comes back as a stub without being converted (Log::read's contract).
// `where`: the cluster and physical topic, for the records this process produced.
std::vector<LogEntry> in_storage_form(std::string_view topic, const std::string& where,
                                      std::vector<LogEntry> entries, TypeFilter wanted);

}  // namespace jiayuan
