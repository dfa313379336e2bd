#!/usr/bin/env python3
"""Runs the compiled test binaries of an upstream client's own suite in
shards and compares the results with an expected-pass list.

usage: gosuite.py TITLE EXPECTED SHARDS TIMEOUT NAME:DIR:BINARY...

TITLE names the suite in the report (e.g. "pulsar-client-go v0.19.0").
TIMEOUT (e.g. 7m) is the budget of the whole run. Each package's top-level
tests are dealt round-robin into SHARDS processes run side by side
(test2json). A test that panics kills its process; the shard then goes on
with the tests that did not start yet (or were paused by t.Parallel), so one
crash costs only the tests running at that moment. Names are package.Test or
package.Test/subtest. The report prints FAILED/SKIPPED/NOT RUN tests, NEW
lines for passing tests the list lacks, and LOST lines plus the last output
of each listed test that did not pass (then the exit status is 1).

A listed test that does not pass is run once more, alone (SUITE_RERUN=0
turns that off): these suites assert timing on a machine the shards share,
so a test that passes on its own is reported as FLAKY, with the output of
its failed run, and does not fail the leg; one that fails twice is LOST."""
import collections, json, os, subprocess, sys, threading, time

title, expected_file, shards, timeout, *pkgs = sys.argv[1:]
shards = int(shards)
unit = {"s": 1, "m": 60, "h": 3600}
deadline = time.monotonic() + int(timeout[:-1]) * unit[timeout[-1]]
results, lock = {}, threading.Lock()
output = collections.defaultdict(lambda: collections.deque(maxlen=40))  # last lines per test
toplevel = []


def run_shard(name, dirname, binary, tests):
    todo = list(tests)
    while todo and deadline - time.monotonic() > 5:
        left = int(deadline - time.monotonic())
        cmd = ["go", "tool", "test2json", "-t", "-p", name, binary, "-test.v=test2json", "-test.count=1",
               f"-test.timeout={left}s", "-test.run", "^(" + "|".join(todo) + ")$"]
        running, ended = set(), set()  # top-level tests executing / with a result
        with subprocess.Popen(cmd, cwd=dirname, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace") as p:
            for line in p.stdout:
                try:
                    ev = json.loads(line)
                except ValueError:
                    continue
                t = ev.get("Test")
                if not t:
                    continue
                action, top = ev.get("Action"), t.split("/")[0]
                if t == top and action in ("run", "cont"):
                    running.add(t)
                elif t == top and action == "pause":  # t.Parallel: waits, has not run yet
                    running.discard(t)
                if action == "output":
                    with lock:
                        output[name + "." + t].append(ev.get("Output", "").rstrip("\n"))
                if action in ("pass", "fail", "skip"):
                    with lock:
                        results[name + "." + t] = action
                    if t == top:
                        running.discard(t)
                        ended.add(t)
        # A test still running when the process died is blamed for it (no
        # result); the rest get another process.
        rest = [t for t in todo if t not in ended and t not in running]
        if len(rest) == len(todo):
            break
        todo = rest


threads = []
for spec in pkgs:
    name, dirname, binary = spec.split(":")
    tests = subprocess.run([binary, "-test.list", "^Test"], cwd=dirname, capture_output=True, text=True, check=True).stdout.split()
    tests = sorted(t for t in tests if t.startswith("Test"))
    toplevel += [name + "." + t for t in tests]
    for i in range(shards):
        th = threading.Thread(target=run_shard, args=(name, dirname, binary, tests[i::shards]))
        th.start()
        threads.append(th)
for th in threads:
    th.join()

names = sorted(set(toplevel) | set(results))
expected = {l.strip() for l in open(expected_file) if l.strip() and not l.startswith("#")}
passed = {t for t, a in results.items() if a == "pass"}
by = {a: sorted(t for t in names if results.get(t) == a) for a in ("fail", "skip")}
notrun = sorted(t for t in names if t not in results)
print(f"{title} suite: {len(passed)} passed, {len(by['fail'])} failed, {len(by['skip'])} skipped, "
      f"{len(notrun)} not run of {len(names)} (tests and subtests; {len(toplevel)} top-level)")
for label, group in (("FAILED", by["fail"]), ("SKIPPED", by["skip"]), ("NOT RUN", notrun)):
    for t in group:
        print(f"  {label:8} {t}")
# "#   name: why" lines of the list name tests left off on purpose.
left_off = {l[1:].strip().split(": ", 1)[0] for l in open(expected_file) if l.startswith("#   ")}
new = sorted(passed - expected - left_off)
if passed & left_off:
    print(f"{len(passed & left_off)} tests left off the list on purpose passed this time: {' '.join(sorted(passed & left_off))}")
if new:
    print(f"{len(new)} tests pass that {expected_file} does not list (add them once they pass twice):")
    for t in new:
        print("  NEW     ", t)
lost = sorted(expected - passed)
if lost and os.environ.get("SUITE_RERUN", "1") != "0":
    first = {t: list(output.get(t, [])) for t in lost}
    again = collections.defaultdict(set)
    for t in lost:
        pkg, test = t.split(".", 1)
        again[pkg].add(test.split("/")[0])
    deadline = time.monotonic() + 240  # the rerun's own budget
    for spec in pkgs:  # one process at a time: no other shard competes
        name, dirname, binary = spec.split(":")
        if name in again:
            run_shard(name, dirname, binary, sorted(again[name]))
    passed = {t for t, a in results.items() if a == "pass"}
    flaky = [t for t in lost if t in passed]
    lost = [t for t in lost if t not in passed]
    if flaky:
        print(f"{len(flaky)} listed tests failed in the shared run and passed alone (FLAKY, not a failure):")
        for t in flaky:
            print("  FLAKY   ", t)
        for t in flaky:
            print(f"--- last output of {t}'s failed run:")
            for line in first[t][-15:] or ["(none)"]:
                print("    " + line)
if lost:
    print(f"{len(lost)} tests on {expected_file} did not pass:")
    for t in lost:
        print("  LOST    ", t, results.get(t, "not run"))
    for t in lost:  # why: the test's own last lines
        print(f"--- last output of {t}:")
        for line in output.get(t, ["(none)"]):
            print("    " + line)
    sys.exit(1)
print(f"all {len(expected)} expected tests passed")
