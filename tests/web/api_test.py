"""The /v1 query API against the real binary: every endpoint's real responses validate against
connectors/openapi.json (OpenAPI 3.1, JSON Schema 2020-12), problem details, scopes, pagination,
rate limiting, metrics and health."""
import csv
import datetime
import io
import json
import math
import os
import re
import subprocess
import sys
import time
import unittest

import jsonschema
import openpyxl

sys.path.insert(0, os.path.dirname(__file__))
from engine_fixture import TOKENS, Engine  # noqa: E402

SOURCE = os.environ["JIAYUAN_SOURCE_DIR"]
ENGINE = None


def setUpModule():
    global ENGINE
    ENGINE = Engine()


def tearDownModule():
    ENGINE.close()


class OpenApi:
    def __init__(self, doc):
        self.doc = doc
        self.resolver = jsonschema.RefResolver.from_schema(doc)
        self.checked = set()

    def check(self, template, status, content_type, body, method="get"):
        """Validates a body against the document's schema for (path template, status)."""
        op = self.doc["paths"][template][method]
        response = op["responses"].get(str(status))
        if response is None:
            raise AssertionError(f"{template}: status {status} is not in the document")
        media = content_type.split(";")[0]
        schema = response["content"][media]["schema"]
        jsonschema.Draft202012Validator(schema, resolver=self.resolver,
                                        format_checker=jsonschema.FormatChecker()).validate(body)
        self.checked.add((template, status))


class ApiTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        with open(os.path.join(SOURCE, "connectors", "openapi.json")) as f:
            cls.doc = json.load(f)
        cls.api = OpenApi(cls.doc)

    def call(self, template, path, token="district", expect=200):
        status, headers, body = ENGINE.get(path, TOKENS[token] if token else None)
        self.assertEqual(status, expect, f"{path}: {body[:300]!r}")
        parsed = json.loads(body)
        self.api.check(template, status, headers["Content-Type"], parsed)
        return parsed

    def test_01_the_served_document_is_the_repository_one_and_is_openapi_3_1(self):
        status, headers, body = ENGINE.get("/v1/openapi.json")
        self.assertEqual(status, 200)
        self.assertEqual(json.loads(body), self.doc)
        self.assertEqual(self.doc["openapi"], "3.1.0")
        jsonschema.Draft202012Validator.check_schema({"$defs": self.doc["components"]["schemas"]})

    def test_02_every_endpoint_answers_as_the_document_says(self):
        c = self.call("/v1/communities", "/v1/communities?year=2023&limit=500")
        self.assertEqual(c["total"], 100)
        self.assertTrue(any(i["grade"] == "failing" for i in c["items"]))
        one = c["items"][0]["community"]
        v = self.call("/v1/communities/{id}", f"/v1/communities/{one}")
        self.assertEqual(v["community"], one)
        self.assertTrue(v["ratings"][0]["explanation"]["thresholds"])
        self.call("/v1/companies", "/v1/companies?year=2023")
        cases = self.call("/v1/cases", "/v1/cases?as_of=2024-06-30&status=all")
        self.assertGreater(cases["total"], 0)
        self.call("/v1/awards", "/v1/awards?year=2023")
        t = self.call("/v1/targets", "/v1/targets?year=2023")
        self.assertEqual(len(t["streets"]), 3)
        self.call("/v1/renovation", "/v1/renovation?year=2023")
        self.call("/v1/revisions", "/v1/revisions?year=2023")
        self.call("/v1/compliance", "/v1/compliance?year=2023")
        d = self.call("/v1/dead-letters", "/v1/dead-letters", token="auditor")
        self.assertGreaterEqual(len(d["items"]), 1)
        me = self.call("/v1/me", "/v1/me", token="sijing")
        self.assertEqual((me["scope"], me["street"]), ("street", "sijing"))
        status, headers, body = ENGINE.get("/metrics")
        self.api.check("/metrics", status, headers["Content-Type"], body.decode())
        status, headers, body = ENGINE.get("/v1/openapi.json")
        self.api.check("/v1/openapi.json", status, headers["Content-Type"], json.loads(body))
        self.call("/healthz", "/healthz", token=None)
        self.call("/readyz", "/readyz", token=None)
        # Errors are problem details, with the bad parameter named.
        p = self.call("/v1/communities", "/v1/communities?year=abc", expect=400)
        self.assertEqual(p["parameter"], "year")
        p = self.call("/v1/communities", "/v1/communities?colour=red", expect=400)
        self.assertEqual(p["parameter"], "colour")
        p = self.call("/v1/cases", "/v1/cases?as_of=2024-13-01", expect=400)
        self.assertEqual(p["parameter"], "as_of")
        self.call("/v1/communities/{id}", "/v1/communities/NOPE", expect=404)
        self.call("/v1/awards", "/v1/awards?year=2024", expect=404)
        self.call("/v1/communities", "/v1/communities", token=None, expect=401)
        status, headers, _ = ENGINE.get("/v1/communities", "not-a-token-of-the-file")
        self.assertEqual(status, 401)
        self.assertIn("Bearer", headers["WWW-Authenticate"])
        status, headers, body = ENGINE.get("/v1/nothing-here", TOKENS["district"])
        self.assertEqual(status, 404)
        self.assertEqual(headers["Content-Type"], "application/problem+json")
        t = self.call("/v1/templates", "/v1/templates")
        self.assertIn("inspection", {x["name"] for x in t["types"]})
        self.call("/v1/templates/{type}", "/v1/templates/nothing", expect=404)
        # Every documented GET path was exercised with a real response (the POSTs: test_13).
        for path, ops in self.doc["paths"].items():
            if "get" in ops:
                self.assertIn(path, {t for t, _ in self.api.checked}, f"{path} was not checked")

    def test_03_a_street_supervisor_sees_its_own_street_only(self):
        mine = self.call("/v1/communities", "/v1/communities?year=2023&limit=500", token="sijing")
        self.assertGreater(mine["total"], 0)
        self.assertLess(mine["total"], 100)
        self.assertEqual({i["street"] for i in mine["items"]}, {"sijing"})
        everyone = self.call("/v1/communities", "/v1/communities?year=2023&limit=500")["items"]
        other = next(i["community"] for i in everyone if i["street"] != "sijing")
        own = mine["items"][0]["community"]
        self.call("/v1/communities/{id}", f"/v1/communities/{own}", token="sijing")
        p = self.call("/v1/communities/{id}", f"/v1/communities/{other}", token="sijing", expect=403)
        self.assertIn("reads street sijing only", p["detail"])
        self.assertIn(other, p["detail"])
        p = self.call("/v1/communities", "/v1/communities?street=yueyang", token="sijing", expect=403)
        self.assertEqual(p["parameter"], "street")
        t = self.call("/v1/targets", "/v1/targets?year=2023", token="sijing")
        self.assertEqual([s["street"] for s in t["streets"]], ["sijing"])
        cases = self.call("/v1/cases", "/v1/cases?status=all", token="sijing")
        self.assertTrue(all(c["street"] == "sijing" for c in cases["items"]))
        self.call("/v1/dead-letters", "/v1/dead-letters", token="sijing", expect=403)

    def test_04_department_tokens_publish_and_do_not_read(self):
        p = self.call("/v1/communities", "/v1/communities", token="bureau", expect=403)
        self.assertIn("publishes facts", p["detail"])
        status, _, body = ENGINE.get("/v1/events", TOKENS["district"], method="POST", body=b"{}",
                                     headers={"Content-Type": "application/json"})
        self.assertEqual(status, 403, body)
        self.assertIn("department", json.loads(body)["detail"])

    def test_05_cursor_pagination_visits_every_item_once_in_order(self):
        seen = []
        cursor = None
        while True:
            path = "/v1/communities?year=2023&limit=7&sort=-final_score"
            if cursor:
                path += "&cursor=" + cursor
            page = self.call("/v1/communities", path)
            seen += page["items"]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        self.assertEqual(len(seen), 100)
        self.assertEqual(len({i["community"] for i in seen}), 100)
        scores = [float(i["final_score"]) for i in seen if i["final_score"] is not None]
        self.assertEqual(scores, sorted(scores, reverse=True))
        p = self.call("/v1/communities", "/v1/communities?cursor=zz", expect=400)
        self.assertEqual(p["parameter"], "cursor")

    def test_06_every_question_answers_as_of_a_past_date(self):
        before = self.call("/v1/communities", "/v1/communities?year=2023&limit=500&as_of=2023-06-30")
        self.assertEqual(before["as_of"], "2023-06-30")
        self.assertEqual({i["grade"] for i in before["items"]}, {"unrated"})  # nothing rated by then
        after = self.call("/v1/communities", "/v1/communities?year=2023&limit=500&as_of=2024-06-30")
        now = self.call("/v1/communities", "/v1/communities?year=2023&limit=500")
        self.assertEqual(after["items"], now["items"])
        one = next(i for i in now["items"] if i["grade"] == "failing")["community"]
        then = self.call("/v1/communities/{id}", f"/v1/communities/{one}?as_of=2023-06-30")
        self.assertEqual([r for r in then["ratings"] if "grade" in r], [])
        self.assertEqual(then["cases"], [])
        self.call("/v1/awards", "/v1/awards?year=2023&as_of=2023-06-30", expect=404)
        awards_then = self.call("/v1/awards", "/v1/awards?year=2023&as_of=2024-06-30")
        self.assertEqual(awards_then, self.call("/v1/awards", "/v1/awards?year=2023"))
        self.call("/v1/companies", "/v1/companies?year=2023&as_of=2024-06-30")
        self.call("/v1/targets", "/v1/targets?year=2023&as_of=2024-06-30")
        self.call("/v1/renovation", "/v1/renovation?year=2023&as_of=2023-01-01")
        self.call("/v1/compliance", "/v1/compliance?year=2023&as_of=2023-01-01")
        p = self.call("/v1/communities/{id}", f"/v1/communities/{one}?as_of=yesterday", expect=400)
        self.assertEqual(p["parameter"], "as_of")

    def test_07_too_many_requests_is_429_with_retry_after(self):
        statuses = []
        for _ in range(120):
            status, headers, body = ENGINE.get("/v1/me", TOKENS["rate"])
            statuses.append(status)
            if status == 429:
                self.assertGreaterEqual(int(headers["Retry-After"]), 1)
                self.assertEqual(json.loads(body)["status"], 429)
                break
        self.assertIn(429, statuses)

    def test_08_metrics_follow_prometheus_conventions(self):
        status, headers, body = ENGINE.get("/metrics")
        self.assertEqual(status, 200)
        self.assertTrue(headers["Content-Type"].startswith("text/plain"))
        text = body.decode()
        types = dict(re.findall(r"^# TYPE (\S+) (\S+)$", text, re.M))
        for name, kind in types.items():
            self.assertTrue(name.startswith("jiayuan_"), name)
            if kind == "counter":
                self.assertTrue(name.endswith("_total"), name)
        self.assertEqual(types["jiayuan_step_duration_seconds"], "histogram")
        self.assertEqual(types["jiayuan_http_request_duration_seconds"], "histogram")
        folded = float(re.search(r"^jiayuan_facts_folded_total (\S+)$", text, re.M).group(1))
        self.assertGreater(folded, 2000)
        self.assertRegex(text, r'jiayuan_decisions_total\{kind="community.rated"\} [1-9]')
        self.assertRegex(text, r'jiayuan_lag_records\{partition="0",topic="jiayuan.events"\} 0')
        self.assertRegex(text, r'jiayuan_build_info\{rule_sets="songjiang-2022-134",version="[^"]+"\} 1')
        self.assertRegex(text, r'jiayuan_http_request_duration_seconds_count\{code="200",method="GET",route="/v1/communities"\}')

    def test_09_a_retraction_is_a_revision_listed_with_its_cause_and_never_in_the_default_answers(self):
        # The bureau retracts one of its own inspections of a community, over HTTP.
        c = self.call("/v1/communities", "/v1/communities?year=2023&limit=500")["items"]
        rated = {i["community"] for i in c if i["grade"] != "unrated"}
        with open(os.path.join(ENGINE.dir, "facts.ndjson")) as f:
            facts = [json.loads(line) for line in f]
        inspection = next(e for e in facts if e["source"] == "bureau" and e["type"] == "jiayuan.inspection"
                          and e["data"]["community"] in rated)
        target = inspection["data"]["community"]
        before = self.call("/v1/communities/{id}", f"/v1/communities/{target}")
        # Instants in the query are to the second: the instant asked about is the next whole second
        # (everything known now is known then), and the retraction is accepted after it.
        asked_before_at = math.ceil(time.time())
        time.sleep(max(0.0, asked_before_at - time.time()) + 0.2)
        retraction = {"specversion": "1.0", "id": "retract-" + inspection["id"], "source": "bureau",
                      "type": "jiayuan.fact.retracted", "occurred": "2024-07-02",
                      "data": {"id": inspection["id"], "reason": "scored against the wrong community"}}
        status, _, body = ENGINE.get("/v1/events", TOKENS["bureau"], method="POST",
                                     body=json.dumps(retraction).encode(),
                                     headers={"Content-Type": "application/cloudevents+json"})
        self.assertEqual(status, 200, body[:300])
        self.assertEqual(json.loads(body)["results"][0]["status"], "accepted", body[:300])
        for _ in range(200):
            r = self.call("/v1/revisions", "/v1/revisions?year=2023&since=2024-07-01")
            if r["total"] > 0:
                break
            time.sleep(0.05)
        self.assertGreater(r["total"], 0, "no revision after the retraction")
        for item in r["items"]:
            self.assertEqual(item["community"], target)
            self.assertEqual(item["cause"], {"source": "bureau", "id": retraction["id"]})
            self.assertEqual(item["log_date"], "2024-07-02")
        rated = [i for i in r["items"] if i["kind"] == "community.rated"]
        self.assertEqual(len(rated), 1, r["items"])
        self.assertEqual(rated[0]["before"]["final_score"], before["ratings"][0]["explanation"]["final_score"])
        self.assertTrue(rated[0]["after_publication"])
        # Only when asked: the default answer is a function of the set of facts.
        now = self.call("/v1/communities/{id}", f"/v1/communities/{target}")
        self.assertNotIn("revisions", now)
        asked = self.call("/v1/communities/{id}", f"/v1/communities/{target}?include=revisions")
        since = [x["decision"] for x in asked["revisions"] if x["log_date"] >= "2024-07-01"]  # the demo has its own before
        self.assertEqual(since, [x["decision"] for x in r["items"]])
        self.assertEqual(self.call("/v1/revisions", "/v1/revisions?since=2024-07-03")["total"], 0)
        # The list asked before the retraction, asked again: the revised score, not an answer kept
        # from before (lists are kept per state of the store; a write is a new state).
        listed = {i["community"]: i for i in
                  self.call("/v1/communities", "/v1/communities?year=2023&limit=500")["items"]}
        listed_before = next(i for i in c if i["community"] == target)
        self.assertEqual(listed_before["final_score"], before["ratings"][0]["explanation"]["final_score"])
        self.assertEqual(listed[target]["final_score"], now["ratings"][0]["explanation"]["final_score"])
        other = next(i for i in c if i["street"] != rated[0]["street"])
        self.assertEqual(self.call("/v1/revisions", f"/v1/revisions?street={other['street']}&since=2024-07-01")["total"], 0)
        self.call("/v1/communities/{id}", f"/v1/communities/{target}?include=everything", expect=400)
        # As known at an instant before the retraction was accepted, the answer is the one given
        # before it; as known now, the one given now (transaction time beside valid time).
        instant = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(asked_before_at))
        then = self.call("/v1/communities/{id}", f"/v1/communities/{target}?as_known={instant}")
        self.assertEqual(then, before)
        self.assertNotEqual(then["ratings"], now["ratings"])
        known_now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 2))
        self.assertEqual(self.call("/v1/communities/{id}", f"/v1/communities/{target}?as_known={known_now}"), now)
        p = self.call("/v1/communities/{id}", f"/v1/communities/{target}?as_known=noon", expect=400)
        self.assertEqual(p["parameter"], "as_known")

    # The test's own reading of what each column holds: a JSON field (a/b descends), and how a
    # code reads in Chinese where the column shows one.
    LABELS = {"commodity": "商品房", "mixed": "混合型", "relocation": "动迁房", "affordable": "保障房",
              "scattered_public": "零星公房", "interview_due": "待约谈", "rectifying": "整改中",
              "rectified": "已整改", "escalated": "已移送", "sanctioned": "已处罚",
              "missed_interview": "未按期约谈", "missed_deadline": "逾期未整改", "failed_reinspection": "复查不合格",
              "fee_adjustment": "物业费调整", "maintenance_fund_renewal": "维修资金续筹",
              "ebike_charging": "电动自行车充电", "elevator_consultation": "加梯征询"}

    def download(self, path, token="auditor"):  # its own rate bucket beside the district's JSON calls
        status, headers, body = ENGINE.get(path, TOKENS[token])
        self.assertEqual(status, 200, f"{path}: {body[:300]!r}")
        self.assertEqual(headers["Content-Type"], "text/csv; charset=utf-8")
        self.assertIn("attachment; filename=", headers["Content-Disposition"])
        self.assertTrue(body.startswith(b"\xef\xbb\xbf"), "no BOM: Excel would not read it as UTF-8")
        rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")))
        self.assertTrue(all(len(r) == len(rows[0]) for r in rows), path)
        return rows[0], [dict(zip(rows[0], r)) for r in rows[1:]]

    def cell(self, value, label=False):
        if value is None:
            return ""
        if isinstance(value, bool):
            return "是" if value else "否"
        if isinstance(value, list):
            return "；".join(self.cell(v, label) for v in value)
        text = str(value)
        return self.LABELS.get(text, text) if label else text

    def pick(self, item, key):
        for part in key.split("/"):
            item = item.get(part) if isinstance(item, dict) else None
        return item

    def every_item(self, template, path):
        items, cursor = [], None
        while True:
            page = self.call(template, path + ("&cursor=" + cursor if cursor else ""))
            items += page["items"]
            cursor = page["next_cursor"]
            if cursor is None:
                return items

    def test_10_every_list_downloads_as_csv_equal_to_its_json_cell_by_cell(self):
        time.sleep(1.1)  # a fresh second of the token bucket (40 requests per second)
        lists = [
            ("/v1/communities", "/v1/communities?year=2023&limit=30", "community",
             {"小区编号": "community", "小区名称": "name", "街镇": "street_name", "物业服务企业编号": "company",
              "物业服务企业": "company_name", "等级": "grade_zh", "得分": "final_score", "档次": "tier",
              "房屋类型": ("category", True), "户数": "households", "物业费": "fee", "公布日期": "published_on"}),
            ("/v1/companies", "/v1/companies?year=2023&limit=7", "company",
             {"企业编号": "company", "企业名称": "company_name", "综合得分": "composite", "是否参评": "eligible",
              "热线": "factors_percent/hotline", "信用记分": "credit_points", "排名": "rank"}),
            ("/v1/cases", "/v1/cases?status=all&as_of=2024-06-30&limit=5", "id",
             {"案件": "id", "小区编号": "community", "小区名称": "community_name", "街镇": "street_name",
              "状态": ("status", True), "原因": ("reason", True), "逾期天数": "days_overdue"}),
            ("/v1/renovation", "/v1/renovation?year=2023&limit=20", "community",
             {"小区编号": "community", "小区名称": "community_name", "事项数": "count", "事项": ("items", True)}),
        ]
        for template, path, key, columns in lists:
            items = self.every_item(template, path)
            self.assertGreater(len(items), 0, path)
            header, rows = self.download(path.replace("limit=", "format=csv&limit="))
            for name in columns:
                self.assertIn(name, header, path)
            # The whole list, whatever the page size, in the same order.
            key_column = next(name for name, spec in columns.items() if spec == key)
            self.assertEqual([r[key_column] for r in rows], [self.cell(i[key]) for i in items], path)
            for item, row in zip(items, rows):
                for name, spec in columns.items():
                    field, label = spec if isinstance(spec, tuple) else (spec, False)
                    self.assertEqual(row[name], self.cell(self.pick(item, field), label), f"{path} {item[key]} {name}")
        # Names are beside the ids, and codes read in Chinese.
        _, communities = self.download("/v1/communities?year=2023&format=csv")
        self.assertTrue(all(r["物业服务企业"] for r in communities if r["物业服务企业编号"]))
        self.assertTrue(all(r["房屋类型"] in self.LABELS.values() for r in communities))
        # A street's supervisor downloads its street only; Accept: text/csv asks the same.
        status, headers, body = ENGINE.get("/v1/communities?year=2023", TOKENS["sijing"], headers={"Accept": "text/csv"})
        self.assertEqual(status, 200)
        sijing = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"), newline="")))
        self.assertEqual({r["街镇"] for r in sijing}, {"泗泾镇"})
        self.assertEqual(len(sijing), len([r for r in communities if r["街镇"] == "泗泾镇"]))
        # Awards: the top ten, the excellent communities and the managers, named.
        awards = self.call("/v1/awards", "/v1/awards?year=2023")
        _, rows = self.download("/v1/awards?year=2023&format=csv")
        by_kind = {}
        for r in rows:
            by_kind.setdefault(r["奖项"], []).append(r)
        self.assertEqual([r["编号"] for r in by_kind.get("十佳物业服务企业", [])], [c["company"] for c in awards["top_ten"]])
        self.assertEqual([r["名称"] for r in by_kind.get("十佳物业服务企业", [])], [c["company_name"] for c in awards["top_ten"]])
        self.assertEqual([(r["编号"], r["名称"]) for r in by_kind["优秀物业服务小区"]],
                         [(c["community"], c["community_name"]) for c in awards["excellent_communities"]])
        self.assertTrue(all(c["community_name"] and c["company_name"] for c in awards["excellent_communities"]))
        self.assertTrue(all(r["街镇"].endswith(("镇", "街道")) for r in by_kind["优秀物业服务小区"]), by_kind["优秀物业服务小区"])
        self.assertEqual([(r["编号"], r["名称"]) for r in by_kind["优秀项目经理"]],
                         [(m["manager"], m["manager_name"]) for m in awards["excellent_managers"]])
        # Targets and compliance: a line per street, then the district's.
        targets = self.call("/v1/targets", "/v1/targets?year=2023")
        _, rows = self.download("/v1/targets?year=2023&format=csv")
        lines = targets["streets"] + [dict(targets["district"], street_name="全区")]
        self.assertEqual([r["街镇"] for r in rows], [x["street_name"] for x in lines])
        for r, x in zip(rows, lines):
            self.assertEqual(r["参评小区"], self.cell(x["rated"]))
            self.assertEqual(r["示范"], self.cell(x["grade_mix"]["exemplary"]))
            self.assertEqual(r["达标及以上达标"], self.cell(x["met_passing_or_better"]))
        compliance = self.call("/v1/compliance", "/v1/compliance?year=2023")
        _, rows = self.download("/v1/compliance?year=2023&format=csv")
        lines = compliance["streets"] + [dict(compliance["district"], street_name="全区")]
        self.assertEqual([(r["街镇"], r["垃圾分类合格率"]) for r in rows], [(x["street_name"], x["waste_share"]) for x in lines])
        # As of a date, the download is the answer of that date.
        past = self.every_item("/v1/communities", "/v1/communities?year=2023&as_of=2023-06-30&limit=500")
        _, rows = self.download("/v1/communities?year=2023&as_of=2023-06-30&format=csv")
        self.assertEqual([r["等级"] for r in rows], [i["grade_zh"] for i in past])
        p = self.call("/v1/communities", "/v1/communities?format=xml", expect=400)
        self.assertEqual(p["parameter"], "format")

    def test_11_every_list_downloads_as_xlsx_equal_to_its_json_cell_by_cell(self):
        time.sleep(1.1)
        lists = [
            ("/v1/communities", "/v1/communities?year=2023&limit=500", "小区评定结果",
             {"小区编号": "community", "小区名称": "name", "物业服务企业": "company_name", "等级": "grade_zh",
              "得分": "final_score", "户数": "households", "物业费": "fee", "房屋类型": ("category", True)}),
            ("/v1/companies", "/v1/companies?year=2023&limit=500", "物业服务企业排名",
             {"排名": "rank", "企业编号": "company", "企业名称": "company_name", "综合得分": "composite",
              "是否参评": "eligible", "热线": "factors_percent/hotline"}),
            ("/v1/cases", "/v1/cases?status=all&as_of=2024-06-30&limit=500", "不达标案件",
             {"案件": "id", "小区名称": "community_name", "状态": ("status", True), "逾期天数": "days_overdue"}),
        ]
        for template, path, title, columns in lists:
            items = self.every_item(template, path)
            status, headers, body = ENGINE.get(path.replace("limit=500", "format=xlsx"), TOKENS["auditor"])
            self.assertEqual(status, 200, body[:300])
            self.assertEqual(headers["Content-Type"], "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
            self.assertRegex(headers["Content-Disposition"], r'^attachment; filename="[a-z]+-[0-9-]+\.xlsx"$')
            sheet = openpyxl.load_workbook(io.BytesIO(body), read_only=False).active
            self.assertEqual(sheet.title, title)
            self.assertEqual(sheet.freeze_panes, "A2")
            self.assertIsNotNone(sheet.auto_filter.ref)
            rows = list(sheet.iter_rows(values_only=True))
            header = list(rows[0])
            self.assertEqual(len(rows) - 1, len(items), path)
            for item, values in zip(items, rows[1:]):
                row = dict(zip(header, values))
                for name, spec in columns.items():
                    field, label = spec if isinstance(spec, tuple) else (spec, False)
                    want, got = self.pick(item, field), row[name]
                    where = f"{path} {name} of {item}"
                    if want is None:
                        self.assertIsNone(got, where)
                    elif isinstance(want, bool):
                        self.assertEqual(got, "是" if want else "否", where)
                    elif isinstance(want, (int, float)):
                        self.assertEqual(got, want, where)
                    elif isinstance(want, str) and re.fullmatch(r"-?[0-9]+(\.[0-9]+)?", want):
                        self.assertIsInstance(got, (int, float), where)  # a score is a number to sort and sum
                        self.assertAlmostEqual(got, float(want), places=6, msg=where)
                    else:
                        self.assertEqual(got, self.cell(want, label), where)
        p = self.call("/v1/companies", "/v1/companies?format=pdf", expect=400)
        self.assertEqual(p["parameter"], "format")

    def test_12_the_cli_saves_the_same_files_as_the_api_downloads(self):
        time.sleep(1.1)
        lists = [("communities", "year=2023", ["--year", "2023"]),
                 ("cases", "status=all&as_of=2024-06-30", ["--all", "--as-of", "2024-06-30"]),
                 ("companies", "year=2023", ["--year", "2023"]),
                 ("awards", "year=2023", ["--year", "2023"]),
                 ("targets", "year=2023", ["--year", "2023"]),
                 ("renovation", "year=2023", ["--year", "2023"]),
                 ("compliance", "year=2023", ["--year", "2023"])]
        for name, query, args in lists:
            status, headers, api = ENGINE.get(f"/v1/{name}?{query}&format=csv", TOKENS["auditor"])
            self.assertEqual(status, 200, api[:300])
            saved = os.path.join(ENGINE.dir, f"{name}.csv")
            r = ENGINE.jy("query", name, *args, "--format", "csv", "-o", saved)
            self.assertRegex(r.stdout, rf"^wrote {re.escape(saved)}: [0-9]+ rows? of ")
            with open(saved, "rb") as f:
                self.assertEqual(f.read(), api, name)  # byte for byte
            self.assertFalse(os.path.exists(saved + ".part"))
        # A street's lines: --street is what a street supervisor's token downloads.
        status, _, api = ENGINE.get("/v1/cases?status=all&as_of=2024-06-30&format=csv", TOKENS["sijing"])
        self.assertEqual(status, 200)
        r = subprocess.run([*ENGINE.command, "query", "cases", "--all", "--as-of", "2024-06-30", "--street", "sijing",
                            "--format", "csv", "-o", "-"], capture_output=True, check=True)
        self.assertGreater(api.count(b"\r\n"), 1, "sijing has no case to compare")
        self.assertEqual(r.stdout, api)  # bytes: CRLF as written
        # A workbook: the same cells as the API's, read by openpyxl; saved under its download name.
        status, headers, api = ENGINE.get("/v1/communities?year=2023&format=xlsx", TOKENS["auditor"])
        self.assertEqual(status, 200)
        r = subprocess.run([*ENGINE.command, "query", "communities", "--year", "2023", "--format", "xlsx"],
                           cwd=ENGINE.dir, capture_output=True, text=True, check=True)
        self.assertIn("communities-2023.xlsx: 100 rows of 小区评定结果", r.stdout)
        mine = openpyxl.load_workbook(os.path.join(ENGINE.dir, "communities-2023.xlsx")).active
        theirs = openpyxl.load_workbook(io.BytesIO(api)).active
        self.assertEqual(mine.title, theirs.title)
        self.assertEqual(list(mine.iter_rows(values_only=True)), list(theirs.iter_rows(values_only=True)))
        # A mistake is said, and no file is left behind.
        r = ENGINE.jy("query", "awards", "--year", "2023", "-o", os.path.join(ENGINE.dir, "x.csv"), check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("give --format too", r.stderr)
        r = ENGINE.jy("query", "targets", "--year", "2023", "--format", "csv", "-o", "/nonexistent/t.csv", check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("/nonexistent/t.csv: cannot write here", r.stderr)

    def post(self, template, path, body, content_type, token="bureau", expect=200):
        status, headers, answer = ENGINE.get(path, TOKENS[token], method="POST", body=body,
                                             headers={"Content-Type": content_type})
        self.assertEqual(status, expect, f"{path}: {answer[:300]!r}")
        parsed = json.loads(answer)
        self.api.check(template, status, headers["Content-Type"], parsed, method="post")
        return parsed

    def test_13_facts_and_files_in_answer_as_the_document_says(self):
        time.sleep(1.1)
        head = "小区编号,小区名称,街镇,户数,物业费,封闭类型,房屋类型,日期"
        reg = {"specversion": "1.0", "id": "web-reg-1", "source": "bureau", "type": "jiayuan.community.registered",
               "occurred": "2022-05-01", "data": {"community": "WEB1", "name": "网苑", "street": "sijing",
                                                  "households": 300, "fee": 1.5, "enclosure": "scattered",
                                                  "category": "relocation"}}
        ndjson = (json.dumps(reg, ensure_ascii=False) + "\n{not json\n").encode()
        a = self.post("/v1/events", "/v1/events", ndjson, "application/x-ndjson")
        self.assertEqual([r["status"] for r in a["results"]], ["accepted", "rejected"], a)
        # A CSV, then an Excel workbook written by openpyxl: each row answered by its row number.
        a = self.post("/v1/imports", "/v1/imports?type=community.registered",
                      (head + "\nWEB2,网二苑,sijing,200,1.5,零星,动迁房,2022-05-01\n").encode(), "text/csv")
        self.assertEqual((a["format"], a["encoding"], a["accepted"]), ("csv", "UTF-8", 1), a)
        book = openpyxl.Workbook()
        sheet = book.active
        sheet.title = "小区登记"
        sheet.append(head.split(","))
        sheet.append(["WEB3", "网三苑", "sijing", 250, 1.5, "零星", "动迁房", datetime.date(2022, 5, 1)])
        sheet.append([])
        sheet.append(["WEB4", "网四苑", "sijing", "两百", 1.5, "零星", "动迁房", datetime.date(2022, 5, 1)])
        out = io.BytesIO()
        book.save(out)
        a = self.post("/v1/imports", "/v1/imports?type=community.registered", out.getvalue(),
                      "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        self.assertEqual((a["format"], a["sheet"], a["accepted"], a["rejected"]), ("xlsx", "小区登记", 1, 1), a)
        self.assertEqual([(r["row"], r["status"]) for r in a["rows"]], [(2, "accepted"), (4, "rejected")])
        self.assertIn("data.households", a["rows"][1]["reason"])
        p = self.post("/v1/imports", "/v1/imports?type=nonsense", b"a\n", "text/csv", expect=400)
        self.assertEqual(p["parameter"], "type")
        self.post("/v1/imports", "/v1/imports?type=inspection", b"a\n", "text/csv", token="district", expect=403)
        self.post("/v1/events", "/v1/events", b"x", "text/plain", expect=415)
        # A department's own: who it is, what it may send, the templates, its dead letters.
        me = self.call("/v1/me", "/v1/me", token="sijing-office")
        self.assertEqual((me["scope"], me["department"], me["department_name"]), ("department", "street.sijing", "泗泾镇办事处"))
        mine = {t["name"] for t in self.call("/v1/templates", "/v1/templates", token="sijing-office")["types"]}
        every = {t["name"] for t in self.call("/v1/templates", "/v1/templates", token="bureau")["types"]}
        self.assertIn("community.registered", mine)
        self.assertNotIn("hotline.complaint", mine)
        self.assertIn("street.proposal", mine - every)  # a street office's own, not the bureau's
        self.assertNotIn("fact.retracted", every)
        self.call("/v1/templates/{type}", "/v1/templates/fact.retracted", token="bureau", expect=404)
        status, headers, body = ENGINE.get("/v1/templates/inspection", TOKENS["bureau"])
        self.assertEqual((status, headers["Content-Type"]), (200, "text/csv; charset=utf-8"))
        template = list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")))
        self.assertEqual(template[0][:2], ["日期", "小区编号"])
        # Filled in as it comes, the template is a fact the bureau may send.
        a = self.post("/v1/imports", "/v1/imports?type=inspection", body, "text/csv")
        self.assertEqual((a["accepted"], a["rejected"]), (1, 0), a)
        status, headers, body = ENGINE.get("/v1/templates/survey?format=xlsx", TOKENS["sijing-office"])
        self.assertEqual(status, 200)
        rows = list(openpyxl.load_workbook(io.BytesIO(body)).active.iter_rows(values_only=True))
        self.assertEqual(rows[0][0], "日期")
        self.assertEqual(len(rows), 2)
        dead = self.call("/v1/dead-letters", "/v1/dead-letters", token="bureau")
        self.assertTrue(dead["items"])
        self.assertEqual({d["origin"] for d in dead["items"]}, {"http bureau item 1", "upload row 4"})  # what it sent
        everyone = self.call("/v1/dead-letters", "/v1/dead-letters?limit=1000", token="auditor")
        self.assertGreater(len(everyone["items"]), len(dead["items"]))  # the fixture's bad.ndjson is no one's
        # What came in is folded: the workbook's community is there, by name.
        for _ in range(100):
            status, _, body = ENGINE.json("/v1/communities/WEB3")
            if status == 200:
                break
            time.sleep(0.1)
        self.assertEqual(body["name"], "网三苑")
        for path, ops in self.doc["paths"].items():
            if "post" in ops:
                self.assertIn(path, {t for t, _ in self.api.checked}, f"{path} was not checked")


if __name__ == "__main__":
    unittest.main(verbosity=2)
