#!/usr/bin/env python3
"""Helpers for conformance/bench/run (Python 3.11, standard library only).

  bench.py seed   --url URL --token T --users N --large-group G --pool P --out DIR [--threads K]
      Creates users u0..u<N-1>@bench.example through the SCIM API with concurrent keep-alive
      connections, a 10-member group and a G-member group, and writes into DIR:
      users.ids (line i = id of u<i>), pool.ids (P users in neither group), groups.json.
  bench.py record --results FILE.jsonl --line JSON --label L --workload W --rss-kib K
      Appends one workload's wrk result (plus label and RSS) and prints a progress line.
  bench.py report --results FILE.jsonl --meta FILE.json
      Prints the Markdown report of one backend's run.

Every response is checked; any unexpected status aborts the seeding.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import sys
import threading
import time
import urllib.parse

USER = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
PATCHOP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
SMALL_GROUP = 10
BATCH = 1000  # members per PATCH while building the large group


class Client:
    def __init__(self, url: str, token: str):
        u = urllib.parse.urlsplit(url)
        assert u.hostname in ("127.0.0.1", "localhost"), "benchmark targets loopback only"
        self.host, self.port = u.hostname, u.port
        self.headers = {
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/scim+json",
            "Accept": "application/scim+json",
        }
        self.conn = http.client.HTTPConnection(self.host, self.port, timeout=120)

    def call(self, method: str, path: str, body: object | None, expect: tuple[int, ...]):
        data = None if body is None else json.dumps(body).encode()
        for attempt in range(2):
            try:
                self.conn.request(method, "/scim/v2" + path, body=data, headers=self.headers)
                resp = self.conn.getresponse()
                raw = resp.read()
                break
            except (http.client.HTTPException, ConnectionError):
                self.conn.close()
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=120)
                if attempt:
                    raise
        if resp.status not in expect:
            raise SystemExit(f"seed: {method} {path} -> {resp.status}: {raw[:300]!r}")
        return json.loads(raw) if raw else None


def user_body(i: int) -> dict:
    name = f"u{i}@bench.example"
    return {
        "schemas": [USER],
        "userName": name,
        "active": True,
        "displayName": f"U {i}",
        "name": {"givenName": f"Given{i}", "familyName": f"Family{i}"},
        "emails": [{"type": "work", "value": name, "primary": True}],
    }


def seed(a: argparse.Namespace) -> None:
    n = a.users
    ids: list[str | None] = [None] * n
    nxt = [0]
    lock = threading.Lock()
    errors: list[BaseException] = []

    def worker():
        c = Client(a.url, a.token)
        try:
            while True:
                with lock:
                    i = nxt[0]
                    nxt[0] += 1
                if i >= n or errors:
                    return
                ids[i] = c.call("POST", "/Users", user_body(i), (201,))["id"]
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    t0 = time.monotonic()
    ts = [threading.Thread(target=worker) for _ in range(a.threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    if errors:
        raise SystemExit(f"seed: user creation failed: {errors[0]}")
    dt = time.monotonic() - t0
    print(f"seed: {n} users in {dt:.1f}s ({n / dt:.0f}/s)", file=sys.stderr)

    pool_n = a.pool
    large = min(a.large_group, n - pool_n)
    if large < SMALL_GROUP:
        raise SystemExit(f"seed: --users {n} too small for a pool of {pool_n} and the groups")
    c = Client(a.url, a.token)
    small_id = c.call("POST", "/Groups", {
        "schemas": [GROUP], "displayName": "bench-small",
        "members": [{"value": ids[i]} for i in range(SMALL_GROUP)],
    }, (201,))["id"]
    large_id = c.call("POST", "/Groups", {"schemas": [GROUP], "displayName": "bench-large"},
                      (201,))["id"]
    t0 = time.monotonic()
    for start in range(0, large, BATCH):
        chunk = ids[start:min(large, start + BATCH)]
        c.call("PATCH", f"/Groups/{large_id}", {
            "schemas": [PATCHOP],
            "Operations": [{"op": "Add", "path": "members",
                            "value": [{"value": x} for x in chunk]}],
        }, (200, 204))
    dt = time.monotonic() - t0
    print(f"seed: large group of {large} members in {dt:.1f}s", file=sys.stderr)
    # Also a few ordinary groups so the directory is not groups-free.
    for g in range(20):
        c.call("POST", "/Groups", {
            "schemas": [GROUP], "displayName": f"bench-g{g}",
            "members": [{"value": ids[(g * 37 + j) % large]} for j in range(25)],
        }, (201,))

    with open(f"{a.out}/users.ids", "w") as f:
        f.write("\n".join(ids) + "\n")  # type: ignore[arg-type]
    with open(f"{a.out}/pool.ids", "w") as f:
        f.write("\n".join(ids[large:large + pool_n]) + "\n")  # type: ignore[arg-type]
    with open(f"{a.out}/groups.json", "w") as f:
        json.dump({"small": small_id, "small_size": SMALL_GROUP,
                   "large": large_id, "large_size": large}, f)


def fmt_rate(x: float) -> str:
    return f"{x:,.0f}"


def report(a: argparse.Namespace) -> None:
    meta = json.load(open(a.meta))
    rows = [json.loads(line) for line in open(a.results) if line.strip()]
    base = next((r["rps"] for r in rows if r["workload"] == "healthz"), None)
    out = []
    out.append(f"### {meta['backend']} — {meta['users']:,} users, {meta['connections']} connections, "
               f"{meta['duration']} s per workload\n")
    out.append(f"{meta['date']} · {meta['machine']} · scimd {meta['commit']} · "
               f"wrk {meta['wrk_threads']} threads · server workers={meta['workers']} "
               f"pool_size={meta['pool_size']} · seeding {meta['seed_s']} s\n")
    out.append("| workload | req/s | % of healthz | p50 ms | p99 ms | max ms | requests | non-2xx / bad "
               "| RSS after (MiB) | CPU cores: server / db / wrk / other |")
    out.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for r in rows:
        pct = f"{100 * r['rps'] / base:.0f}%" if base else "—"
        badcell = str(r["bad"] + r["socket_errors"] + r["timeouts"])
        if r["bad"] or r["socket_errors"] or r["timeouts"]:
            badcell += f" (status {r['bad_status']}, body {r['bad_body']}, socket {r['socket_errors']}, timeout {r['timeouts']})"
        out.append(f"| {r['label']} | {fmt_rate(r['rps'])} | {pct} | {r['p50_ms']:.2f} | {r['p99_ms']:.2f} | "
                   f"{r['max_ms']:.1f} | {r['requests']:,} | {badcell} | {r['rss_kib'] / 1024:.1f} | "
                   f"{r.get('cpu_server', '?')} / {r.get('cpu_db', '?')} / {r.get('cpu_wrk', '?')} / {r.get('cpu_other', '?')} |")
    out.append(f"\nPeak RSS (VmHWM) at the end: {meta.get('hwm_kib', 0) / 1024:.1f} MiB. "
               f"Database size at the end: {meta.get('db_size', '?')}.")
    out.append("CPU columns: cores used during the workload by the scimd process, the PostgreSQL cluster, "
               "wrk, and everything else on the machine (other > 0.2 means the run was disturbed).")
    samples = [f"- {r['label']}: {r['first_bad']}" for r in rows if r.get("first_bad")]
    if samples:
        out.append("\nFirst bad response per workload:\n" + "\n".join(samples))
    print("\n".join(out))


def proc_jiffies(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])  # utime + stime
    except (OSError, IndexError, ValueError):
        return 0


def snapshot(a: argparse.Namespace) -> None:
    """CPU counters: the whole machine, the server, and the PostgreSQL cluster (if any)."""
    with open("/proc/stat") as f:
        cpu = [int(x) for x in f.readline().split()[1:]]
    busy = cpu[0] + cpu[1] + cpu[2] + cpu[5] + cpu[6] + cpu[7]  # user nice system irq softirq steal
    pg = 0
    if a.pg_pid:
        pg = proc_jiffies(a.pg_pid)
        for d in os.listdir("/proc"):
            if d.isdigit():
                try:
                    with open(f"/proc/{d}/stat") as f:
                        ppid = int(f.read().rsplit(")", 1)[1].split()[1])
                except (OSError, IndexError, ValueError):
                    continue
                if ppid == a.pg_pid:
                    pg += proc_jiffies(int(d))
    print(json.dumps({"t": time.monotonic(), "busy": busy, "server": proc_jiffies(a.server_pid), "pg": pg}))


def record(a: argparse.Namespace) -> None:
    r = json.loads(a.line)
    r.update(label=a.label, workload=a.workload, rss_kib=a.rss_kib)
    if a.before and a.after:
        b, e = json.loads(a.before), json.loads(a.after)
        hz = os.sysconf("SC_CLK_TCK")
        secs = max(e["t"] - b["t"], 1e-6)
        cores = lambda k: (e[k] - b[k]) / hz / secs  # noqa: E731
        r["cpu_server"] = round(cores("server"), 2)
        r["cpu_db"] = round(cores("pg"), 2)
        r["cpu_wrk"] = round(a.wrk_cpu / secs, 2)
        r["cpu_other"] = round(max(cores("busy") - r["cpu_server"] - r["cpu_db"] - r["cpu_wrk"], 0.0), 2)
    with open(a.results, "a") as f:
        f.write(json.dumps(r) + "\n")
    bad = r["bad"] + r["socket_errors"] + r["timeouts"]
    print(f"  {a.label:<46} {r['rps']:>9,.0f} req/s  p50 {r['p50_ms']:6.2f} ms  "
          f"p99 {r['p99_ms']:7.2f} ms  bad {bad}  RSS {a.rss_kib / 1024:.1f} MiB  "
          f"CPU server/db/wrk/other {r.get('cpu_server')}/{r.get('cpu_db')}/{r.get('cpu_wrk')}/{r.get('cpu_other')}",
          file=sys.stderr)


def main() -> None:
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("seed")
    s.add_argument("--url", required=True)
    s.add_argument("--token", required=True)
    s.add_argument("--users", type=int, required=True)
    s.add_argument("--large-group", type=int, required=True)
    s.add_argument("--pool", type=int, default=1024)
    s.add_argument("--threads", type=int, default=16)
    s.add_argument("--out", required=True)
    r = sub.add_parser("report")
    r.add_argument("--results", required=True)
    r.add_argument("--meta", required=True)
    c = sub.add_parser("record")
    c.add_argument("--results", required=True)
    c.add_argument("--line", required=True)
    c.add_argument("--label", required=True)
    c.add_argument("--workload", required=True)
    c.add_argument("--rss-kib", type=int, required=True)
    c.add_argument("--before", default="")
    c.add_argument("--after", default="")
    c.add_argument("--wrk-cpu", type=float, default=0.0)
    n = sub.add_parser("snapshot")
    n.add_argument("--server-pid", type=int, required=True)
    n.add_argument("--pg-pid", type=int, default=0)
    a = p.parse_args()
    {"seed": seed, "report": report, "record": record, "snapshot": snapshot}[a.cmd](a)


if __name__ == "__main__":
    main()
