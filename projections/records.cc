#include "projections/records.h"

#include "projections/store.h"

namespace jiayuan {

using nlohmann::json;

namespace {

// A field that is not what the projector writes: which, what was expected, what came.
struct Damage {
  std::string field, expected, came;
};

std::string shown(const json* v) {
  if (v == nullptr) return "nothing (the field is missing)";
  std::string text = v->dump();
  if (text.size() > 40) text = text.substr(0, 37) + "...";
  return std::string(v->type_name()) + " " + text;
}

// The fields of one stored object, read with the damage named.
class Fields {
 public:
  Fields(const json& j, std::string path) : j_(j), path_(std::move(path)) {
    if (!j_.is_object())
      throw Damage{path_.empty() ? "(the value)" : path_, "an object", shown(&j)};
  }

  // Absent or null: nullptr.
  const json* find(const char* key) const {
    const auto it = j_.find(key);
    return it == j_.end() || it->is_null() ? nullptr : &*it;
  }
  std::string text(const char* key) const {
    std::optional<std::string> v = maybe_text(key);
    if (!v) damaged(key, "a string", nullptr);
    return *v;
  }
  std::optional<std::string> maybe_text(const char* key) const {
    const json* v = find(key);
    if (v == nullptr) return std::nullopt;
    if (!v->is_string()) damaged(key, "a string", v);
    return v->get<std::string>();
  }
  int64_t integer(const char* key, int64_t otherwise = 0) const {
    return maybe_integer(key).value_or(otherwise);
  }
  std::optional<int64_t> maybe_integer(const char* key) const {
    const json* v = find(key);
    if (v == nullptr) return std::nullopt;
    if (!v->is_number_integer()) damaged(key, "an integer", v);
    return v->get<int64_t>();
  }
  int32_t count(const char* key) const {
    const int64_t n = integer(key);
    if (n < INT32_MIN || n > INT32_MAX) damaged(key, "a 32-bit count", find(key));
    return static_cast<int32_t>(n);
  }
  Fields object(const char* key) const {
    const json* v = find(key);
    if (v == nullptr) damaged(key, "an object", nullptr);
    return Fields(*v, name(key));
  }
  const json& array(const char* key) const {
    static const json kEmpty = json::array();
    const json* v = find(key);
    if (v == nullptr) return kEmpty;
    if (!v->is_array()) damaged(key, "an array", v);
    return *v;
  }
  const json& raw() const { return j_; }
  std::string name(const char* key) const { return path_.empty() ? key : path_ + "." + key; }

 private:
  [[noreturn]] void damaged(const char* key, const char* expected, const json* came) const {
    throw Damage{name(key), expected, shown(came)};
  }

  const json& j_;
  std::string path_;
};

constexpr std::string_view kRemedy = "`jiayuan rebuild` writes the projections again from the log";

template <class T, class Read>
Result<T> decode(std::string_view family, const json& j, Read&& read) {
  try {
    return read(Fields(j, ""));
  } catch (const Damage& d) {
    return fail("projection_damaged", std::string(family) + ": field " + d.field + ": expected " +
                                          d.expected + ", got " + d.came + "; " +
                                          std::string(kRemedy));
  }
}

template <class T, class Read>
Result<T> decode(std::string_view family, std::string_view bytes, Read&& read) {
  const json j = json::parse(bytes, nullptr, false);
  if (j.is_discarded()) {
    return fail("projection_damaged",
                std::string(family) + ": a stored value is not JSON; " + std::string(kRemedy));
  }
  return decode<T>(family, j, std::forward<Read>(read));
}

Grade grade_named(const Fields& f, const std::string& name) {
  if (name == "unrated") return Grade::kUnrated;
  for (size_t i = 0; i < kGradeNames.size(); ++i) {
    if (kGradeNames[i] == name) return static_cast<Grade>(i);
  }
  throw Damage{f.name("grade"), "a grade (failing, passing, standard, exemplary, unrated)",
               shown(f.find("grade"))};
}

YearSummary summary_of(const Fields& s) {
  YearSummary y;
  y.company = CompanyId(s.maybe_text("company").value_or(""));
  y.manager = ManagerId(s.maybe_text("manager").value_or(""));
  y.households = s.count("households");
  y.spot_checks = s.count("spot_checks");
  y.spot_checks_passed = s.count("spot_checks_passed");
  y.hotline_complaints = s.count("hotline_complaints");
  y.hotline_on_time = s.count("hotline_on_time");
  y.petitions_substantiated = s.count("petitions_substantiated");
  y.media_positive = s.count("media_positive");
  y.media_negative = s.count("media_negative");
  y.credit_points = s.count("credit_points");
  y.waste_inspections = s.count("waste_inspections");
  y.waste_compliant = s.count("waste_compliant");
  return y;
}

CompanyFactCounts counts_of(const Fields& f) {
  return CompanyFactCounts{f.count("media_positive"), f.count("media_negative"),
                           f.count("social_records"), f.count("credit_points")};
}

}  // namespace

Result<CommunityRecord> decode_community(std::string_view bytes) {
  return decode<CommunityRecord>(cf::kProjCommunity, bytes, [](const Fields& f) {
    CommunityRecord c;
    c.community = f.text("community");
    c.name = f.maybe_text("name");
    c.street = f.maybe_text("street");
    c.street_name = f.maybe_text("street_name");
    c.enclosure = f.maybe_text("enclosure");
    c.category = f.maybe_text("category");
    c.fee = f.maybe_text("fee");
    c.households = f.maybe_integer("households");
    c.company = f.maybe_text("company");
    c.manager = f.maybe_text("manager");
    c.manager_name = f.maybe_text("manager_name");
    c.registered_on = f.maybe_text("registered_on");
    return c;
  });
}

Result<RatingRecord> decode_rating(std::string_view bytes) {
  return decode<RatingRecord>(cf::kProjGrade, bytes, [](const Fields& f) {
    RatingRecord r;
    r.community = f.text("community");
    r.year = static_cast<int32_t>(f.integer("year"));
    r.published_on = f.maybe_text("published_on");
    const std::optional<std::string> grade = f.maybe_text("grade");
    if (!grade) return r;  // published, not rated
    r.grade = grade_named(f, *grade);
    r.grade_zh = f.text("grade_zh");
    r.street = f.text("street");
    r.street_name = f.maybe_text("street_name").value_or("");
    r.decided_on = f.text("decided_on");
    const Fields x = f.object("explanation");
    r.tier = x.text("tier");
    if (const std::optional<std::string> score = x.maybe_text("final_score")) {
      r.final_score = Centi::parse(*score);
      if (!r.final_score)
        throw Damage{x.name("final_score"), "a score such as 87.50", shown(x.find("final_score"))};
    }
    r.summary = summary_of(f.object("summary"));
    return r;
  });
}

Result<CaseRecord> decode_case(std::string_view bytes) {
  const json j = json::parse(bytes, nullptr, false);
  if (j.is_discarded()) return fail(parse_stored(cf::kProjCase, bytes).error());
  return decode_case_value(j);
}

Result<CaseRecord> decode_case_value(const json& value) {
  return decode<CaseRecord>(cf::kProjCase, value, [](const Fields& f) {
    CaseRecord c;
    c.community = f.text("community");
    c.year = static_cast<int32_t>(f.integer("year"));
    c.status = f.maybe_text("status").value_or("");
    c.interview_due = f.maybe_text("interview_due");
    c.deadline = f.maybe_text("deadline");
    for (const json& o : f.array("obligations")) {
      const Fields of(o, f.name("obligations[]"));
      c.obligations.push_back(
          {of.text("department"), of.text("due"), of.maybe_text("fulfilled_on")});
    }
    return c;
  });
}

Result<CompanyFactsRecord> decode_company_facts(std::string_view bytes) {
  return decode<CompanyFactsRecord>(cf::kProjCompany, bytes, [](const Fields& f) {
    CompanyFactsRecord c;
    c.total = counts_of(f);
    if (f.find("by_date") == nullptr) {
      c.dated = false;
      return c;
    }
    const Fields days = f.object("by_date");
    for (const auto& [day, n] : days.raw().items())
      c.by_date[day] = counts_of(Fields(n, days.name(day.c_str())));
    return c;
  });
}

Result<CompanyRecord> decode_company(std::string_view bytes) {
  return decode<CompanyRecord>(cf::kProjCompany, bytes, [](const Fields& f) {
    CompanyRecord c;
    c.company = f.text("company");
    c.name = f.maybe_text("name");
    c.credit_code = f.maybe_text("credit_code");
    c.known_from = f.maybe_text("known_from");
    if (c.known_from && c.known_from->empty()) c.known_from.reset();
    return c;
  });
}

Result<GovernanceRecord> decode_governance(std::string_view bytes) {
  return decode<GovernanceRecord>(cf::kProjGovernance, bytes, [](const Fields& f) {
    GovernanceRecord g;
    g.community = f.text("community");
    if (f.find("committee") != nullptr) {
      const Fields c = f.object("committee");
      g.committee = GovernanceRecord::Committee{c.integer("members"), c.integer("party_members"),
                                                c.text("on")};
    }
    g.party_branch_on = f.maybe_text("party_branch_on");
    if (f.find("items") != nullptr) {
      const Fields items = f.object("items");
      for (const auto& [item, dates] : items.raw().items()) {
        if (!dates.is_array()) throw Damage{items.name(item.c_str()), "an array", shown(&dates)};
        std::vector<std::string>& out = g.items[item];
        for (const json& d : dates) {
          if (!d.is_string()) throw Damage{items.name(item.c_str()), "dates", shown(&d)};
          out.push_back(d.get<std::string>());
        }
      }
    }
    return g;
  });
}

Result<WasteRecord> decode_waste(std::string_view bytes) {
  return decode<WasteRecord>(cf::kProjWaste, bytes, [](const Fields& f) {
    return WasteRecord{f.integer("inspections"), f.integer("compliant")};
  });
}

Result<json> parse_stored(std::string_view family, std::string_view bytes) {
  return decode<json>(family, bytes, [](const Fields& f) { return f.raw(); });
}

}  // namespace jiayuan
