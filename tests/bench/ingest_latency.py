#!/usr/bin/env python3
"""Round-trip latency of HTTP ingest: one fact per POST /v1/events, sent one after another, each
answered once intake has judged it (on Kafka: gateway -> the department's inbox -> intake's
transaction -> its receipt -> the answer). Prints p50, p90, p99 and the slowest.

usage: ingest_latency.py BASE_URL DEPARTMENT_TOKEN [--requests N] [--street STREET]
  e.g. ingest_latency.py http://127.0.0.1:8080 example-bureau-change-me --requests 300
The department must be allowed to register communities (bureau, or a street office).
"""
import argparse
import json
import random
import time
import urllib.request


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("base")
    ap.add_argument("token")
    ap.add_argument("--requests", type=int, default=300)
    ap.add_argument("--street", default="yueyang")
    ap.add_argument("--source", default="bureau")
    a = ap.parse_args()
    run = random.randrange(10**6)
    times = []
    for i in range(a.requests):
        community = "LT%06d%04d" % (run, i)
        fact = {"specversion": "1.0", "id": "lat-%d-%d" % (run, i), "source": a.source,
                "type": "jiayuan.community.registered", "subject": community, "occurred": "2022-01-01",
                "data": {"community": community, "name": "延迟测试", "street": a.street, "households": 10,
                         "fee": 2.0, "enclosure": "closed", "category": "commodity"}}
        req = urllib.request.Request(a.base + "/v1/events", data=json.dumps(fact).encode(), method="POST",
                                     headers={"Authorization": "Bearer " + a.token,
                                              "Content-Type": "application/json"})
        started = time.perf_counter()
        with urllib.request.urlopen(req, timeout=60) as r:
            answer = json.load(r)
        times.append((time.perf_counter() - started) * 1000)
        if answer["results"][0]["status"] != "accepted":
            raise SystemExit("not accepted: %s" % answer)
    times.sort()
    q = lambda p: times[min(len(times) - 1, int(p * len(times)))]
    print("ingest round trip over %d requests: p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, max %.1f ms"
          % (len(times), q(0.50), q(0.90), q(0.99), times[-1]))


if __name__ == "__main__":
    main()
