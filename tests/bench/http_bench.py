#!/usr/bin/python3
"""HTTP benchmarks against the real `jiayuan` binary: the /v1 query API under wrk at a fixed
concurrency (a single community, a filtered list, as-of queries) and HTTP ingest at batch sizes
1, 100 and 1000. Timing lives here, never in tests.

  tests/bench/http_bench.py --binary build/default/engine/jiayuan --communities 1500 --complaints 500
  tests/bench/http_bench.py --binary build/default/engine/jiayuan --smoke      (CI: checks it runs)

The district is generated, published into a fresh embedded log and folded first; then
`jiayuan run --http` serves it while wrk (Debian's package) loads it from the same machine.
Accepted facts are counted from the engine's own /metrics (jiayuan_facts_total), not from wrk.
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

TOKEN_DISTRICT = "bench-district-token-000001"
TOKEN_HOTLINE = "bench-hotline-token-0000001"

INGEST_LUA = r"""
-- POSTs batches of new hotline complaints (ids unique per thread and request).
local counter = 0
local threads = 0
function setup(thread)
  thread:set("tid", threads)
  threads = threads + 1
end
function init(args)
  batch = tonumber(args[1])
  communities = tonumber(args[2])
  token = args[3]
end
function request()
  local parts = {}
  for i = 1, batch do
    counter = counter + 1
    local c = (counter * 7919 + tid) % communities + 1
    local id = string.format("SJ%05d", c)
    parts[i] = string.format(
      '{"specversion":"1.0","id":"bench-%d-%d","source":"hotline","type":"jiayuan.hotline.complaint",' ..
      '"subject":"%s","occurred":"2023-11-%02d","time":"2023-11-01T09:00:00+08:00","schemaversion":1,' ..
      '"data":{"community":"%s","substantiated":false,"on_time":true}}',
      tid, counter, id, counter % 28 + 1, id)
  end
  return wrk.format("POST", "/v1/events", {["Authorization"] = "Bearer " .. token,
    ["Content-Type"] = "application/cloudevents-batch+json"}, "[" .. table.concat(parts, ",") .. "]")
end
"""


def duration_ms(text):
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    value, unit = float(m.group(1)), m.group(2)
    return value * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def parse_wrk(out):
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    pct = {p: duration_ms(v) for p, v in re.findall(r"^\s+(50|75|90|99)%\s+(\S+)\s*$", out, re.M)}
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    timeouts = re.search(r"timeout (\d+)", errors.group(1)) if errors else None
    total = int(re.search(r"(\d+) requests in", out).group(1))
    return {"rps": rps, "p50_ms": pct.get("50"), "p99_ms": pct.get("99"), "requests": total,
            "non_2xx": int(non2xx.group(1)) if non2xx else 0, "socket_errors": errors.group(1) if errors else "",
            "timeouts": int(timeouts.group(1)) if timeouts else 0}


class Engine:
    def __init__(self, args, workdir):
        self.args = args
        self.data = os.path.join(workdir, "data")
        self.tokens = os.path.join(workdir, "tokens.toml")
        with open(self.tokens, "w") as f:
            f.write(f'[tokens]\n"{TOKEN_DISTRICT}" = {{ scope = "district" }}\n"{TOKEN_HOTLINE}" = "hotline"\n')
        self.err = open(os.path.join(workdir, "engine.err"), "w+")
        self.out = open(os.path.join(workdir, "engine.out"), "w+")
        self.proc = None
        self.base = None

    def jy(self, *argv):
        cmd = [self.args.binary, "--config", self.args.config, "--data-dir", self.data, "--log-level", "warn", *argv]
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode != 0:
            sys.exit(f"http_bench: jiayuan {' '.join(argv)} failed: {r.stderr.strip()}")
        return r

    def start(self):
        self.proc = subprocess.Popen(
            [self.args.binary, "--config", self.args.config, "--data-dir", self.data, "--log-level", "warn",
             "run", "--http", "127.0.0.1:0", "--tokens", self.tokens],
            stdout=self.out, stderr=self.err)
        deadline = time.time() + 120
        while time.time() < deadline and self.base is None:
            self.out.seek(0)
            m = re.search(r"listening on (http://127\.0\.0\.1:\d+)\n", self.out.read())
            if m:
                self.base = m.group(1)
            elif self.proc.poll() is not None:
                break
            else:
                time.sleep(0.05)
        while self.base and time.time() < deadline:
            try:
                with urllib.request.urlopen(self.base + "/readyz") as r:
                    if r.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.1)
        self.err.seek(0)
        sys.exit("http_bench: the engine did not become ready: " + self.err.read())

    def get(self, path):
        req = urllib.request.Request(self.base + path, headers={"Authorization": "Bearer " + TOKEN_DISTRICT})
        with urllib.request.urlopen(req) as r:
            return json.loads(r.read())

    def accepted(self):
        with urllib.request.urlopen(self.base + "/metrics") as r:
            text = r.read().decode()
        m = re.search(r'^jiayuan_facts_total\{outcome="accepted"\} (\S+)$', text, re.M)
        return float(m.group(1)) if m else 0.0

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=60)


def wrk(args, url, token, script=None, script_args=()):
    cmd = ["wrk", "-t", str(args.threads), "-c", str(args.connections), "-d", f"{args.duration}s", "--latency",
           "--timeout", "30s",
           "-H", "Authorization: Bearer " + token]
    cmd += ["-s", script, url, "--", *script_args] if script else [url]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"http_bench: wrk failed: {r.stderr.strip()}")
    return parse_wrk(r.stdout)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary", required=True)
    ap.add_argument("--config", default=os.path.join(os.path.dirname(__file__), "..", "..", "config"))
    ap.add_argument("--communities", type=int, default=1500)
    ap.add_argument("--streets", type=int, default=15)
    ap.add_argument("--complaints", type=int, default=500)
    ap.add_argument("--duration", type=int, default=15, help="seconds per wrk run")
    ap.add_argument("--connections", type=int, default=32)
    ap.add_argument("--threads", type=int, default=2, help="wrk threads")
    ap.add_argument("--smoke", action="store_true", help="a tiny district, 1 s per run (CI)")
    args = ap.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("http_bench: wrk is not installed (scripts/setup installs Debian's wrk)")
    if args.smoke:
        args.communities, args.streets, args.complaints, args.duration, args.connections = 20, 3, 10, 1, 4
    workdir = tempfile.mkdtemp(prefix="jiayuan-http-bench-")
    engine = Engine(args, workdir)
    rows = []
    try:
        facts = os.path.join(workdir, "year.ndjson")
        t = time.time()
        engine.jy("gen", "--communities", str(args.communities), "--streets", str(args.streets), "--complaints",
                  str(args.complaints), "--year", "2023", "--seed", "1", "-o", facts)
        engine.jy("publish", facts)
        os.remove(facts)
        engine.jy("tick", "--date", "2024-06-30")
        engine.jy("run")
        print(f"prepared the district in {time.time() - t:.1f} s", file=sys.stderr)
        engine.start()
        first = engine.get("/v1/communities?year=2023&limit=1")["items"][0]
        community, street = first["community"], first["street"]
        base = engine.base
        queries = [
            ("single community", f"/v1/communities/{community}"),
            ("filtered list", f"/v1/communities?year=2023&street={street}&grade=standard&limit=50"),
            ("as-of: single community", f"/v1/communities/{community}?as_of=2024-01-20"),
            ("as-of: filtered list", f"/v1/communities?year=2023&street={street}&as_of=2024-01-20&limit=50"),
        ]
        for name, path in queries:
            r = wrk(args, base + path, TOKEN_DISTRICT)
            if r["non_2xx"]:
                sys.exit(f"http_bench: {name}: {r['non_2xx']} answers were not 2xx ({path})")
            rows.append({"what": "query: " + name, "path": path, **r})
        script = os.path.join(workdir, "ingest.lua")
        with open(script, "w") as f:
            f.write(INGEST_LUA)
        for batch in (1, 100, 1000):
            before = engine.accepted()
            started = time.time()
            r = wrk(args, base + "/v1/events", TOKEN_HOTLINE,
                    script, [str(batch), str(args.communities), TOKEN_HOTLINE])
            took = time.time() - started
            accepted = engine.accepted() - before
            if r["non_2xx"] or accepted == 0:
                sys.exit(f"http_bench: ingest batch {batch}: {r['non_2xx']} answers not 2xx, {accepted} accepted")
            rows.append({"what": f"ingest: batch {batch}", "facts_per_s": accepted / took, **r})
    finally:
        engine.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    def ms(v):
        return f"{v:8.2f}" if v is not None else f"{'-':>8}"
    print(f"{'figure':28} {'req/s':>10} {'p50 ms':>8} {'p99 ms':>8} {'facts/s':>10} {'requests':>9}")
    for r in rows:
        fps = f"{r['facts_per_s']:10.0f}" if "facts_per_s" in r else " " * 10
        note = f" ({r['timeouts']} timed out after 30 s)" if r["timeouts"] else ""
        print(f"{r['what']:28} {r['rps']:10.1f} {ms(r['p50_ms'])} {ms(r['p99_ms'])} {fps} {r['requests']:9}{note}")
    print(f"wrk: {args.threads} threads, {args.connections} connections, {args.duration} s each; "
          f"{args.communities} communities, {args.complaints} complaints each")
    print("json " + json.dumps(rows))


if __name__ == "__main__":
    main()
