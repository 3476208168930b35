#!/usr/bin/env python3
"""Throughput of queue mode (design note 0008) with 1 vs 2 replicas per stage service.

Starts a throwaway PostgreSQL (scripts/start-postgres.sh) and SeaweedFS (scripts/start-seaweedfs.sh), then for
each round and each replica count: a fresh database schema, the gateway plus N image, N post and N mesh
replicas as separate `organa serve` processes in queue mode with the S3 store; JOBS phantom jobs submitted at
once; waits for all of them. Reports jobs per minute (JOBS / (last done - first submit)), per-stage latency
percentiles read from the job store (`stage_run`: run time; `stage_task` → `stage_run`: queue wait; `job`: end
to end), each replica's peak RSS (VmHWM) and how many tasks it ran. Rounds alternate 1 and 2 replicas so that
machine noise falls on both; medians over rounds at the end.

With --pin, replica N's processes (image-N, post-N, mesh-N) run on CPU N-1 only (`taskset`), and the gateway on
CPU 0: each replica stands for a node with one core of its own, so 2 replicas have twice the CPU of one. Without
it every process may use every CPU, and a replica's 2 task threads already keep both cores of this machine busy.

Usage: tools/services/replica_throughput.py [--organa .build/release/organa] [--rounds 3] [--jobs 8] [--pin]
Only the standard library; psql from PostgreSQL's package.
"""
import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
API_KEY = "bench-key-0123456789abcdef"
SECRET = "bench-secret-0123456789"
QUERY = "structures=kidney,tumor&mirroring=false"


def exports(script):
    """Runs a start script and returns the variables of the `export NAME=value` lines it prints."""
    text = subprocess.run([str(ROOT / script)], check=True, capture_output=True, text=True).stdout
    values = {}
    for line in text.splitlines():
        if line.startswith("export "):
            name, _, value = line[len("export "):].partition("=")
            values[name] = value.strip("'")
    return values


class Service:
    """One `organa serve …` process; its port is read from its first line."""

    def __init__(self, organa, name, arguments, environment, folder, cpu=None):
        self.name = name
        log = open(folder / f"{name}.log", "w")
        pin = [] if cpu is None else ["taskset", "-c", str(cpu)]
        self.process = subprocess.Popen(
            [*pin, organa, "serve", *arguments, "--port", "0", "--log-format", "json"],
            stdout=subprocess.PIPE, stderr=log, env=environment, text=True)
        line = self.process.stdout.readline()
        if "listening on" not in line:
            raise SystemExit(f"{name} did not start (see {folder / (name + '.log')})")
        self.url = line.split("listening on ")[1].strip()
        threading.Thread(target=self.process.stdout.read, daemon=True).start()

    def peak_mib(self):
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return float("nan")

    def stop(self):
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()


def psql(url, sql):
    base, _, schema = url.partition("?search_path=")
    command = ["psql", base, "-At", "-F", "|", "-c", f"SET search_path TO {schema}; {sql}" if schema else sql]
    lines = subprocess.run(command, check=True, capture_output=True, text=True).stdout.splitlines()
    return [line.split("|") for line in lines if line and line != "SET"]


def request(method, url, data=None):
    headers = {"Authorization": f"Bearer {API_KEY}"}
    with urllib.request.urlopen(urllib.request.Request(url, data=data, method=method, headers=headers)) as answer:
        return json.loads(answer.read() or b"null")


def percentiles(values):
    values = sorted(values)
    if not values:
        return "-"
    pick = lambda q: values[min(len(values) - 1, int(round(q * (len(values) - 1))))]
    return f"p50 {pick(0.5):.2f} / p90 {pick(0.9):.2f} / max {values[-1]:.2f} s"


def run_round(organa, replicas, jobs, ct, database_url, s3, folder, pin):
    schema = "bench_" + uuid.uuid4().hex
    psql(database_url, f"CREATE SCHEMA {schema}")
    url = f"{database_url}?search_path={schema}"
    common = dict(os.environ, ORGANA_INTERNAL_SECRET=SECRET, ORGANA_API_KEYS=API_KEY, **s3)
    services = []
    try:
        for service in ("image", "post", "mesh"):
            for index in range(1, replicas + 1):
                name = f"{service}-{index}"
                environment = dict(common, ORGANA_STORE=str(folder / f"cache-{schema}-{name}"))
                extra = ["--catalog", "models/catalog.json"] if service == "image" else []
                services.append(Service(
                    organa, name, [service, "--database-url", url, "--worker-id", name, *extra], environment, folder,
                    cpu=(index - 1) % os.cpu_count() if pin else None))
        gateway_environment = dict(common, ORGANA_STORE=str(folder / f"cache-{schema}-gateway"))
        gateway = Service(organa, "gateway", ["gateway", "--database-url", url, "--catalog", "models/catalog.json"],
                          gateway_environment, folder, cpu=0 if pin else None)
        services.append(gateway)
        # The image replicas load their models after they listen: wait until each is ready.
        for service in services:
            for _ in range(600):
                try:
                    urllib.request.urlopen(service.url + "/ready")
                    break
                except OSError:
                    time.sleep(0.1)
        body = ct.read_bytes()
        started = time.time()
        ids = []
        submitters = [threading.Thread(
            target=lambda: ids.append(request("POST", f"{gateway.url}/v1/jobs?{QUERY}", body)["id"]))
            for _ in range(jobs)]
        for thread in submitters:
            thread.start()
        for thread in submitters:
            thread.join()
        while True:
            states = [request("GET", f"{gateway.url}/v1/jobs/{job}")["state"] for job in ids]
            if all(state in ("done", "failed") for state in states):
                break
            time.sleep(0.2)
        finished = time.time()
        if states.count("done") != jobs:
            raise SystemExit(f"{states.count('failed')} job(s) failed; logs in {folder}")
        runs = psql(url, """SELECT t.stage, extract(epoch FROM r.ended_at - r.started_at),
            extract(epoch FROM r.started_at - t.created_at), r.worker_id FROM stage_run r
            JOIN stage_task t ON t.id = r.task_id""")
        ends = psql(url, "SELECT updated_at - created_at FROM job")
        peaks = {service.name: service.peak_mib() for service in services}
        counts = {service.name: sum(1 for run in runs if run[3] == service.name) for service in services}
        return {
            "jobs_per_minute": jobs * 60 / (finished - started),
            "job_seconds": [float(row[0]) for row in ends],
            "stages": {stage: ([float(r[1]) for r in runs if r[0] == stage], [float(r[2]) for r in runs if r[0] == stage])
                       for stage in ("image", "post", "mesh")},
            "attempts": len(runs), "tasks": 3 * jobs, "peaks": peaks, "counts": counts,
        }
    finally:
        for service in services:
            service.stop()


def report(replicas, result):
    print(f"  {replicas} replica(s): {result['jobs_per_minute']:.2f} jobs/min; job {percentiles(result['job_seconds'])}; "
          f"{result['attempts']} attempts for {result['tasks']} tasks")
    for stage, (run, wait) in result["stages"].items():
        print(f"    {stage:5s} run {percentiles(run)}; queue wait {percentiles(wait)}")
    print("    peak RSS (MiB) / tasks: " + ", ".join(
        f"{name} {peak:.0f}/{result['counts'][name]}" for name, peak in result["peaks"].items()))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--organa", default=str(ROOT / ".build/release/organa"))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=8)
    parser.add_argument("--pin", action="store_true", help="replica N on CPU N-1 only (one core per replica)")
    options = parser.parse_args()
    os.chdir(ROOT)
    folder = Path(tempfile.mkdtemp(prefix="organa-throughput."))
    postgres = exports("scripts/start-postgres.sh")
    seaweed = exports("scripts/start-seaweedfs.sh")
    try:
        subprocess.run([options.organa, "phantom", "--size", "128,128,60", "--spacing", "3,3,5", "--seed", "9002",
                        "--out", str(folder / "phantom")], check=True, capture_output=True)
        ct = folder / "phantom" / "ct.nii.gz"
        s3 = {
            "ORGANA_S3_ENDPOINT": seaweed["ORGANA_TEST_S3_ENDPOINT"], "ORGANA_S3_BUCKET": seaweed["ORGANA_TEST_S3_BUCKET"],
            "ORGANA_S3_ACCESS_KEY_ID": seaweed["ORGANA_TEST_S3_ACCESS_KEY_ID"],
            "ORGANA_S3_SECRET_ACCESS_KEY": seaweed["ORGANA_TEST_S3_SECRET_ACCESS_KEY"],
        }
        print(f"{options.jobs} concurrent phantom jobs (128x128x60, {QUERY}); {os.cpu_count()} CPUs; "
              f"{'one CPU per replica (--pin)' if options.pin else 'every process on every CPU'}; {options.organa}")
        results = {1: [], 2: []}
        for round_index in range(1, options.rounds + 1):
            print(f"round {round_index}")
            for replicas in (1, 2):
                result = run_round(options.organa, replicas, options.jobs, ct,
                                   postgres["ORGANA_TEST_DATABASE_URL"], s3, folder, options.pin)
                results[replicas].append(result)
                report(replicas, result)
        one = statistics.median(r["jobs_per_minute"] for r in results[1])
        two = statistics.median(r["jobs_per_minute"] for r in results[2])
        print(f"median over {options.rounds} rounds: 1 replica {one:.2f} jobs/min, 2 replicas {two:.2f} jobs/min "
              f"(ratio {two / one:.2f})")
    finally:
        subprocess.run(["bash", "-c", postgres["ORGANA_TEST_POSTGRES_STOP"]], capture_output=True)
        subprocess.run([str(ROOT / "scripts/start-seaweedfs.sh"), "--stop", seaweed["ORGANA_TEST_S3_PID"],
                        seaweed["ORGANA_TEST_S3_DIR"]], capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
