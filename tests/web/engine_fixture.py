"""The demo district served by the real `jiayuan` binary over HTTP on loopback, for the API and
dashboard tests: generate, publish, tick, then `run --http 127.0.0.1:0` folds it and serves."""
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

BINARY = os.environ["JIAYUAN_BINARY"]
CONFIG = os.environ["JIAYUAN_TEST_CONFIG_DIR"]

TOKENS = {
    "district": "district-supervisor-token-0001",
    "sijing": "sijing-supervisor-token-0001",
    "auditor": "auditor-token-000000000001",
    "rate": "rate-limited-token-00000001",
    "bureau": "bureau-department-token-0001",
    "sijing-office": "sijing-office-token-00000001",
}


class Engine:
    def __init__(self, rate_limit=40):
        self.dir = tempfile.mkdtemp(prefix="jiayuan-web-")
        self.data = os.path.join(self.dir, "data")
        tokens = os.path.join(self.dir, "tokens.toml")
        with open(tokens, "w") as f:
            f.write("[tokens]\n")
            f.write(f'"{TOKENS["district"]}" = {{ scope = "district" }}\n')
            f.write(f'"{TOKENS["sijing"]}" = {{ scope = "street", street = "sijing" }}\n')
            f.write(f'"{TOKENS["auditor"]}" = {{ scope = "auditor" }}\n')
            f.write(f'"{TOKENS["rate"]}" = {{ scope = "auditor" }}\n')
            f.write(f'"{TOKENS["bureau"]}" = "bureau"\n')
            f.write(f'"{TOKENS["sijing-office"]}" = "street.sijing"\n')
        facts = os.path.join(self.dir, "facts.ndjson")
        # The demo district of scripts/demo.
        self.jy("gen", "--communities", "100", "--streets", "3", "--year", "2023", "--seed", "20231", "-o", facts)
        self.jy("publish", facts)
        with open(os.path.join(self.dir, "bad.ndjson"), "w") as f:
            f.write('{"not": "an event"}\n')
        self.jy("publish", os.path.join(self.dir, "bad.ndjson"), check=False)  # one dead letter
        self.jy("tick", "--date", "2024-06-30")
        self.out = open(os.path.join(self.dir, "out"), "w+")
        self.err = open(os.path.join(self.dir, "err"), "w+")
        self.proc = subprocess.Popen(
            [BINARY, "--config", CONFIG, "--data-dir", self.data, "--log-level", "warn", "run",
             "--http", "127.0.0.1:0", "--tokens", tokens, "--rate-limit", str(rate_limit)],
            stdout=self.out, stderr=self.err)
        self.base = None
        for _ in range(400):
            self.out.seek(0)
            m = re.search(r"listening on (http://127\.0\.0\.1:\d+)\n", self.out.read())
            if m:
                self.base = m.group(1)
                break
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        if self.base is None:
            self.err.seek(0)
            raise RuntimeError("jiayuan run --http did not start: " + self.err.read())
        for _ in range(400):
            if self.get("/readyz")[0] == 200:
                break
            time.sleep(0.05)
        else:
            raise RuntimeError("not ready after 20 s")

    @property
    def command(self):
        """The CLI on this engine's data (to which a subcommand is appended)."""
        return [BINARY, "--config", CONFIG, "--data-dir", self.data, "--log-level", "warn"]

    def jy(self, *args, check=True):
        r = subprocess.run([*self.command, *args],
                           capture_output=True, text=True)
        if check and r.returncode != 0:
            raise RuntimeError(f"jiayuan {' '.join(args)}: {r.stderr}")
        return r

    def get(self, path, token=None, method="GET", body=None, headers=None, patient=None):
        """One request. A 429 of the rate limiter (--rate-limit, per token) is waited out as its
        Retry-After says and the request made again, except with the token of the test that checks
        the limiter itself (patient=False, the default for that token): the other tests ask about
        answers, not about how fast they ask."""
        if patient is None:
            patient = token != TOKENS["rate"]
        for _ in range(10):
            status, got, read = self._once(path, token, method, body, headers)
            if status != 429 or not patient:
                break
            time.sleep(float(got.get("Retry-After", "1")))
        return status, got, read

    def _once(self, path, token, method, body, headers):
        req = urllib.request.Request(self.base + path, method=method, data=body)
        if token:
            req.add_header("Authorization", "Bearer " + token)
        for k, v in (headers or {}).items():
            req.add_header(k, v)
        try:
            with urllib.request.urlopen(req, timeout=30) as res:
                return res.status, dict(res.headers), res.read()
        except urllib.error.HTTPError as e:
            return e.code, dict(e.headers), e.read()

    def json(self, path, token="district"):
        status, headers, body = self.get(path, TOKENS[token])
        return status, headers, json.loads(body)

    def close(self):
        self.proc.terminate()
        self.proc.wait(timeout=30)
        shutil.rmtree(self.dir, ignore_errors=True)
