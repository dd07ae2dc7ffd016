#!/usr/bin/env python3
"""Checks events against the published JSON Schemas (draft 2020-12).

usage: validate_schema.py SCHEMA_DIR GOOD.ndjson BAD.ndjson
       validate_schema.py --decisions SCHEMA_DIR/decisions GOOD.ndjson BAD.ndjson
Every line of GOOD must validate against the schema of its type (a decision: of its kind);
every line of BAD must not.
Exits 0 when both hold, 1 otherwise, naming each line that disagrees.
"""
import json
import os
import sys

from jsonschema import Draft202012Validator


def load(schema_dir):
    validators = {}
    for name in sorted(os.listdir(schema_dir)):
        if name.endswith(".json"):
            with open(os.path.join(schema_dir, name), encoding="utf-8") as f:
                schema = json.load(f)
            Draft202012Validator.check_schema(schema)
            validators[name[: -len(".json")]] = Draft202012Validator(schema)
    return validators


def errors_of(validators, line, by="type"):
    try:
        doc = json.loads(line)
    except ValueError as e:
        return ["not JSON: %s" % e]
    if not isinstance(doc, dict) or doc.get(by) not in validators:
        return ["no schema for this " + by]
    return [e.message for e in validators[doc[by]].iter_errors(doc)]


def main():
    args = sys.argv[1:]
    by = "type"
    if args and args[0] == "--decisions":
        by = "kind"
        args = args[1:]
    schema_dir, good, bad = args[:3]
    validators = load(schema_dir)
    failures = 0
    with open(good, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            errs = errors_of(validators, line, by)
            if errs:
                failures += 1
                print("good line %d rejected: %s" % (n, "; ".join(errs)))
    with open(bad, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not errors_of(validators, line, by):
                failures += 1
                print("bad line %d accepted: %s" % (n, line.strip()))
    print("%d schemas; %d disagreements" % (len(validators), failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
