#include "engine/generator.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <memory>
#include <queue>
#include <set>
#include <vector>

#include "events/json_codec.h"

namespace jiayuan {
namespace {

constexpr int64_t QUALITY_BASE = 71, QUALITY_RANGE = 19, QUALITY_SPREAD = 5;

// splitmix64: small, fast, identical everywhere.
class Rng {
 public:
  explicit Rng(uint64_t seed) : s_(seed) {}
  uint64_t next() {
    uint64_t z = (s_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  // Uniform in [lo, hi].
  int64_t between(int64_t lo, int64_t hi) {
    return lo + static_cast<int64_t>(next() % static_cast<uint64_t>(hi - lo + 1));
  }
  bool chance(int percent) { return between(1, 100) <= percent; }

 private:
  uint64_t s_;
};

// Names are drawn without repeats: a district does not have two communities (or companies, or
// managers) of one name. The i-th name's parts, each from its own list.
constexpr std::array<const char*, 24> kNameHeads = {"锦", "华", "翠", "嘉", "明", "泰", "云", "龙",
                                                    "绿", "松", "新", "佳", "金", "银", "春", "秋",
                                                    "玉", "诚", "和", "福", "瑞", "祥", "康", "乐"};
constexpr std::array<const char*, 16> kNameMids = {"江", "苑", "城", "湖", "庭", "景", "林", "河",
                                                   "辰", "安", "泽", "晖", "桥", "亭", "枫", "荷"};
constexpr std::array<const char*, 10> kNameTails = {"苑",   "园",   "小区", "花园", "新村",
                                                    "公寓", "家园", "名邸", "雅居", "佳苑"};
// Part j of the i-th combination of lists of sizes n[0], n[1], ...: x0 = i mod n0, and each
// further part turns with i too (xj = (i / (n0…nj-1) + mj * i) mod nj), so neighbours differ in
// every part. Distinct for i below the product: mj is chosen so that 1 + mj * n0…nj-1 is coprime
// with nj.
template <size_t K>
std::array<size_t, K> name_parts(size_t i, const std::array<size_t, K>& n) {
  auto gcd = [](size_t a, size_t b) {
    while (b != 0) {
      const size_t t = a % b;
      a = b;
      b = t;
    }
    return a;
  };
  std::array<size_t, K> out{};
  size_t below = 1;
  for (size_t j = 0; j < K; ++j) {
    size_t m = j == 0 ? 0 : 3;
    while (j > 0 && (gcd(1 + m * below, n[j]) != 1 || m % n[j] == 0)) ++m;  // and it turns
    out[j] = (i / below + m * i) % n[j];
    below *= n[j];
  }
  return out;
}
constexpr std::array<int64_t, 9> kFees = {120, 150, 180, 200, 230, 250, 280, 320, 450};
// Category shares (%): commodity, mixed, relocation, affordable, scattered public.
constexpr std::array<int, 5> kCategoryShare = {45, 10, 25, 10, 10};

struct Pending {
  Date date;
  std::string community;
  int seq;
  Event event;
};

Centi score_near(Rng& rng, int64_t quality) {
  const int64_t v = std::clamp<int64_t>(quality * 10 + rng.between(-60, 60), 0, 1000);
  return Centi{v * 10};  // one decimal
}

Envelope envelope(std::string id, std::string source, Date date) {
  Envelope e;
  e.id = std::move(id);
  e.source = std::move(source);
  e.occurred = date;
  e.time = date.to_string() + "T09:00:00+08:00";
  return e;
}

}  // namespace

namespace {

class SyntheticDistrict {
 public:
  SyntheticDistrict(const GeneratorOptions& o, const YearWindow& w,
                    std::vector<std::string> streets)
      : o_(o), w_(w), streets_(std::move(streets)), rng_(o.seed) {}

  // Emits every fact in log order. Facts pile up in memory until `spill_after` of them, then go
  // sorted to an anonymous temporary file (a run); the runs are merged at the end on the same key
  // (date, community, sequence), so the output is the same whatever the spill size.
  Status build(const std::function<void(const std::string&)>& emit) {
    companies_ = o_.companies > 0 ? o_.companies : std::max(12, o_.communities / 6);
    const size_t spill_after = o_.spill_after > 0 ? o_.spill_after : 250000;
    for (int32_t c = 1; c <= o_.communities; ++c) {
      community(c);
      if (out_.size() >= spill_after) {
        if (auto s = spill(); !s) return s;
      }
    }
    for (int64_t k : contracted_) company_facts(k);
    sort_pending();
    if (runs_.empty()) {
      for (const Pending& p : out_) emit(encode_event_json(p.event));
      return {};
    }
    if (auto s = spill(); !s) return s;
    return merge(emit);
  }

 private:
  struct FileCloser {
    void operator()(std::FILE* f) const { std::fclose(f); }
  };
  using Run = std::unique_ptr<std::FILE, FileCloser>;

  // One line of a run: "<date> <key> <seq> <json>"; a date and a key have no spaces, JSON has no
  // raw newline.
  struct RunHead {
    Date date;
    std::string community;
    int seq = 0;
    std::string json;
    size_t run = 0;
  };
  static bool later(const RunHead& a, const RunHead& b) {
    if (a.date != b.date) return b.date < a.date;
    if (a.community != b.community) return b.community < a.community;
    return b.seq < a.seq;
  }

  void sort_pending() {
    std::stable_sort(out_.begin(), out_.end(), [](const Pending& a, const Pending& b) {
      if (a.date != b.date) return a.date < b.date;
      if (a.community != b.community) return a.community < b.community;
      return a.seq < b.seq;
    });
  }

  Status spill() {
    sort_pending();
    Run f(std::tmpfile());
    if (!f) return fail("io", "generator: cannot create a temporary file to spill facts to");
    for (const Pending& p : out_) {
      const std::string line = p.date.to_string() + ' ' + p.community + ' ' +
                               std::to_string(p.seq) + ' ' + encode_event_json(p.event) + '\n';
      if (std::fwrite(line.data(), 1, line.size(), f.get()) != line.size()) {
        return fail("io", "generator: writing spilled facts to a temporary file failed");
      }
    }
    if (std::fflush(f.get()) != 0 || std::fseek(f.get(), 0, SEEK_SET) != 0) {
      return fail("io", "generator: rewinding a temporary file failed");
    }
    runs_.push_back(std::move(f));
    out_.clear();
    return {};
  }

  // Reads the next line of run `r` into `head`; false at its end.
  bool next_line(size_t r, RunHead& head) {
    std::string line;
    for (int ch = 0; (ch = std::fgetc(runs_[r].get())) != EOF && ch != '\n';)
      line.push_back(static_cast<char>(ch));
    if (line.empty()) return false;
    const size_t a = line.find(' ');
    const size_t b = line.find(' ', a + 1);
    const size_t c = line.find(' ', b + 1);
    auto date = Date::parse(std::string_view(line).substr(0, a));
    head.date = date ? *date : Date{};
    head.community = line.substr(a + 1, b - a - 1);
    head.seq = std::stoi(line.substr(b + 1, c - b - 1));
    head.json = line.substr(c + 1);
    head.run = r;
    return true;
  }

  Status merge(const std::function<void(const std::string&)>& emit) {
    std::priority_queue<RunHead, std::vector<RunHead>, decltype(&later)> heads(&later);
    for (size_t r = 0; r < runs_.size(); ++r) {
      RunHead h;
      if (next_line(r, h)) heads.push(std::move(h));
    }
    while (!heads.empty()) {
      RunHead h = heads.top();
      heads.pop();
      emit(h.json);
      const size_t r = h.run;
      if (next_line(r, h)) heads.push(std::move(h));
    }
    for (const Run& f : runs_) {
      if (std::ferror(f.get()) != 0)
        return fail("io", "generator: reading spilled facts back failed");
    }
    return {};
  }

  void add(Date d, const std::string& key, Event e) {
    e.envelope.subject = subject_of(e.fact);
    // A retraction names no community itself; its subject (the Kafka key) is its fact's, so it
    // travels the inbox partition of the fact it retracts, after it (DOMAIN.md).
    if (e.envelope.subject.empty()) e.envelope.subject = key;
    out_.push_back({d, key, seq_++, std::move(e)});
  }
  Date in_year(int from_day, int before_end) {
    const int32_t span = days_between(w_.from, w_.to) - before_end;
    return w_.from.plus_days(
        static_cast<int32_t>(rng_.between(from_day, std::max<int64_t>(from_day, span))));
  }
  std::string company_id(int64_t k) const {
    std::string digits = std::to_string(k);
    if (digits.size() < 4) digits.insert(0, 4 - digits.size(), '0');
    return "CO" + digits;
  }

  void community(int32_t c) {
    char id_buf[16];
    std::snprintf(id_buf, sizeof id_buf, "SJ%05d", c);
    const std::string id = id_buf;
    const CommunityId cid(id);
    const std::string street = streets_[static_cast<size_t>(c - 1) % streets_.size()];
    const std::string office = "street." + street;
    CommunityRegistered reg;
    reg.community = cid;
    {
      const size_t n = kNameHeads.size() * kNameMids.size() * kNameTails.size();
      const auto [head, mid, tail] = name_parts<3>(
          static_cast<size_t>(c - 1) % n, {kNameHeads.size(), kNameMids.size(), kNameTails.size()});
      reg.name = std::string(kNameHeads[head]) + kNameMids[mid] + kNameTails[tail];
      if (static_cast<size_t>(c) > n)
        reg.name += std::to_string((c - 1) / static_cast<int32_t>(n) + 1) + "期";
    }
    reg.street = StreetId(street);
    reg.households = static_cast<int32_t>(rng_.between(80, 2400));
    reg.enclosure = rng_.chance(85) ? Enclosure::kClosed : Enclosure::kScattered;
    reg.fee = Centi{kFees[rng_.next() % kFees.size()]};
    if (reg.enclosure == Enclosure::kScattered && rng_.chance(80))
      reg.fee = Centi{kFees[rng_.next() % 4]};
    int64_t pick = rng_.between(1, 100);
    size_t cat = 0;
    while (pick > kCategoryShare[cat]) pick -= kCategoryShare[cat++];
    reg.category = static_cast<Category>(cat);
    const Date registered_on = w_.from.plus_days(-static_cast<int32_t>(rng_.between(180, 2000)));
    add(registered_on, id, {envelope("reg-" + id, office, registered_on), reg});

    const int64_t company = rng_.between(1, companies_);
    contracted_.insert(company);
    const std::string manager =
        "PM" + company_id(company).substr(2) + "-" + std::to_string(rng_.between(1, 3));
    add(registered_on, id,
        {envelope("contract-" + id, office, registered_on),
         ContractAssigned{cid, CompanyId(company_id(company)), ManagerId(manager),
                          manager_name(manager)}});

    // Quality: the company's standard, give or take the community; most in the 70s and 80s, a
    // few excellent, a few failing (DOMAIN.md: about nine in ten 达标 or better).
    const int64_t quality =
        company_quality(company) + rng_.between(-QUALITY_SPREAD, QUALITY_SPREAD);
    const int inspections = rng_.chance(6) ? 1 : static_cast<int>(rng_.between(2, 4));
    for (int i = 0; i < inspections; ++i) {
      Inspection insp{cid, {}};
      for (Centi& s : insp.scores) s = score_near(rng_, quality);
      const Date d = in_year(15, 30);
      add(d, id,
          {envelope("insp-" + id + "-" + std::to_string(i + 1), i % 2 == 0 ? office : "bureau", d),
           insp});
    }
    const int surveys = rng_.chance(15) ? 0 : static_cast<int>(rng_.between(1, 2));
    for (int i = 0; i < surveys; ++i) {
      const Date d = in_year(60, 30);
      add(d, id,
          {envelope("survey-" + id + "-" + std::to_string(i + 1), office, d),
           SatisfactionSurvey{cid, score_near(rng_, quality),
                              static_cast<int32_t>(rng_.between(30, 300))}});
    }
    evaluation_facts(id, cid, quality);
    process_facts(id, cid, office, quality);
    governance_facts(id, cid, office, registered_on);
  }

  void evaluation_facts(const std::string& id, const CommunityId& cid, int64_t quality) {
    const bool poor = quality < 70;
    const int hotline = static_cast<int>(rng_.between(0, 2 * o_.hotline_per_community));
    // The expected number of substantiated and late complaints stays that of a year of 8 (what
    // the deduction caps are sized for), however many there are: at city volumes most complaints
    // are settled without a finding against the company. At 8 or fewer the draws are as before.
    const int64_t n = o_.hotline_per_community;
    auto rare = [&](int percent_at_8) {
      return n <= 8 ? rng_.chance(percent_at_8) : rng_.between(1, 100 * n) <= 8 * percent_at_8;
    };
    for (int i = 0; i < hotline; ++i) {
      const Date d = in_year(0, 0);
      HotlineComplaint h{cid, rare(poor ? 40 : 15), !rare(poor ? 30 : 8)};
      add(d, id, {envelope("hotline-" + id + "-" + std::to_string(i + 1), "hotline", d), h});
    }
    if (rng_.chance(poor ? 50 : 15)) {
      const Date d = in_year(0, 0);
      add(d, id, {envelope("petition-" + id, "petitions", d), Petition{cid, rng_.chance(60)}});
    }
    const int spot = static_cast<int>(rng_.between(0, 2));
    for (int i = 0; i < spot; ++i) {
      const Date d = in_year(30, 20);
      add(d, id,
          {envelope("spot-" + id + "-" + std::to_string(i + 1), "bureau", d),
           SpotCheck{cid, !rng_.chance(poor ? 50 : 10)}});
    }
    if (rng_.chance(poor ? 40 : 8)) {
      const Date d = in_year(0, 0);
      const auto kind = static_cast<FindingKind>(rng_.between(0, 5));  // 城管执法's kinds
      const auto sev = static_cast<Severity>(rng_.chance(70) ? 0 : rng_.chance(70) ? 1 : 2);
      add(d, id, {envelope("finding-" + id, "chengguan", d), DepartmentFinding{cid, kind, sev}});
    }
    if (rng_.chance(2)) {
      const Date d = in_year(0, 0);
      add(d, id, {envelope("incident-" + id, "fire", d), SafetyIncident{cid, Severity::kMajor}});
    }
    if (rng_.chance(10)) {
      const Date d = in_year(0, 0);
      add(d, id,
          {envelope("media-" + id, "bureau", d),
           MediaReport{CompanyId(), cid, poor ? Tone::kNegative : Tone::kPositive}});
    }
  }

  void process_facts(const std::string& id, const CommunityId& cid, const std::string& office,
                     int64_t quality) {
    const int32_t year = o_.year;
    const Date proposed = w_.to.plus_days(3);
    const Grade guess = quality >= 88   ? Grade::kExemplary
                        : quality >= 78 ? Grade::kStandard
                        : quality >= 66 ? Grade::kPassing
                                        : Grade::kFailing;
    add(proposed, id,
        {envelope("proposal-" + id + "-" + std::to_string(year), office, proposed),
         StreetProposal{cid, year, guess}});
    if (rng_.chance(4)) {
      const Date d = w_.to.plus_days(5);
      add(d, id,
          {envelope("opinion-" + id + "-" + std::to_string(year), "greening", d),
           DepartmentOpinion{cid, year, Stance::kObject, "绿化养护不到位"}});
    }
    const Date closed = w_.to.plus_days(10);
    add(closed, id,
        {envelope("review-" + id + "-" + std::to_string(year), "bureau", closed),
         ReviewClosed{cid, year}});
    if (!o_.lifecycle) return;
    const Date published = w_.to.plus_days(20);
    add(published, id,
        {envelope("publish-" + id + "-" + std::to_string(year), "bureau", published),
         RatingsPublished{cid, year}});
    // A few revisions after publication: an inspection withdrawn by its sender, and a complaint
    // of the year the hotline's system delivered late (dated in the year, logged after).
    if (rng_.chance(3)) {
      const Date d = published.plus_days(static_cast<int32_t>(rng_.between(3, 30)));
      add(d, id,
          {envelope("retract-insp-" + id + "-1", office, d),
           FactRetracted{"insp-" + id + "-1", "检查记录录入错误，撤回"}});
    }
    if (rng_.chance(3)) {
      const Date occurred = in_year(0, 30);
      const Date logged = published.plus_days(static_cast<int32_t>(rng_.between(5, 40)));
      add(logged, id,
          {envelope("hotline-late-" + id, "hotline", occurred),
           HotlineComplaint{cid, true, false}});
    }
    if (quality >= 70) return;
    // Low quality: most are interviewed; some rectify, some fail re-inspection; some are missed.
    if (rng_.chance(20)) return;  // no interview: escalates when log time passes P+30
    const Date interview = published.plus_days(static_cast<int32_t>(rng_.between(5, 28)));
    add(interview, id,
        {envelope("interview-" + id + "-" + std::to_string(year), "bureau", interview),
         InterviewHeld{cid, year, "限期整改", std::nullopt}});
    const Date submitted = interview.plus_days(40);
    add(submitted, id,
        {envelope("rectified-" + id + "-" + std::to_string(year), office, submitted),
         RectificationSubmitted{cid, year}});
    const bool passed = rng_.chance(65);
    const Date reinspected = interview.plus_days(50);
    add(reinspected, id,
        {envelope("reinspection-" + id + "-" + std::to_string(year), "bureau", reinspected),
         Reinspection{cid, year, passed}});
    if (passed) return;
    for (const char* dept : {"market", "chengguan", "police"}) {
      if (rng_.chance(25)) continue;  // not every department has acted yet
      const Date d = reinspected.plus_days(static_cast<int32_t>(rng_.between(5, 40)));
      add(d, id,
          {envelope("sanction-" + id + "-" + std::to_string(year) + "-" + dept, dept, d),
           SanctionApplied{cid, year, "联合惩戒", "《上海市住宅物业管理规定》"}});
    }
  }

  void governance_facts(const std::string& id, const CommunityId& cid, const std::string& office,
                        Date registered_on) {
    auto after_registration = [&](Date d) {
      return d < registered_on ? registered_on.plus_days(1) : d;
    };
    if (rng_.chance(70)) {
      const Date d =
          after_registration(w_.from.plus_days(-static_cast<int32_t>(rng_.between(30, 700))));
      const int32_t members = static_cast<int32_t>(rng_.between(5, 9));
      add(d, id,
          {envelope("committee-" + id, office, d),
           CommitteeElected{cid, members, static_cast<int32_t>(rng_.between(1, members))}});
      if (rng_.chance(80)) {
        const Date b = d.plus_days(static_cast<int32_t>(rng_.between(10, 300)));
        add(b, id, {envelope("branch-" + id, office, b), PartyBranchEstablished{cid}});
      }
    }
    for (size_t item = 0; item < kRenovationItemNames.size(); ++item) {
      if (!rng_.chance(20)) continue;
      const Date d =
          after_registration(w_.from.plus_days(-static_cast<int32_t>(rng_.between(-300, 1200))));
      add(d, id,
          {envelope("gov-" + id + "-" + std::string(kRenovationItemNames[item]), office, d),
           GovernanceCompleted{cid, static_cast<RenovationItem>(item)}});
    }
    const Date w = in_year(30, 30);
    add(w, id,
        {envelope("waste-" + id, "greening", w), WasteSortingInspection{cid, rng_.chance(92)}});
  }

  // A company's standard of service, the same for every project it runs (a stream of its own,
  // so the main stream's draws do not depend on which companies came first).
  int64_t company_quality(int64_t k) const {
    Rng own(o_.seed ^ (static_cast<uint64_t>(k) * 0x9e3779b97f4a7c15ull));
    return QUALITY_BASE + own.between(0, QUALITY_RANGE);
  }

  // A name for a manager id, the same every time (drawn from no random stream).
  static std::string manager_name(const std::string& manager) {
    static constexpr std::array<std::string_view, 30> kSurnames = {
        "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "周", "吴", "徐", "孙", "朱", "马", "胡",
        "郭", "林", "何", "高", "罗", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹"};
    static constexpr std::array<std::string_view, 40> kGiven = {
        "伟",   "芳",   "敏",   "静",   "磊",   "军",   "洋",   "勇",   "艳",   "杰",
        "建国", "志强", "秀英", "海燕", "晓东", "丽华", "文斌", "春梅", "国平", "玉兰",
        "明",   "华",   "强",   "娟",   "涛",   "斌",   "超",   "霞",   "刚",   "平",
        "卫东", "建华", "美玲", "晓明", "红霞", "志刚", "桂芳", "俊杰", "慧敏", "永康"};
    // PM<company>-<n>: the company's n-th manager; the name a permutation of that index.
    const size_t dash = manager.find('-');
    const size_t company = static_cast<size_t>(std::stoul(manager.substr(2, dash - 2)));
    const size_t nth = static_cast<size_t>(std::stoul(manager.substr(dash + 1)));
    const auto [surname, given] =
        name_parts<2>(((company - 1) * 3 + (nth - 1)) % (kSurnames.size() * kGiven.size()),
                      {kSurnames.size(), kGiven.size()});
    return std::string(kSurnames[surname]) + std::string(kGiven[given]);
  }

  void company_facts(int64_t k) {
    const std::string company = company_id(k);
    {  // registered before its first contract (the earliest is 2,000 days before the window)
      static constexpr std::array<std::string_view, 18> kHeads = {
          "松江",   "佘山", "九亭", "泗泾", "洞泾", "新桥", "车墩", "叶榭",   "小昆山",
          "石湖荡", "新浜", "泖港", "方松", "中山", "岳阳", "永丰", "广富林", "云间"};
      static constexpr std::array<std::string_view, 24> kMids = {
          "安居", "家和", "锦绣", "恒信", "悦华", "明珠", "嘉禾", "华庭",
          "睿邦", "宜家", "祥和", "新城", "瑞丰", "东升", "怡景", "同创",
          "仁恒", "兴业", "佳信", "国润", "天祥", "康泰", "百联", "德馨"};
      static constexpr std::array<std::string_view, 3> kKinds = {
          "物业管理有限公司", "物业服务有限公司", "物业服务股份有限公司"};
      const size_t n = kHeads.size() * kMids.size() * kKinds.size();
      const auto [head, mid, kind] = name_parts<3>(static_cast<size_t>(k - 1) % n,
                                                   {kHeads.size(), kMids.size(), kKinds.size()});
      std::string name = std::string(kHeads[head]) + std::string(kMids[mid]);
      if (static_cast<size_t>(k) > n) name += std::to_string((k - 1) / static_cast<int64_t>(n) + 1);
      name += kKinds[kind];
      char serial[8];
      std::snprintf(serial, sizeof serial, "%05lld", static_cast<long long>(k % 100000));
      const std::string first17 = std::string("91310117MA1") + serial + "X";
      const Date d = w_.from.plus_days(-2100);
      add(d, company,
          {envelope("company-" + company, "bureau", d),
           CompanyRegistered{CompanyId(company), name,
                             first17 + *credit_code_check_character(first17)}});
    }
    if (rng_.chance(40)) {
      const Date d = in_year(0, 0);
      add(d, company,
          {envelope("social-" + company, "bureau", d),
           SocialResponsibility{CompanyId(company), "社区志愿服务"}});
    }
    if (rng_.chance(15)) {
      const Date d = in_year(0, 0);
      add(d, company,
          {envelope("media-" + company, "bureau", d),
           MediaReport{CompanyId(company), CommunityId(), Tone::kNegative}});
    }
  }

  const GeneratorOptions& o_;
  const YearWindow& w_;
  std::vector<std::string> streets_;
  Rng rng_;
  int32_t companies_ = 0;
  std::set<int64_t> contracted_;  // companies some contract names: only they are known
  int seq_ = 0;
  std::vector<Pending> out_;
  std::vector<Run> runs_;
};

}  // namespace

Status generate_district(const GeneratorOptions& o, const Config& config,
                         const std::function<void(const std::string&)>& emit) {
  const RuleSet* rs = config.rules.for_year(o.year);
  if (rs == nullptr) {
    return fail("bad_argument",
                "--year " + std::to_string(o.year) + ": no rule set in config defines that year");
  }
  if (o.streets < 1 || static_cast<size_t>(o.streets) > config.district.streets.size()) {
    return fail("bad_argument", "--streets " + std::to_string(o.streets) + ": expected 1.." +
                                    std::to_string(config.district.streets.size()));
  }
  if (o.communities < 1) return fail("bad_argument", "--communities: expected at least 1");
  std::vector<std::string> streets;
  for (const auto& [id, name] : config.district.streets) streets.push_back(id);
  // Streets in a seeded order, so a small district is not always the alphabet's first.
  Rng shuffle(o.seed ^ 0x5eedull);
  for (size_t i = streets.size(); i > 1; --i)
    std::swap(streets[i - 1], streets[shuffle.next() % i]);
  streets.resize(static_cast<size_t>(o.streets));
  SyntheticDistrict seeded(o, *rs->window(o.year), streets);
  return seeded.build(emit);
}

}  // namespace jiayuan
