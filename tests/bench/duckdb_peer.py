#!/usr/bin/python3
"""What a district auditor would pick instead: DuckDB grading the same year from the same NDJSON
file, beside jiayuan taking the same file to the same grades (issue 17, "the peer in the suite").

  tests/bench/duckdb_peer.py --binary build/default/engine/jiayuan --communities 1500 --complaints 650
  tests/bench/duckdb_peer.py --binary build/release/engine/jiayuan --ndjson year.ndjson --year 2023

Bench-only: DuckDB comes from PyPI into a virtual environment this script makes (default
build/bench-venv); nothing of it is a dependency of the product or of the test command.

The year is generated with `jiayuan gen` (or given with --ndjson). jiayuan is timed from the
file to the grades: `jiayuan publish` (validation, authority, dedupe, the durable log) then
`jiayuan run` (every stage, decisions, projections). The peer is timed loading the file
(`read_json`, typed columns) and running one grading query that follows DOMAIN.md's precise
definitions for the grade: the service score (weights from config/rules, the no-survey rule,
exact hundredths rounded half up), capped deductions, the fee tier on the rating date, the
vetoes in their order (major incident, too few inspections, an objection dated on or before the
review), retractions, facts dated before their community's registration. Before any time is
reported, every community's grade and final score from the peer are compared with jiayuan's
(`jiayuan query communities --json`); a difference stops the script (exit 1).

What the peer does not do, and jiayuan does: schema validation, authority, dedupe, the hash
chain, decisions, the failing-case lifecycle, awards, as-of versions, a durable log.
"""
import argparse
import collections
import json
import os
import subprocess
import sys
import tempfile
import time
import tomllib

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))


def ensure_duckdb(venv):
    """Re-runs this script under a virtual environment with DuckDB from PyPI when needed."""
    try:
        import duckdb  # noqa: F401
        return
    except ImportError:
        pass
    python = os.path.join(venv, "bin", "python3")
    if os.environ.get("JIAYUAN_PEER_VENV") == venv:
        sys.exit(f"duckdb_peer: DuckDB is not importable in {venv}")
    if not os.path.exists(python):
        print(f"duckdb_peer: making {venv} with DuckDB from PyPI", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", venv], check=True)
        subprocess.run([python, "-m", "pip", "install", "--quiet", "duckdb"], check=True)
    env = dict(os.environ, JIAYUAN_PEER_VENV=venv)
    os.execve(python, [python, os.path.abspath(__file__), *sys.argv[1:]], env)


def hundredths(value):
    return int(round(float(value) * 100))


def rules_for(config, year):
    """The rule set in force for the year's window, as the numbers the query needs."""
    rules_dir = os.path.join(config, "rules")
    for name in sorted(os.listdir(rules_dir)):
        with open(os.path.join(rules_dir, name), "rb") as f:
            r = tomllib.load(f)
        for y in r.get("years", []):
            if y["year"] == year:
                return r, str(y["from"]), str(y["to"])
    sys.exit(f"duckdb_peer: no rule set in {rules_dir} has the year {year}")


COLUMNS = """{
  'id': 'VARCHAR', 'source': 'VARCHAR', 'type': 'VARCHAR', 'occurred': 'DATE',
  'data': 'STRUCT(id VARCHAR, community VARCHAR, "year" INTEGER, fee DECIMAL(18,2),
                  enclosure VARCHAR, severity VARCHAR, stance VARCHAR, substantiated BOOLEAN,
                  on_time BOOLEAN, passed BOOLEAN, points INTEGER, satisfaction DECIMAL(18,2),
                  scores STRUCT(basic_management DECIMAL(18,2), cleaning DECIMAL(18,2),
                                security_patrol DECIMAL(18,2), "order" DECIMAL(18,2),
                                greening DECIMAL(18,2), equipment DECIMAL(18,2)))'
}"""


def grading_sql(rules, year, first_day, rating_day):
    w = rules["score"]["weights"]
    d = rules["deductions"]
    t = rules["tiers"]
    dims = ["basic_management", "cleaning", "security_patrol", "order", "greening", "equipment"]
    dim_weight_sum = sum(w[k] for k in dims)
    dims_num = " + ".join(f"{w[k]} * s_{k}" for k in dims)
    boundary = hundredths(t["fee_boundary"])
    unnamed = t["unnamed_combination"]

    def cap(kind, count):
        return f"least({count} * {hundredths(d[kind]['per_item'])}, {hundredths(d[kind]['cap'])})"

    def threshold(level):
        return "CASE tier " + " ".join(
            f"WHEN '{k}' THEN {hundredths(t[k][level])}" for k in ("T1", "T2", "T3")) + " END"

    f = d["finding"]
    score_sums = ",\n    ".join(
        f"CAST(sum(data.scores.\"{k}\" * 100) FILTER (WHERE type = 'jiayuan.inspection') AS BIGINT) AS s_{k}"
        for k in dims)
    return f"""
WITH
retracted AS (  -- a retraction counts only from the fact's own source
  SELECT DISTINCT f.source, f.id FROM facts r JOIN facts f ON f.source = r.source AND f.id = r.data.id
  WHERE r.type = 'jiayuan.fact.retracted'
    AND f.type NOT IN ('jiayuan.community.registered', 'jiayuan.community.changed',
                       'jiayuan.fee.adjusted', 'jiayuan.contract.assigned',
                       'jiayuan.company.registered', 'jiayuan.fact.retracted')),
live AS (
  SELECT f.* FROM facts f ANTI JOIN retracted x ON f.source = x.source AND f.id = x.id),
registry AS (   -- on one date a registration comes before a change: the 0/1 in the key
  SELECT data.community AS community, occurred, data.fee AS fee, data.enclosure AS enclosure,
         (strftime(occurred, '%Y-%m-%d') || CASE type WHEN 'jiayuan.community.registered' THEN '0' ELSE '1' END
          || source || chr(1) || id) AS k, type
  FROM live WHERE type IN ('jiayuan.community.registered', 'jiayuan.community.changed', 'jiayuan.fee.adjusted')
    AND occurred <= DATE '{rating_day}'),
community AS (
  SELECT community,
         min(occurred) FILTER (WHERE type = 'jiayuan.community.registered') AS registered,
         arg_max(fee, k) FILTER (WHERE fee IS NOT NULL) AS fee,
         arg_max(enclosure, k) FILTER (WHERE enclosure IS NOT NULL) AS enclosure
  FROM registry GROUP BY community),
tiered AS (
  SELECT community, registered,
         CASE WHEN fee * 100 >= {boundary} AND enclosure = 'closed' THEN 'T1'
              WHEN fee * 100 < {boundary} AND enclosure = 'closed' THEN 'T2'
              WHEN fee * 100 < {boundary} THEN 'T3' ELSE '{unnamed}' END AS tier
  FROM community WHERE registered IS NOT NULL),
review AS (     -- the grade is decided at the first review close, R
  SELECT data.community AS community, min(occurred) AS r FROM live
  WHERE type = 'jiayuan.review.closed' AND data."year" = {year} GROUP BY 1),
objection AS (  -- a department's latest opinion dated on or before R
  SELECT community, bool_or(stance = 'object') AS objected FROM (
    SELECT o.data.community AS community, o.source,
           arg_max(o.data.stance, strftime(o.occurred, '%Y-%m-%d') || o.source || chr(1) || o.id) AS stance
    FROM live o JOIN review v ON v.community = o.data.community
    WHERE o.type = 'jiayuan.department.opinion' AND o.data."year" = {year} AND o.occurred <= v.r
    GROUP BY 1, 2) GROUP BY 1),
evidence AS (   -- the year's evaluation facts, dated on or after their community's registration
  SELECT e.* FROM live e JOIN tiered c ON c.community = e.data.community
  WHERE e.occurred BETWEEN DATE '{first_day}' AND DATE '{rating_day}' AND e.occurred >= c.registered),
sums AS (
  SELECT data.community AS community,
    count(*) FILTER (WHERE type = 'jiayuan.inspection') AS n,
    {score_sums},
    count(*) FILTER (WHERE type = 'jiayuan.survey') AS m,
    CAST(sum(data.satisfaction * 100) FILTER (WHERE type = 'jiayuan.survey') AS BIGINT) AS sat,
    count(*) FILTER (WHERE type = 'jiayuan.hotline.complaint' AND data.substantiated) AS hot_sub,
    count(*) FILTER (WHERE type = 'jiayuan.hotline.complaint' AND NOT data.on_time) AS hot_late,
    count(*) FILTER (WHERE type = 'jiayuan.petition' AND data.substantiated) AS pet,
    coalesce(sum(data.points) FILTER (WHERE type = 'jiayuan.credit.points'), 0) AS credit,
    count(*) FILTER (WHERE type = 'jiayuan.finding' AND data.severity = 'minor') AS f_minor,
    count(*) FILTER (WHERE type = 'jiayuan.finding' AND data.severity = 'serious') AS f_serious,
    count(*) FILTER (WHERE type = 'jiayuan.finding' AND data.severity = 'major') AS f_major,
    count(*) FILTER (WHERE type = 'jiayuan.spot.check' AND NOT data.passed) AS spot_failed,
    count(*) FILTER (WHERE type = 'jiayuan.safety.incident' AND data.severity = 'major') AS major
  FROM evidence GROUP BY 1),
scored AS (
  SELECT v.community, c.tier, coalesce(s.n, 0) AS n, coalesce(s.major, 0) AS major,
    coalesce(o.objected, false) AS objected,
    CASE WHEN coalesce(s.n, 0) = 0 THEN NULL
         WHEN s.m = 0 THEN ((2 * ({dims_num}) + s.n * {dim_weight_sum}) // (2 * s.n * {dim_weight_sum}))
         ELSE ((2 * (s.m * ({dims_num}) + s.n * {w['satisfaction']} * s.sat) + s.n * s.m * {dim_weight_sum + w['satisfaction']})
               // (2 * s.n * s.m * {dim_weight_sum + w['satisfaction']})) END AS service,
    {cap('hotline_substantiated', 'coalesce(s.hot_sub, 0)')} + {cap('hotline_late', 'coalesce(s.hot_late, 0)')}
    + {cap('petition_substantiated', 'coalesce(s.pet, 0)')} + {cap('credit_point', 'coalesce(s.credit, 0)')}
    + least(coalesce(s.f_minor, 0) * {hundredths(f['minor'])} + coalesce(s.f_serious, 0) * {hundredths(f['serious'])}
            + coalesce(s.f_major, 0) * {hundredths(f['major'])}, {hundredths(f['cap'])})
    + {cap('spot_check_failed', 'coalesce(s.spot_failed, 0)')} AS deductions
  FROM review v JOIN tiered c ON c.community = v.community
  LEFT JOIN sums s ON s.community = v.community LEFT JOIN objection o ON o.community = v.community),
graded AS (
  SELECT community, CASE WHEN service IS NOT NULL THEN greatest(service - deductions, 0) END AS final,
    CASE WHEN major > 0 THEN 'failing'
         WHEN n < {rules['score']['minimum_inspections']} THEN 'unrated'
         WHEN greatest(service - deductions, 0) >= {threshold('exemplary')} AND NOT objected THEN 'exemplary'
         WHEN greatest(service - deductions, 0) >= {threshold('standard')} THEN 'standard'
         WHEN greatest(service - deductions, 0) >= {threshold('passing')} THEN 'passing'
         ELSE 'failing' END AS grade
  FROM scored)
SELECT community, grade, final FROM graded ORDER BY community
"""


def run_peer(ndjson, rules, year, first_day, rating_day, threads):
    import duckdb
    con = duckdb.connect()
    con.execute(f"SET threads = {threads}")
    started = time.perf_counter()
    con.execute(f"CREATE TABLE facts AS SELECT * FROM read_json(?, format = 'newline_delimited', "
                f"columns = {COLUMNS})", [ndjson])
    loaded = time.perf_counter()
    rows = con.execute(grading_sql(rules, year, first_day, rating_day)).fetchall()
    done = time.perf_counter()
    return rows, loaded - started, done - loaded


def jy(args, data, *argv):
    cmd = [args.binary, "--config", args.config, "--data-dir", data, "--log-level", "warn", *argv]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode not in (0, 1):
        sys.exit(f"duckdb_peer: jiayuan {' '.join(argv)} failed ({r.returncode}): {r.stderr.strip()}")
    return r


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary", required=True)
    ap.add_argument("--config", default=os.path.join(ROOT, "config"))
    ap.add_argument("--ndjson", help="a year's facts; default: generate one with jiayuan gen")
    ap.add_argument("--communities", type=int, default=1500)
    ap.add_argument("--streets", type=int, default=15)
    ap.add_argument("--complaints", type=int, default=650)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--year", type=int, default=2023)
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1, help="DuckDB's threads")
    ap.add_argument("--dir", help="work directory (default: a new temporary one)")
    ap.add_argument("--venv", default=os.path.join(ROOT, "build", "bench-venv"))
    ap.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    args = ap.parse_args()
    ensure_duckdb(args.venv)

    work = args.dir or tempfile.mkdtemp(prefix="jiayuan-duckdb-peer-")
    os.makedirs(work, exist_ok=True)
    data = os.path.join(work, "data")
    if os.path.exists(data):
        sys.exit(f"duckdb_peer: {data} exists; give a new --dir")
    ndjson = args.ndjson
    if not ndjson:
        ndjson = os.path.join(work, "year.ndjson")
        jy(args, data, "gen", "--communities", str(args.communities), "--streets", str(args.streets),
           "--complaints", str(args.complaints), "--year", str(args.year), "--seed", str(args.seed), "-o", ndjson)
    with open(ndjson, "rb") as f:
        facts = sum(1 for _ in f)
    size = os.path.getsize(ndjson)
    print(f"duckdb_peer: {facts:,} facts, {size / 1e6:.0f} MB in {ndjson}", file=sys.stderr)

    t0 = time.perf_counter()
    jy(args, data, "publish", ndjson)
    t1 = time.perf_counter()
    jy(args, data, "run")
    t2 = time.perf_counter()
    ours = {i["community"]: (i["grade"], i.get("final_score"))
            for i in json.loads(jy(args, data, "query", "communities", "--year", str(args.year), "--json").stdout)["items"]}

    rules, first_day, rating_day = rules_for(args.config, args.year)
    rows, load_s, query_s = run_peer(ndjson, rules, args.year, first_day, rating_day, args.threads)
    peer = {c: (g, None if s is None else f"{s // 100}.{s % 100:02d}") for c, g, s in rows}

    # jiayuan lists a community without a score with final_score null; the peer's is NULL too.
    differ = sorted(c for c in set(ours) | set(peer) if ours.get(c) != peer.get(c))
    for c in differ[:20]:
        print(f"  {c}: jiayuan {ours.get(c)}, peer {peer.get(c)}", file=sys.stderr)
    if differ:
        sys.exit(f"duckdb_peer: {len(differ)} of {len(ours)} communities differ; no time is reported")

    counts = collections.Counter(g for g, _ in ours.values())
    jiayuan_s = t2 - t0
    peer_s = load_s + query_s
    result = {
        "facts": facts, "ndjson_bytes": size, "communities_compared": len(ours), "grades": dict(sorted(counts.items())),
        "jiayuan_publish_s": round(t1 - t0, 3), "jiayuan_run_s": round(t2 - t1, 3), "jiayuan_s": round(jiayuan_s, 3),
        "jiayuan_publish_facts_per_s": round(facts / (t1 - t0)),
        "peer_load_s": round(load_s, 3), "peer_query_s": round(query_s, 3), "peer_s": round(peer_s, 3),
        "peer_facts_per_s": round(facts / peer_s), "jiayuan_over_peer": round(jiayuan_s / peer_s, 2),
    }
    if args.json:
        print(json.dumps(result))
        return
    print(f"same grade and final score for all {len(ours):,} communities: "
          + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    print(f"| | seconds | facts/s |\n|---|---|---|")
    print(f"| jiayuan publish (intake) | {t1 - t0:.2f} | {facts / (t1 - t0):,.0f} |")
    print(f"| jiayuan run (every stage) | {t2 - t1:.2f} | {facts / (t2 - t1):,.0f} |")
    print(f"| jiayuan, file to grades | **{jiayuan_s:.2f}** | {facts / jiayuan_s:,.0f} |")
    print(f"| DuckDB load (read_json) | {load_s:.2f} | |")
    print(f"| DuckDB grading query | {query_s:.2f} | |")
    print(f"| DuckDB, file to grades | **{peer_s:.2f}** | {facts / peer_s:,.0f} |")
    print(f"jiayuan / peer: {jiayuan_s / peer_s:.1f}x the peer's time")


if __name__ == "__main__":
    main()
