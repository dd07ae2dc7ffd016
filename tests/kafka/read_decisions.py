#!/usr/bin/env python3
"""An auditor's program that nobody on this project wrote the client of: Debian's kafka-python
reads jiayuan.decisions with the auditor's read-only credentials, validates every record against
the JSON Schema of its kind (events/schema/decisions/), recomputes each decision's hash from the
record alone and checks that every chain link names a decision that is there.

usage: read_decisions.py SSL_BOOTSTRAP TOPIC CA_PEM CERT_PEM KEY_PEM SCHEMA_DIR

The auditor logs in with a client certificate (mutual TLS; its CN is its user name): Debian
bookworm's kafka-python (2.0.2) speaks only the SASL handshake that Kafka 4 removed (KIP-896).
Prints one line per problem and a summary; exits 0 when there is none, 1 otherwise.
"""
import hashlib
import json
import os
import sys
import time

from jsonschema import Draft202012Validator
from kafka import KafkaConsumer, TopicPartition


def validators(schema_dir):
    out = {}
    for name in sorted(os.listdir(schema_dir)):
        if name.endswith(".json"):
            with open(os.path.join(schema_dir, name), encoding="utf-8") as f:
                schema = json.load(f)
            Draft202012Validator.check_schema(schema)
            out["jiayuan.decision." + name[: -len(".json")]] = Draft202012Validator(schema)
    return out


def read_all(bootstrap, topic, ca, cert, key):
    consumer = KafkaConsumer(
        bootstrap_servers=bootstrap,
        security_protocol="SSL",
        ssl_cafile=ca,
        ssl_certfile=cert,
        ssl_keyfile=key,
        api_version=(2, 5, 0),  # what 2.0.2 knows; the broker answers its requests' versions
        group_id=None,
        enable_auto_commit=False,
        # kafka-python 2.0.2 reads uncommitted; jiayuan.decisions is written by the relay's
        # idempotent producer, never in transactions, so there is nothing uncommitted to see.
        auto_offset_reset="earliest",
    )
    partitions = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or [])]
    if not partitions:
        raise SystemExit("no partitions of %s visible to %s" % (topic, cert))
    consumer.assign(partitions)
    consumer.seek_to_beginning(*partitions)
    ends = consumer.end_offsets(partitions)
    records = []
    deadline = time.time() + 120
    while any(consumer.position(tp) < ends[tp] for tp in partitions):
        if time.time() > deadline:
            raise SystemExit("timed out reading %s" % topic)
        for batch in consumer.poll(timeout_ms=500).values():
            records.extend(batch)
    consumer.close()
    return records


def main():
    bootstrap, topic, ca, cert, key, schema_dir = sys.argv[1:7]
    schemas = validators(schema_dir)
    records = read_all(bootstrap, topic, ca, cert, key)
    problems = []
    hashes = {}  # hash -> decision id
    links = []  # (where, id, prev_hash, chain)
    starts = {}  # chain -> decision ids with no previous hash
    for r in records:
        where = "%s/%d/%d" % (r.topic, r.partition, r.offset)
        headers = {k: v.decode("utf-8") for k, v in (r.headers or [])}
        if headers.get("content-type") != "application/json" or headers.get("ce_specversion") != "1.0":
            problems.append("%s: not a CloudEvent with a JSON body: %s" % (where, headers))
            continue
        try:
            body = json.loads(r.value)
        except ValueError as e:
            problems.append("%s: the body is not JSON: %s" % (where, e))
            continue
        kind_type = headers.get("ce_type", "")
        if kind_type not in schemas:
            problems.append("%s: no schema for ce_type %r" % (where, kind_type))
            continue
        for e in schemas[kind_type].iter_errors(body):
            problems.append("%s (%s): %s at %s" % (where, body.get("id"), e.message, list(e.path)))
        if headers.get("ce_id") != body.get("id"):
            problems.append("%s: ce_id %r is not the body's id %r" % (where, headers.get("ce_id"), body.get("id")))
        # The chain link, from the record alone: its hash is SHA-256 of the value's bytes.
        digest = hashlib.sha256(r.value).hexdigest()
        if digest != headers.get("ce_jiayuanhash"):
            problems.append("%s (%s): SHA-256 of the record is %s, its ce_jiayuanhash says %s"
                            % (where, body.get("id"), digest, headers.get("ce_jiayuanhash")))
            continue
        if digest in hashes and hashes[digest] != body.get("id"):
            problems.append("%s: the hash of %s is also %s's" % (where, body.get("id"), hashes[digest]))
        hashes[digest] = body.get("id")
        chain = body.get("cause_partition")
        if body.get("prev_hash"):
            links.append((where, body.get("id"), body["prev_hash"]))
        else:
            starts.setdefault(chain, set()).add(body.get("id"))
    for where, decision, prev in links:
        if prev not in hashes:
            problems.append("%s (%s): its previous hash %s names no decision in the log" % (where, decision, prev))
    for chain, ids in starts.items():
        if len(ids) > 1:
            problems.append("chain %s has %d starts: %s" % (chain, len(ids), sorted(ids)))
    for p in problems:
        print(p)
    print("%d records read, %d distinct decisions, %d chain links verified; %d problems"
          % (len(records), len(hashes), len(links), len(problems)))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
