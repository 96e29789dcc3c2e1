#!/usr/bin/env python3
"""Compare a ms-postman --json summary with the justified exceptions beside this script.

Exit 0 when every assertion ran and the failed ones are exactly the expected ones (same request
number, assertion name and response status); otherwise print what differs and exit 1.
"""
import json
import pathlib
import sys

summary = json.load(open(sys.argv[1]))
expected = json.load(open(pathlib.Path(__file__).with_name("expected-failures.json")))["failures"]
allowed = {(f["n"], f["assertion"], f["status"]) for f in expected}

failed = set()
for req in summary["requests"]:
    for a in req.get("assertions", []):
        if not a.get("passed", False):
            failed.add((req["n"], a["name"], req.get("status")))

problems = []
if summary.get("not_run"):
    problems.append(f"{summary['not_run']} assertions did not run")
for f in sorted(failed - allowed):
    problems.append(f"unexpected failure: #{f[0]} {f[1]!r} (status {f[2]})")
for f in sorted(allowed - failed):
    problems.append(f"expected failure now passes, update expected-failures.json: #{f[0]} {f[1]!r}")

print(f"postman: {summary['passed']} passed, {summary['failed']} failed "
      f"({len(failed & allowed)} of them justified in docs/entra-compatibility.md#postman)")
for p in problems:
    print("postman: " + p)
sys.exit(1 if problems else 0)
