#include "engine/waiting.h"

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>

#include "engine/intake.h"
#include "projections/projector.h"
#include "projections/records.h"

namespace jiayuan {
namespace {

constexpr char kOpen = 'w';
constexpr char kReported = 'r';
constexpr size_t kDate = 10;  // "YYYY-MM-DD"

}  // namespace

std::string waiting_key(std::string_view community, std::string_view source, std::string_view id) {
  std::string k(community);
  k += '\0';
  k += source;
  k += '\0';
  k += id;
  return k;
}

std::optional<WaitingKey> split_waiting_key(std::string_view key) {
  const size_t a = key.find('\0');
  const size_t b = a == std::string_view::npos ? a : key.find('\0', a + 1);
  if (b == std::string_view::npos) return std::nullopt;
  return WaitingKey{key.substr(0, a), key.substr(a + 1, b - a - 1), key.substr(b + 1)};
}

// A byte for `reported`, the date, accepted_at '\0' position '\0', then the stored form (which
// begins "JE", as the earlier layout's whole value did).
std::string encode_waiting_entry(const WaitingEntry& e) {
  std::string v(1, e.reported ? kReported : kOpen);
  v += e.on.to_string();
  v += e.accepted_at;
  v += '\0';
  v += e.position;
  v += '\0';
  v += e.stored;
  return v;
}

Result<std::optional<WaitingEntry>> decode_waiting_entry(std::string_view v) {
  if (v.starts_with("JE")) return std::optional<WaitingEntry>();
  const size_t a = v.find('\0', 1 + kDate);
  const size_t b = a == std::string_view::npos ? a : v.find('\0', a + 1);
  const std::optional<Date> on = v.size() > kDate ? Date::parse(v.substr(1, kDate)) : std::nullopt;
  if (b == std::string_view::npos || !on || (v[0] != kOpen && v[0] != kReported))
    return fail("bad_binary", "corrupt waiting fact (neither layout stage 1 writes)");
  return std::optional<WaitingEntry>(
      WaitingEntry{v[0] == kReported, *on, std::string(v.substr(1 + kDate, a - 1 - kDate)),
                   std::string(v.substr(a + 1, b - a - 1)), std::string(v.substr(b + 1))});
}

Status list_waiting_communities(const Store& store,
                                const std::function<void(nlohmann::json)>& each) {
  Status bad;
  JY_CHECK(store.scan(cf::kWaitingFacts, "", [&](std::string_view k, std::string_view v) {
    const std::optional<WaitingKey> key = split_waiting_key(k);
    auto e = decode_waiting_entry(v);
    if (!key || !e) {
      bad = fail("bad_binary", "corrupt waiting fact " + nlohmann::json(std::string(k)).dump());
      return false;
    }
    if (!*e) return true;  // earlier layout: listed below
    const std::string community(key->community);
    each(nlohmann::json{
        {"accepted_at", (*e)->accepted_at},
        {"community", community},
        {"id", key->id},
        {"occurred", (*e)->on.to_string()},
        {"position", (*e)->position},
        {"reason", (*e)->reported ? "dated before the community's registration"
                                  : "waiting for the registration of community " + community},
        {"source", key->source},
        {"status", (*e)->reported ? "rejected" : "waiting"}});
    return true;
  }));
  JY_CHECK(bad);
  return store.scan(cf::kWaiting, "", [&](std::string_view, std::string_view v) {
    nlohmann::json w = nlohmann::json::parse(v, nullptr, false);
    if (!w.is_discarded()) each(std::move(w));
    return true;
  });
}

Result<std::vector<nlohmann::json>> waiting_facts(const Store& store, int64_t now_ms) {
  std::vector<nlohmann::json> out;
  auto add = [&](nlohmann::json w) {
    const auto at = parse_instant_ms(w.value("accepted_at", ""));
    w["age_seconds"] =
        at ? nlohmann::json(std::max<int64_t>(0, (now_ms - *at) / 1000)) : nlohmann::json();
    out.push_back(std::move(w));
  };
  JY_CHECK(list_waiting_communities(store, add));
  // Company facts: each is listed while its company is unknown (waiting), and as rejected when
  // the company's earliest registration or contract is dated after it (it never counts); judged
  // here from the registry as it stands, so the listing does not depend on arrival order.
  std::map<std::string, std::optional<std::string>, std::less<>> known_from;  // company -> date
  auto known = [&](const std::string& company) -> Result<std::optional<std::string>> {
    if (auto it = known_from.find(company); it != known_from.end()) return it->second;
    JY_TRY(std::optional<std::string> registry,
           store.get(cf::kProjCompany, company_registry_key(company)));
    std::optional<std::string> from;
    if (registry) {
      JY_TRY(const CompanyRecord r, decode_company(*registry));
      from = r.known_from;
    }
    return known_from[company] = from;
  };
  Status failed;
  JY_CHECK(store.scan(cf::kCompanyFacts, "", [&](std::string_view, std::string_view v) {
    nlohmann::json w = nlohmann::json::parse(v, nullptr, false);
    if (w.is_discarded() || !w.is_object()) return true;
    const std::string company = w.value("company", "");
    auto from = known(company);
    if (!from) {
      failed = fail(from.error());
      return false;
    }
    if (!*from) {
      w["status"] = "waiting";
      w["reason"] = "waiting for the registration of company " + company;
    } else if (w.value("occurred", "") < **from) {
      w["status"] = "rejected";
      w["reason"] = "dated before the company's registration or first contract (company " +
                    company + " is known from " + **from + ")";
    } else {
      return true;  // it counts: not listed
    }
    add(std::move(w));
    return true;
  }));
  JY_CHECK(failed);
  return out;
}

}  // namespace jiayuan
