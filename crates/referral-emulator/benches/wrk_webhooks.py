#!/usr/bin/env python3
"""Webhooks never slow the API down: the release emulator under 32 connections of
create-or-return writes (wrk), with no webhook, with a receiver that answers at once, and with a
receiver that never answers, side by side in one run (interleaved rounds, medians).

While each load runs, and for a while after it, a prober reads the program and the health route
every 50 ms (the largest latency is reported; a read that takes 10 s counts as 10 s) and samples
the emulator's open files and resident memory. A quiet run then checks that every delivery
reaches a receiver that answers.

Usage: crates/referral-emulator/benches/wrk_webhooks.py [--seconds 15] [--rounds 3]
       [--emulator PATH]   (another build to measure, e.g. an older release)
Needs wrk (apt-get install wrk). Prints a Markdown table for BENCHMARKS.md.
"""

import argparse
import http.client
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
KEY = "local-emulator-key"
SITE = "11111111-1111-4111-8111-111111111111"
CUSTOMERS = "/referral-customers/v1/referring-customers"
PROGRAM = "/_api/referral-programs/v1/program"

WRITES_LUA = r"""
local counter = 0
math.randomseed(os.time())
local function hex(n)
  local s = ""
  for _ = 1, n do s = s .. string.format("%x", math.random(0, 15)) end
  return s
end
request = function()
  counter = counter + 1
  local contact = hex(8) .. "-" .. hex(4) .. "-4" .. hex(3) .. "-8" .. hex(3) .. "-" .. hex(12)
  return wrk.format("POST", "/referral-customers/v1/referring-customers", {
    ["Authorization"] = "local-emulator-key",
    ["wix-site-id"] = "11111111-1111-4111-8111-111111111111",
    ["Content-Type"] = "application/json",
  }, '{"contactId": "' .. contact .. '"}')
end
"""


def start(command):
    """Starts a process that prints `listening on http://HOST:PORT` first; returns it and the
    address."""
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    line = process.stdout.readline().decode()
    match = re.match(r"listening on http://(\S+)", line)
    if not match:
        process.kill()
        sys.exit(f"{command[0]} did not start: {line!r}")
    return process, match.group(1)


def request(addr, method, path, body=None, headers=None, timeout=10.0):
    host, port = addr.rsplit(":", 1)
    connection = http.client.HTTPConnection(host, int(port), timeout=timeout)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def wix(addr, method, path, body=None):
    headers = {"Authorization": KEY, "wix-site-id": SITE}
    if body is not None:
        headers["Content-Type"] = "application/json"
        body = json.dumps(body)
    return request(addr, method, path, body, headers)


class Prober(threading.Thread):
    """Reads two routes every 50 ms and samples /proc of the emulator."""

    def __init__(self, addr, pid):
        super().__init__(daemon=True)
        self.addr, self.pid = addr, pid
        self.stop = threading.Event()
        self.max_latency = 0.0
        self.max_files = 0
        self.max_rss_kb = 0

    def sample_proc(self):
        try:
            self.max_files = max(self.max_files, len(os.listdir(f"/proc/{self.pid}/fd")))
            with open(f"/proc/{self.pid}/status") as status:
                for line in status:
                    if line.startswith("VmRSS:"):
                        self.max_rss_kb = max(self.max_rss_kb, int(line.split()[1]))
        except OSError:
            pass

    def run(self):
        while not self.stop.is_set():
            for method, path in (("GET", PROGRAM), ("GET", "/_emulator/v1/health")):
                began = time.monotonic()
                try:
                    if path == PROGRAM:
                        wix(self.addr, method, path)
                    else:
                        request(self.addr, method, path)
                    latency = time.monotonic() - began
                except OSError:
                    latency = 10.0
                self.max_latency = max(self.max_latency, latency)
            self.sample_proc()
            time.sleep(0.05)


def one_run(emulator, receiver_bin, mood, seconds, work):
    """One emulator, one load; returns the figures of the run."""
    process, addr = start([emulator, "--addr", "127.0.0.1:0", "--rate-limit", "0"])
    receiver = None
    try:
        if mood != "none":
            receiver, hook = start([receiver_bin, "127.0.0.1:0", mood])
            status, body = request(
                addr, "POST", f"/_emulator/v1/sites/{SITE}/webhooks",
                json.dumps({"url": f"http://{hook}/hook"}), {"Content-Type": "application/json"})
            assert status == 200, body
        during = Prober(addr, process.pid)
        during.start()
        out = subprocess.run(
            ["wrk", "-t1", "-c32", f"-d{seconds}s", "-s", os.path.join(work, "writes.lua"),
             f"http://{addr}"], capture_output=True, text=True, check=True).stdout
        during.stop.set()
        during.join()
        rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
        non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
        after = Prober(addr, process.pid)
        after.start()
        time.sleep(5)
        after.stop.set()
        after.join()
        files_after = len(os.listdir(f"/proc/{process.pid}/fd"))
        return {
            "rps": rps,
            "errors": int(non2xx.group(1)) if non2xx else 0,
            "max_latency_during": during.max_latency,
            "max_latency_after": after.max_latency,
            "max_files": max(during.max_files, after.max_files),
            "files_after": files_after,
            "max_rss_mb": max(during.max_rss_kb, after.max_rss_kb) / 1024,
        }
    finally:
        process.kill()
        process.wait()
        if receiver:
            receiver.kill()
            receiver.wait()


def quiet_run(emulator, receiver_bin, writes=200):
    """Writes one at a time with a receiver that answers: every delivery arrives."""
    process, addr = start([emulator, "--addr", "127.0.0.1:0", "--rate-limit", "0"])
    receiver, hook = start([receiver_bin, "127.0.0.1:0", "answer"])
    try:
        status, body = request(
            addr, "POST", f"/_emulator/v1/sites/{SITE}/webhooks",
            json.dumps({"url": f"http://{hook}/hook"}), {"Content-Type": "application/json"})
        assert status == 200, body
        for n in range(writes):
            status, body = wix(addr, "POST", CUSTOMERS,
                               {"contactId": f"0f3c8a52-7a61-4d3e-9a3b-{n:012d}"})
            assert status == 200, body
        deadline = time.monotonic() + 60
        received = 0
        while time.monotonic() < deadline:
            received = int(request(hook, "GET", "/count")[1])
            if received >= writes:
                break
            time.sleep(0.1)
        return received, writes
    finally:
        for p in (process, receiver):
            p.kill()
            p.wait()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--emulator", help="an emulator binary to measure instead of this build")
    args = parser.parse_args()
    if subprocess.run(["which", "wrk"], capture_output=True).returncode != 0:
        sys.exit("wrk is needed: apt-get install wrk")
    subprocess.run(
        ["cargo", "build", "--quiet", "--release", "-p", "referral-emulator",
         "--bin", "wix-referral-emulator", "--example", "webhook_receiver"],
        cwd=ROOT, check=True)
    emulator = args.emulator or os.path.join(ROOT, "target/release/wix-referral-emulator")
    receiver_bin = os.path.join(ROOT, "target/release/examples/webhook_receiver")
    moods = ["none", "answer", "silent"]
    runs = {mood: [] for mood in moods}
    with tempfile.TemporaryDirectory() as work:
        with open(os.path.join(work, "writes.lua"), "w") as lua:
            lua.write(WRITES_LUA)
        for round_ in range(args.rounds):
            # Rotate the order so that drift of the machine falls on every mood alike.
            order = moods[round_ % 3:] + moods[:round_ % 3]
            for mood in order:
                figures = one_run(emulator, receiver_bin, mood, args.seconds, work)
                runs[mood].append(figures)
                print(f"round {round_ + 1} {mood}: {json.dumps(figures)}", file=sys.stderr)
        received, sent = quiet_run(emulator, receiver_bin)

    def med(mood, key):
        return statistics.median(run[key] for run in runs[mood])

    def worst(mood, key):
        return max(run[key] for run in runs[mood])

    base_rps = med("none", "rps")
    base_rss = med("none", "max_rss_mb")
    print(f"32 connections of create-or-return writes (wrk -t1 -c32), {args.seconds} s per run, "
          f"{args.rounds} interleaved rounds; medians of req/s, worst of the rest")
    print()
    print("| webhook receiver | writes/s | vs none | max read latency during / 5 s after (s) "
          "| max open files | open files 5 s after | max RSS (MB) | vs none | non-2xx |")
    print("|---|---|---|---|---|---|---|---|---|")
    names = {"none": "none registered", "answer": "answers at once", "silent": "never answers"}
    for mood in moods:
        rps = med(mood, "rps")
        rss = med(mood, "max_rss_mb")
        print(f"| {names[mood]} | {rps:,.0f} | {rps / base_rps:.0%} "
              f"| {worst(mood, 'max_latency_during'):.3f} / {worst(mood, 'max_latency_after'):.3f} "
              f"| {worst(mood, 'max_files')} | {worst(mood, 'files_after')} "
              f"| {rss:.0f} | {rss / base_rss:.2f}x | {worst(mood, 'errors')} |")
    print()
    print(f"Quiet run: {received} of {sent} deliveries reached a receiver that answers.")


if __name__ == "__main__":
    main()
