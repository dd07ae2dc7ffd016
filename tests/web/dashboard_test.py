"""The dashboard in a real browser: Debian's chromium, headless, driven through chromedriver
(python3-selenium). A street supervisor logs in, sees only its street, opens a community and
finds the grade and explanation the API gives. Screenshots go to $JIAYUAN_ARTIFACTS/dashboard."""
import base64
import csv
import datetime
import io
import json
import os
import subprocess
import sys
import time
import unittest

import openpyxl

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.print_page_options import PrintOptions
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait

sys.path.insert(0, os.path.dirname(__file__))
from engine_fixture import TOKENS, Engine  # noqa: E402

ARTIFACTS = os.path.join(os.environ.get("JIAYUAN_ARTIFACTS", "artifacts"), "dashboard")
GRADE_ZH = {"exemplary": "示范", "standard": "规范", "passing": "达标", "failing": "不达标", "unrated": "未评定"}


class DashboardTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        os.makedirs(ARTIFACTS, exist_ok=True)
        cls.engine = Engine(rate_limit=0)
        options = webdriver.ChromeOptions()
        options.binary_location = "/usr/bin/chromium"
        for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--window-size=1280,1000", "--lang=zh-CN"):
            options.add_argument(arg)
        cls.downloads = os.path.join(cls.engine.dir, "downloads")
        os.makedirs(cls.downloads)
        options.add_experimental_option("prefs", {"download.default_directory": cls.downloads,
                                                  "download.prompt_for_download": False})
        cls.browser = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
        cls.wait = WebDriverWait(cls.browser, 20)

    @classmethod
    def tearDownClass(cls):
        cls.browser.quit()
        cls.engine.close()

    def shot(self, name):
        path = os.path.join(ARTIFACTS, name + ".png")
        self.browser.save_screenshot(path)
        self.assertGreater(os.path.getsize(path), 10000, f"{path} looks empty")

    def login(self, token):
        b = self.browser
        b.get(self.engine.base + "/dashboard/")
        self.wait.until(EC.visibility_of_element_located((By.ID, "token"))).send_keys(token)
        b.find_element(By.ID, "login-button").click()

    def test_a_street_supervisor_sees_its_street_and_a_communitys_grade_and_why(self):
        b = self.browser
        self.login(TOKENS["sijing"])
        # Overview: the street's grade mix against the year's targets.
        self.wait.until(EC.visibility_of_element_located((By.ID, "mix-chart")))
        self.assertEqual(b.find_element(By.ID, "who").text, "泗泾镇 街镇监管")
        rows = b.find_elements(By.CSS_SELECTOR, "#targets tr")
        self.assertEqual([r.find_elements(By.TAG_NAME, "td")[0].text for r in rows[1:]], ["全区", "泗泾镇"])
        self.assertIn("年度目标", b.find_element(By.ID, "overview").text)
        self.shot("1-overview-sijing")

        # The community list holds the street's communities only.
        b.find_element(By.LINK_TEXT, "小区名录").click()
        self.wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "#communities tr.link")))
        listed = b.find_elements(By.CSS_SELECTOR, "#communities tr.link")
        streets = {r.get_attribute("data-street") for r in listed}
        self.assertEqual(streets, {"sijing"})
        _, _, api = self.engine.json("/v1/communities?year=2023&limit=500&street=sijing")
        self.assertEqual(len(listed), api["total"])
        self.shot("2-communities-sijing")

        # Filter by grade: only 不达标 communities remain.
        failing = [c for c in api["items"] if c["grade"] == "failing"]
        b.get(self.engine.base + "/dashboard/#/communities?grade=failing")
        self.wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#communities tr.link")) == len(failing))
        for badge in b.find_elements(By.CSS_SELECTOR, "#communities .grade"):
            self.assertEqual(badge.get_attribute("data-grade"), "failing")

        # Open a rated community: grade and explanation as the API has them.
        rated = next(c for c in (failing or api["items"]) if c["final_score"])
        b.get(self.engine.base + "/dashboard/#/communities")
        self.wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#communities tr.link")) == api["total"])
        b.find_element(By.CSS_SELECTOR, f'#communities tr[data-community="{rated["community"]}"]').click()
        grade = self.wait.until(EC.visibility_of_element_located((By.ID, "grade")))
        self.assertIn(GRADE_ZH[rated["grade"]], grade.text)
        self.assertEqual(b.find_element(By.CSS_SELECTOR, ".final-score").text, rated["final_score"])
        text = b.find_element(By.CSS_SELECTOR, ".explanation").text
        self.assertIn("等级线", text)
        self.assertIn("服务得分", text)
        self.assertIn("规则集 songjiang-2022-134", text)
        if rated["grade"] == "failing":
            self.assertIn("约谈", b.find_element(By.ID, "timeline").text)
        self.shot("3-community-" + rated["community"])

        # Another street's community, asked for by address, is refused with the reason.
        _, _, everyone = self.engine.json("/v1/communities?year=2023&limit=500")
        other = next(c["community"] for c in everyone["items"] if c["street"] != "sijing")
        b.get(self.engine.base + "/dashboard/#/community/" + other)
        error = self.wait.until(EC.visibility_of_element_located((By.ID, "error")))
        self.assertIn("reads street sijing only", error.text)
        self.shot("4-other-street-refused")

    def downloaded(self, name):
        path = os.path.join(self.downloads, name)
        for _ in range(200):
            if os.path.exists(path) and not os.path.exists(path + ".crdownload"):
                with open(path, "rb") as f:
                    return f.read()
            time.sleep(0.05)
        self.fail(f"{name} was not downloaded: {os.listdir(self.downloads)}")

    def test_c_a_street_office_downloads_its_lists_and_prints_the_public_list_to_a4_pdf(self):
        b = self.browser
        b.get(self.engine.base + "/dashboard/")
        b.execute_script("sessionStorage.clear()")
        self.login(TOKENS["sijing"])
        self.wait.until(EC.visibility_of_element_located((By.ID, "mix-chart")))
        # The community list's buttons save what the API downloads for the same token and filters.
        b.get(self.engine.base + "/dashboard/#/communities?grade=passing")
        self.wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "#communities tr.link")))
        b.find_element(By.CSS_SELECTOR, 'button.download[data-format="csv"]').click()
        saved = self.downloaded("communities-2023.csv")
        _, _, api = self.engine.get("/v1/communities?year=2023&grade=passing&format=csv", TOKENS["sijing"])
        self.assertEqual(saved, api)
        rows = list(csv.DictReader(io.StringIO(saved.decode("utf-8-sig"), newline="")))
        self.assertTrue(rows and {r["街镇"] for r in rows} == {"泗泾镇"} and {r["等级"] for r in rows} == {"达标"})
        b.find_element(By.LINK_TEXT, "逾期事项").click()
        self.wait.until(EC.visibility_of_element_located((By.ID, "cases")))
        b.find_element(By.CSS_SELECTOR, 'button.download[data-format="xlsx"]').click()
        _, _, cases = self.engine.json("/v1/cases?limit=1000", token="sijing")
        book = openpyxl.load_workbook(io.BytesIO(self.downloaded(f"cases-{cases['as_of']}.xlsx"))).active
        self.assertEqual(book.max_row - 1, cases["total"])
        self.shot("8-cases-download-sijing")

        # The public list: the street's published ratings, by name, on A4.
        b.find_element(By.LINK_TEXT, "结果公示").click()
        table = self.wait.until(EC.visibility_of_element_located((By.ID, "public-table")))
        _, _, listed = self.engine.json("/v1/communities?year=2023&limit=500", token="sijing")
        published = [c for c in listed["items"] if c["published_on"] and c["grade"] != "unrated"]
        shown = table.find_elements(By.CSS_SELECTOR, "tbody tr")
        self.assertEqual([r.get_attribute("data-community") for r in shown], [c["community"] for c in published])
        self.assertGreater(len(published), 0)
        first = shown[0].find_elements(By.TAG_NAME, "td")
        self.assertEqual([td.text for td in first[1:]],
                         [published[0]["name"], published[0]["community"], "泗泾镇",
                          published[0]["company_name"] or published[0]["company"], published[0]["grade_zh"]])
        title = b.find_element(By.CSS_SELECTOR, ".public-title").text
        self.assertEqual(title, "松江区泗泾镇 2023 年度住宅小区物业服务评定结果公示")
        self.shot("9-public-list-sijing")
        pdf = base64.b64decode(b.print_page(self.a4()))
        path = os.path.join(ARTIFACTS, "public-list-sijing.pdf")
        with open(path, "wb") as f:
            f.write(pdf)
        text = subprocess.run(["pdftotext", "-layout", path, "-"], capture_output=True, text=True, check=True).stdout
        info = subprocess.run(["pdfinfo", path], capture_output=True, text=True, check=True).stdout
        self.assertRegex(info, r"Page size:\s+595(\.\d+)? x 841(\.\d+)? pts \(A4\)")
        self.assertIn("年度住宅小区物业服务评定结果公示", text)
        self.assertIn("沪松府〔2022〕134号", text)
        self.assertIn("公布日期：" + published[0]["published_on"], text)
        for c in published:  # every published community, by name and grade
            line = next((l for l in text.splitlines() if c["community"] in l), "")
            self.assertIn(c["name"], line, c)
            self.assertIn(c["grade_zh"], line, c)
        for word in ("退出", "下载", "打印"):  # the page's controls are not printed
            self.assertNotIn(word, text)

    def text_of(self, element_id):
        """The element's text now (read in the page: no stale handle while it is being replaced)."""
        return self.browser.execute_script(
            "const e = document.getElementById(arguments[0]); return e ? e.innerText : ''", element_id)

    def a4(self):
        options = PrintOptions()
        options.page_width = 21.0
        options.page_height = 29.7
        options.background = True
        return options

    def test_the_district_supervisor_sees_company_standings_and_overdue_cases(self):
        b = self.browser
        b.get(self.engine.base + "/dashboard/")
        b.execute_script("sessionStorage.clear()")
        self.login(TOKENS["district"])
        self.wait.until(EC.visibility_of_element_located((By.ID, "mix-chart")))
        rows = b.find_elements(By.CSS_SELECTOR, "#targets tr")
        self.assertEqual(len(rows), 1 + 1 + 3)  # header, district, three streets
        b.find_element(By.LINK_TEXT, "物业服务企业").click()
        top = self.wait.until(EC.visibility_of_element_located((By.ID, "top-ten")))
        _, _, awards = self.engine.json("/v1/awards?year=2023")
        self.assertEqual(len(top.find_elements(By.TAG_NAME, "tr")) - 1, len(awards["top_ten"]))
        if awards["top_ten"]:  # names beside ids (jiayuan.company.registered)
            first = awards["top_ten"][0]
            self.assertTrue(first["company_name"], first)
            cell = top.find_elements(By.CSS_SELECTOR, "td.company")[0].text
            self.assertIn(first["company_name"], cell)
            self.assertIn(first["company"], cell)
        self.shot("5-companies")
        # A company's page: its standing, its projects with their grades, its years.
        _, _, standings = self.engine.json("/v1/companies?year=2023&limit=1000")
        best = next(c for c in standings["items"] if c["eligible"]) if awards["top_ten"] else standings["items"][0]
        b.find_element(By.CSS_SELECTOR, f'#companies tr[data-company="{best["company"]}"]').click()
        page = self.wait.until(EC.visibility_of_element_located((By.ID, "company-page")))
        self.assertIn(best["company_name"], page.text)
        self.assertIn("综合得分 " + str(best["composite"]), page.text)
        _, _, everyone = self.engine.json("/v1/communities?year=2023&limit=500")
        mine = [c for c in everyone["items"] if c["company"] == best["company"]]
        shown = b.find_elements(By.CSS_SELECTOR, "#projects tr[data-community]")
        self.assertEqual([r.get_attribute("data-community") for r in shown], [c["community"] for c in mine])
        for row, c in zip(shown, mine):
            self.assertEqual(row.find_element(By.CSS_SELECTOR, ".grade").get_attribute("data-grade"), c["grade"])
        self.assertEqual(b.find_elements(By.CSS_SELECTOR, "#history tr")[1].find_element(By.TAG_NAME, "td").text, "2023")
        self.shot("5b-company-" + best["company"])
        b.get(self.engine.base + "/dashboard/#/companies")
        self.wait.until(EC.visibility_of_element_located((By.ID, "top-ten")))
        b.find_element(By.LINK_TEXT, "逾期事项").click()
        cases = self.wait.until(EC.visibility_of_element_located((By.ID, "cases")))
        _, _, api = self.engine.json("/v1/cases?limit=1000")
        self.assertEqual(len(cases.find_elements(By.TAG_NAME, "tr")) - 1, api["total"])
        self.shot("6-overdue-cases")

    def test_y_a_street_office_uploads_a_gbk_csv_and_an_xlsx_and_sees_each_rows_fate(self):
        b = self.browser
        b.get(self.engine.base + "/dashboard/")
        b.execute_script("sessionStorage.clear(); localStorage.clear()")
        self.login(TOKENS["sijing-office"])
        page = self.wait.until(EC.visibility_of_element_located((By.ID, "upload")))
        self.assertEqual(b.find_element(By.ID, "who").text, "泗泾镇办事处 数据报送")
        self.assertEqual([a.text for a in b.find_elements(By.CSS_SELECTOR, "nav a") if a.is_displayed()], ["数据报送"])
        # Only what it may send; registrations chosen, and their template downloaded.
        types = [o.get_attribute("value") for o in b.find_elements(By.CSS_SELECTOR, "#fact-type option")]
        self.assertIn("community.registered", types)
        self.assertNotIn("hotline.complaint", types)  # the hotline's, not a street office's
        Select(b.find_element(By.ID, "fact-type")).select_by_value("community.registered")
        self.wait.until(lambda d: "小区编号" in d.find_element(By.ID, "upload").text)
        b.find_element(By.CSS_SELECTOR, '#upload button.download[data-format="csv"]').click()
        template = list(csv.reader(io.StringIO(self.downloaded("template-community.registered.csv").decode("utf-8-sig"))))
        self.assertEqual(template[0][:3], ["日期", "小区编号", "小区名称"])
        self.assertIn("sijing", template[1])

        head = "小区编号,小区名称,街镇,户数,物业费,封闭类型,房屋类型,日期\r\n"
        gbk = os.path.join(self.engine.dir, "泗泾登记.csv")
        with open(gbk, "wb") as f:  # as Excel saves a CSV on a Chinese Windows machine
            f.write((head + "WEBG1,泗泾花苑,sijing,320,1.8,封闭,商品房,2022-05-01\r\n"
                            "WEBG2,泗泾雅苑,sijing,很多,1.8,封闭,商品房,2022-05-01\r\n").encode("gb18030"))
        b.find_element(By.ID, "file").send_keys(gbk)
        b.find_element(By.ID, "upload-button").click()
        summary = self.wait.until(EC.visibility_of_element_located((By.ID, "upload-summary")))
        self.assertIn("GB18030，自动识别", summary.text)
        self.assertIn("接收 1 行", summary.text)
        rows = {r.get_attribute("data-row"): r for r in b.find_elements(By.CSS_SELECTOR, "#upload-report tr[data-row]")}
        self.assertEqual(rows["2"].get_attribute("data-status"), "accepted")
        self.assertEqual(rows["3"].get_attribute("data-status"), "rejected")
        self.assertIn("data.households", rows["3"].text)
        self.assertIn("很多", rows["3"].text)
        self.shot("10-upload-gbk-csv")
        b.find_element(By.ID, "report-download").click()
        report = self.downloaded("泗泾登记-导入报告.csv").decode("utf-8-sig")
        self.assertIn("被拒收", report)

        book = openpyxl.Workbook()
        sheet = book.active
        sheet.title = "登记"
        sheet.append(head.strip().split(","))
        sheet.append(["WEBX1", "泗泾锦苑", "sijing", 410, 2.2, "零星", "动迁房", datetime.date(2022, 6, 1)])
        sheet.append(["WEBX2", "泗泾绿苑", "sijing", 200, "贵", "零星", "动迁房", datetime.date(2022, 6, 1)])
        xlsx = os.path.join(self.engine.dir, "泗泾登记.xlsx")
        book.save(xlsx)
        b.find_element(By.ID, "file").send_keys(xlsx)
        b.find_element(By.ID, "upload-button").click()
        self.wait.until(lambda d: "工作表“登记”" in self.text_of("upload-summary"))
        rows = {r.get_attribute("data-row"): r for r in b.find_elements(By.CSS_SELECTOR, "#upload-report tr[data-row]")}
        self.assertEqual(rows["2"].get_attribute("data-status"), "accepted")
        self.assertIn("data.fee", rows["3"].text)
        # Its rejected rows are in its dead letters (refreshed after the upload); its recent uploads are listed.
        self.wait.until(lambda d: "data.fee" in self.text_of("dead-letters"))
        self.assertIn("upload row 3", self.text_of("dead-letters"))
        self.assertIn("data.households", self.text_of("dead-letters"))
        self.assertEqual(b.execute_script("return document.querySelectorAll('#recent tr').length") - 1, 2)
        self.shot("11-upload-xlsx")

        # The accepted rows are in the communities' pages, for the street's supervisor.
        for community in ("WEBG1", "WEBX1"):
            for _ in range(100):
                if self.engine.json("/v1/communities/" + community)[0] == 200:
                    break
                time.sleep(0.1)
        b.find_element(By.ID, "logout").click()
        self.login(TOKENS["sijing"])
        self.wait.until(EC.visibility_of_element_located((By.ID, "mix-chart")))
        for community, name in (("WEBG1", "泗泾花苑"), ("WEBX1", "泗泾锦苑")):
            b.get(self.engine.base + "/dashboard/#/community/" + community)
            card = self.wait.until(EC.visibility_of_element_located((By.CSS_SELECTOR, f'#community[data-community="{community}"]')))
            self.assertIn(name, card.text)
        self.shot("12-uploaded-community")

    def test_z_a_grade_revised_after_publication_shows_its_revision_on_the_community_page(self):
        # The bureau retracts one of its inspections of a rated community (run last: it changes the data).
        _, _, listed = self.engine.json("/v1/communities?year=2023&limit=500")
        rated = {c["community"] for c in listed["items"] if c["grade"] != "unrated"}
        with open(os.path.join(self.engine.dir, "facts.ndjson")) as f:
            facts = [json.loads(line) for line in f]
        inspection = next(e for e in facts if e["source"] == "bureau" and e["type"] == "jiayuan.inspection"
                          and e["data"]["community"] in rated)
        target = inspection["data"]["community"]
        retraction = {"specversion": "1.0", "id": "retract-" + inspection["id"], "source": "bureau",
                      "type": "jiayuan.fact.retracted", "occurred": "2024-07-02",
                      "data": {"id": inspection["id"], "reason": "scored against the wrong community"}}
        status, _, body = self.engine.get("/v1/events", TOKENS["bureau"], method="POST",
                                          body=json.dumps(retraction).encode(),
                                          headers={"Content-Type": "application/cloudevents+json"})
        self.assertEqual(status, 200, body[:300])
        for _ in range(200):
            _, _, r = self.engine.json("/v1/revisions?since=2024-07-02")
            if r["total"] > 0:
                break
            time.sleep(0.05)
        self.assertGreater(r["total"], 0)
        b = self.browser
        b.get(self.engine.base + "/dashboard/")
        b.execute_script("sessionStorage.clear()")
        self.login(TOKENS["district"])
        self.wait.until(EC.visibility_of_element_located((By.ID, "mix-chart")))
        b.get(self.engine.base + "/dashboard/#/community/" + target)
        badge = self.wait.until(EC.visibility_of_element_located((By.ID, "revised-badge")))
        self.assertIn("公开后更正", badge.text)
        self.assertIn("公开时：", badge.text)  # as published, beside now
        self.assertIn("现在：", badge.text)
        shown = b.find_element(By.ID, "revisions")
        b.execute_script("arguments[0].scrollIntoView()", shown)
        self.assertIn(retraction["id"], shown.text)
        self.assertIn("2024-07-02", shown.text)
        self.assertIn("公开后更正", shown.text)
        self.shot("7-revised-" + target)


if __name__ == "__main__":
    unittest.main(verbosity=2)
