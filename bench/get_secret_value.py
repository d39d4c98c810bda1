"""Signed GetSecretValue throughput and latency: strongroom against moto, on this machine.

Starts a strongroom server (on SQLite, on PostgreSQL, or one of each) and moto's server side
by side on 127.0.0.1, creates the same secret in each with boto3, then replays one pre-signed
GetSecretValue request with wrk at each concurrency. SigV4 signatures stay valid for five
minutes, so the request is signed afresh (with botocore) before every run, and each freshly
signed request is first sent once by hand and checked to return the secret. The servers take
turns, run after run, so they are compared under the same machine conditions.

wrk's Lua script counts every response that is not a 200; a run with any non-200 response or
socket error is marked INVALID and makes the benchmark exit non-zero.

Run by hand (see bench/README.md):

    .venv/bin/python bench/get_secret_value.py [--store sqlite|postgresql|both]
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import http.client
import json
import os
import resource
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import boto3
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials

HOST = "127.0.0.1"
REGION = "us-east-1"
SECRET_NAME = "bench/secret"
SECRET_VALUE = json.dumps({"username": "bench", "password": "x" * 32, "host": "db.internal"})
ACCESS_KEY_ID = "AKIABENCHBENCHBENCH1"
BODY = json.dumps({"SecretId": SECRET_NAME}, separators=(",", ":"))
TARGET = "secretsmanager.GetSecretValue"
CONTENT_TYPE = "application/x-amz-json-1.1"
DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/postgres"
LOOPBACK_NAMES = {"127.0.0.1", "localhost", "::1"}
TARGET_RATIO = 5.0
TARGET_P99_MS = 20.0
TARGET_CONNECTIONS = 64
NOISY_SHARE = 0.15  # other load, as a share of one core, above which a run counts as noisy
# moto_server, without werkzeug's line per request (strongroom runs without an access log too).
MOTO_QUIET = (
    "import logging, sys; logging.getLogger('werkzeug').setLevel(logging.WARNING); "
    "from moto.server import main; sys.exit(main())"
)
WRK_HINT = "wrk is not installed: run `apt-get update && apt-get install -y wrk`, then retry."

# Replays one request; counts responses that are not 200 (and keeps the first one's text);
# prints machine-readable results from done(), with latency percentiles in microseconds.
LUA_TEMPLATE = """\
wrk.method = "POST"
wrk.body = {body}
{headers}
local threads = {{}}
function setup(thread)
  table.insert(threads, thread)
end
function init(args)
  non200 = 0
  first_bad = ""
end
function response(status, headers, body)
  if status ~= 200 then
    non200 = non200 + 1
    if first_bad == "" then
      first_bad = status .. " " .. string.sub(body or "", 1, 300)
    end
  end
end
function done(summary, latency, requests)
  local bad, sample = 0, ""
  for _, t in ipairs(threads) do
    bad = bad + t:get("non200")
    if sample == "" then sample = t:get("first_bad") end
  end
  local e = summary.errors
  io.write(string.format("BENCH requests=%d duration_us=%d non200=%d\\n",
                         summary.requests, summary.duration, bad))
  io.write(string.format("BENCH socket_errors=%d\\n",
                         e.connect + e.read + e.write + e.timeout))
  for _, p in ipairs({{50, 90, 99, 99.9}}) do
    io.write(string.format("BENCH p%s=%d\\n", p, latency:percentile(p)))
  end
  io.write(string.format("BENCH max=%d\\n", latency.max))
  io.write("BENCH first_bad=" .. string.gsub(sample, "\\n", " ") .. "\\n")
end
"""


# --------------------------------------------------------------------------- helpers


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def find_tool(name: str) -> str | None:
    """A console script next to this interpreter (the venv), else on PATH."""
    beside = Path(sys.executable).parent / name
    if beside.exists():
        return str(beside)
    return shutil.which(name)


def lua_string(text: str) -> str:
    if not text.isascii() or not text.isprintable():
        raise ValueError(f"cannot put {text!r} into the wrk script")
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of one process (all its threads), from /proc."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def postgres_cpu_seconds() -> float:
    """CPU time of every process named `postgres` on the machine (PostgreSQL's backends)."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            if (entry / "comm").read_text().strip() == "postgres":
                total += cpu_seconds(int(entry.name))
    return total


def machine_busy_seconds() -> float:
    """CPU time all cores spent not idle since boot (user, nice, system, irq, softirq, steal)."""
    fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(f) for f in fields)
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def own_cpu_seconds() -> float:
    """CPU time of this process and of its finished children (wrk)."""
    mine = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return mine.ru_utime + mine.ru_stime + children.ru_utime + children.ru_stime


def pinned(command: list[str], cpus: str | None) -> list[str]:
    return ["taskset", "-c", cpus, *command] if cpus else command


def loopback_only(dsn: str) -> None:
    host = urlsplit(dsn).hostname or ""
    if host not in LOOPBACK_NAMES:
        raise SystemExit(f"--pg-dsn must point at this machine (127.0.0.1), not {host!r}")


# --------------------------------------------------------------------------- servers


@dataclass
class Server:
    """One server process under test, and what is needed to talk to it."""

    label: str
    command: list[str]  # without the port, which is chosen here
    port_flag: str
    health_path: str
    env: dict[str, str]
    log_path: Path
    secret_key: str
    uses_postgres: bool = False
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def endpoint(self) -> str:
        return f"http://{HOST}:{self.port}"

    def start(self, timeout: float = 60.0) -> None:
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                [*self.command, self.port_flag, str(self.port)], env=self.env, stdout=log,
                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.label} exited at start:\n{self.log_tail()}")
            if self._healthy():
                return
            time.sleep(0.1)
        raise RuntimeError(f"{self.label} did not come up in {timeout:.0f}s:\n{self.log_tail()}")

    def _healthy(self) -> bool:
        conn = http.client.HTTPConnection(HOST, self.port, timeout=2)
        try:
            conn.request("GET", self.health_path)
            return conn.getresponse().status == 200
        except OSError:
            return False
        finally:
            conn.close()

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def client(self) -> Any:
        return boto3.client(
            "secretsmanager", endpoint_url=self.endpoint, region_name=REGION,
            aws_access_key_id=ACCESS_KEY_ID, aws_secret_access_key=self.secret_key,
            config=Config(retries={"max_attempts": 1}),
        )

    def signed_headers(self) -> dict[str, str]:
        """Headers of a freshly SigV4-signed GetSecretValue request (valid for 5 minutes)."""
        request = AWSRequest(
            method="POST", url=self.endpoint + "/", data=BODY.encode(),
            headers={"Host": f"{HOST}:{self.port}", "Content-Type": CONTENT_TYPE,
                     "X-Amz-Target": TARGET},
        )
        SigV4Auth(Credentials(ACCESS_KEY_ID, self.secret_key), "secretsmanager",
                  REGION).add_auth(request)
        return dict(request.headers.items())

    def check_signed(self, headers: dict[str, str]) -> None:
        """Send the signed request once by hand: it must return our secret with a 200."""
        conn = http.client.HTTPConnection(HOST, self.port, timeout=10)
        try:
            conn.request("POST", "/", body=BODY.encode(), headers=headers)
            response = conn.getresponse()
            payload = response.read()
        finally:
            conn.close()
        if response.status != 200:
            raise RuntimeError(f"{self.label}: signed request got {response.status}: "
                               f"{payload[:300]!r}")
        if json.loads(payload).get("SecretString") != SECRET_VALUE:
            raise RuntimeError(f"{self.label}: signed request returned the wrong secret")


# --------------------------------------------------------------------------- wrk


@dataclass
class Result:
    label: str
    connections: int
    round: int
    requests: int
    seconds: float
    non200: int
    socket_errors: int
    p50_ms: float
    p90_ms: float
    p99_ms: float
    p999_ms: float
    max_ms: float
    server_cpu: float  # CPU seconds the server process used during the run
    db_cpu: float | None  # CPU seconds PostgreSQL's processes used, for the PostgreSQL store
    other_cpu: float  # CPU seconds used by everything else on the machine: noise
    first_bad: str

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def valid(self) -> bool:
        return self.requests > 0 and self.non200 == 0 and self.socket_errors == 0


def write_lua(path: Path, headers: dict[str, str]) -> None:
    lines = "\n".join(f"wrk.headers[{lua_string(k)}] = {lua_string(v)}"
                      for k, v in headers.items())
    path.write_text(LUA_TEMPLATE.format(body=lua_string(BODY), headers=lines))


def run_wrk(server: Server, script: Path, connections: int, seconds: float,
            cpus: str | None) -> dict[str, str]:
    command = pinned(
        ["wrk", "-t1", f"-c{connections}", f"-d{seconds:g}s", "--timeout", "10s", "--latency",
         "-s", str(script), server.endpoint + "/"],
        cpus,
    )
    done = subprocess.run(command, capture_output=True, text=True, check=False,
                          timeout=seconds + 60, stdin=subprocess.DEVNULL)
    with (script.parent / "wrk.log").open("a") as log:  # wrk's own report, --latency included
        log.write(f"### {server.label} -c{connections} -d{seconds:g}s\n")
        log.write(f"{done.stdout}{done.stderr}\n")
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr or done.stdout}")
    values: dict[str, str] = {}
    for line in done.stdout.splitlines():
        if line.startswith("BENCH first_bad="):
            values["first_bad"] = line.partition("=")[2]
        elif line.startswith("BENCH "):
            for item in line[6:].split():
                key, _, value = item.partition("=")
                values[key] = value
    if "requests" not in values:
        raise RuntimeError(f"could not read wrk's output:\n{done.stdout}\n{done.stderr}")
    return values


def measure(server: Server, workdir: Path, connections: int, args: argparse.Namespace,
            round_no: int, wrk_cpus: str | None) -> Result:
    script = workdir / f"wrk-{server.port}.lua"
    headers = server.signed_headers()  # signed now: the whole run fits in the 5-minute window
    server.check_signed(headers)
    write_lua(script, headers)
    if args.warmup > 0:
        run_wrk(server, script, connections, args.warmup, wrk_cpus)
    cpu_before, busy_before, own_before = (cpu_seconds(server.pid), machine_busy_seconds(),
                                           own_cpu_seconds())
    db_before = postgres_cpu_seconds() if server.uses_postgres else 0.0
    values = run_wrk(server, script, connections, args.duration, wrk_cpus)
    cpu_used = cpu_seconds(server.pid) - cpu_before
    db_used = postgres_cpu_seconds() - db_before if server.uses_postgres else None
    other = (machine_busy_seconds() - busy_before - cpu_used - (db_used or 0.0)
             - (own_cpu_seconds() - own_before))
    ms = {key: int(values[key]) / 1000 for key in ("p50", "p90", "p99", "p99.9", "max")}
    result = Result(
        label=server.label, connections=connections, round=round_no,
        requests=int(values["requests"]), seconds=int(values["duration_us"]) / 1e6,
        non200=int(values["non200"]), socket_errors=int(values["socket_errors"]),
        p50_ms=ms["p50"], p90_ms=ms["p90"], p99_ms=ms["p99"], p999_ms=ms["p99.9"],
        max_ms=ms["max"], server_cpu=cpu_used, db_cpu=db_used, other_cpu=max(other, 0.0),
        first_bad=values.get("first_bad", ""),
    )
    print(f"  round {round_no} {server.label:<23} c={connections:<3} {result.rps:9.0f} req/s  "
          f"p50 {result.p50_ms:7.2f} ms  p99 {result.p99_ms:7.2f} ms  "
          f"other load {100 * result.other_cpu / result.seconds:3.0f}%"
          + ("" if result.valid else "  INVALID"), flush=True)
    return result


# --------------------------------------------------------------------------- report


def row(cells: Sequence[str], widths: Sequence[int]) -> str:
    """First column left-aligned, the others right-aligned."""
    padded = [cells[0].ljust(widths[0])]
    padded += [cell.rjust(width) for cell, width in zip(cells[1:], widths[1:], strict=True)]
    return "  ".join(padded)


def summarize(results: list[Result], server_cpus: str | None, wrk_cpus: str | None,
              args: argparse.Namespace) -> bool:
    """Print the table, the ratios and the target check; True if every run was valid."""
    labels = list(dict.fromkeys(r.label for r in results))
    header = ["server", "conns", "req/s", "p50 ms", "p90 ms", "p99 ms", "p99.9 ms",
              "srv CPU", "CPU us/req", "db CPU", "other", "non-200", "sock err"]
    widths = [23, 5, 8, 7, 7, 7, 8, 7, 10, 6, 5, 7, 8]
    print()
    print(f"GetSecretValue, SigV4-signed, {args.duration:g} s per run after {args.warmup:g} s "
          f"warm-up, {args.rounds} round(s) alternating servers; medians over rounds.")
    if server_cpus:
        print(f"Pinned with taskset: servers on CPU {server_cpus}, wrk (1 thread) on CPU "
              f"{wrk_cpus}; PostgreSQL itself is not pinned.")
    else:
        print("Not pinned: servers and wrk share every core.")
    threads = args.threads or "default"
    print(f"strongroom: {threads} worker threads. 'srv CPU' = server process CPU time / "
          "wall time (100% = one core); 'db CPU' the same for PostgreSQL's processes; 'other' "
          "= CPU used by anything else on the machine (noise; wrk excluded).")
    print()
    print(row(header, widths))
    print(row(["-" * w for w in widths], widths))
    medians: dict[tuple[str, int], tuple[float, float]] = {}
    for label in labels:
        for connections in args.connections:
            runs = [r for r in results if r.label == label and r.connections == connections]
            if not runs:
                continue
            rps = statistics.median(r.rps for r in runs)
            p99 = statistics.median(r.p99_ms for r in runs)
            medians[(label, connections)] = (rps, p99)
            requests = sum(r.requests for r in runs)
            cpu = sum(r.server_cpu for r in runs)
            db = [r.db_cpu for r in runs if r.db_cpu is not None]
            print(row([
                label, str(connections), f"{rps:.0f}",
                f"{statistics.median(r.p50_ms for r in runs):.2f}",
                f"{statistics.median(r.p90_ms for r in runs):.2f}", f"{p99:.2f}",
                f"{statistics.median(r.p999_ms for r in runs):.2f}",
                f"{100 * cpu / sum(r.seconds for r in runs):.0f}%",
                f"{1e6 * cpu / requests:.0f}" if requests else "-",
                f"{100 * sum(db) / sum(r.seconds for r in runs):.0f}%" if db else "-",
                f"{100 * sum(r.other_cpu for r in runs) / sum(r.seconds for r in runs):.0f}%",
                str(sum(r.non200 for r in runs)), str(sum(r.socket_errors for r in runs)),
            ], widths))
    print()
    print("Note: moto does not verify SigV4 signatures; strongroom verifies every request.")
    noisy = [r for r in results if r.other_cpu > NOISY_SHARE * r.seconds]
    if noisy:
        print(f"WARNING: in {len(noisy)} of {len(results)} runs other work on the machine used "
              f"more than {100 * NOISY_SHARE:.0f}% of a core: those numbers are noisy.")
    all_valid = all(r.valid for r in results)
    for r in results:
        if not r.valid:
            print(f"INVALID: {r.label} c={r.connections} round {r.round}: {r.non200} non-200, "
                  f"{r.socket_errors} socket errors; first bad response: {r.first_bad}")
    print()
    for label in labels:
        if label == "moto":
            continue
        for connections in args.connections:
            mine, theirs = medians.get((label, connections)), medians.get(("moto", connections))
            if not mine or not theirs or not theirs[0]:
                continue
            ratio = mine[0] / theirs[0]
            line = f"{label} / moto at {connections:>3} connections: {ratio:5.2f}x throughput"
            if connections == TARGET_CONNECTIONS:
                ok = ratio >= TARGET_RATIO and mine[1] < TARGET_P99_MS
                line += (f"   target >= {TARGET_RATIO:g}x and p99 < {TARGET_P99_MS:g} ms "
                         f"(p99 {mine[1]:.2f} ms): {'MET' if ok else 'NOT MET'}")
            print(line)
    if not all_valid:
        print("\nSome runs had errors: their numbers are not a benchmark of GetSecretValue.")
    return all_valid


# --------------------------------------------------------------------------- profiling


def profile(server: Server, workdir: Path, args: argparse.Namespace, out_dir: Path,
            wrk_cpus: str | None) -> None:
    """py-spy on a strongroom server under load: a raw (collapsed) profile of the thread that
    holds the GIL, summarized here, and a flame graph of all threads."""
    py_spy = find_tool("py-spy")
    if py_spy is None:
        print("--profile: py-spy not found (pip install py-spy into the venv); skipped")
        return
    out_dir.mkdir(parents=True, exist_ok=True)
    connections = max(args.connections)
    script = workdir / f"wrk-profile-{server.port}.lua"
    headers = server.signed_headers()
    server.check_signed(headers)
    write_lua(script, headers)
    stem = out_dir / server.label.replace(" ", "-").replace("(", "").replace(")", "")
    raw, svg = stem.with_suffix(".txt"), stem.with_suffix(".svg")
    seconds = args.profile_seconds
    wrk = subprocess.Popen(
        pinned(["wrk", "-t1", f"-c{connections}", f"-d{2 * seconds + 4:g}s", "--timeout", "10s",
                "-s", str(script), server.endpoint + "/"], wrk_cpus),
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
    )
    try:
        time.sleep(1)
        common = ["--pid", str(server.pid), "--duration", str(seconds), "--nonblocking",
                  "--rate", "200"]
        for extra, out in ((["--gil", "--nolineno", "--format", "raw"], raw), ([], svg)):
            done = subprocess.run([py_spy, "record", *common, *extra, "-o", str(out)],
                                  capture_output=True, text=True, check=False)
            if done.returncode != 0:
                print(f"py-spy failed on {server.label}: {done.stderr.strip()}")
                return
    finally:
        wrk.terminate()
        wrk.wait(timeout=10)
    print(f"\nProfile of {server.label} at {connections} connections "
          f"(py-spy --gil, {seconds} s): {raw}, flame graph {svg}")
    print_profile(raw)


def print_profile(raw: Path, top: int = 15) -> None:
    self_time: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    by_module: Counter[str] = Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [f for f in stack.split(";") if not f.startswith(("process ", "thread "))]
        if not frames:
            continue
        total += count
        self_time[frames[-1]] += count
        by_module[_module(frames[-1])] += count
        for frame in set(frames):
            inclusive[frame] += count
    if not total:
        print("  (no samples)")
        return
    print(f"  {total} samples holding the GIL. Self time by module:")
    for name, count in by_module.most_common(top):
        print(f"    {100 * count / total:5.1f}%  {name}")
    print("  Self time by function:")
    for name, count in self_time.most_common(top):
        print(f"    {100 * count / total:5.1f}%  {name}")
    print("  Inclusive time, strongroom functions:")
    ours = [(n, c) for n, c in inclusive.most_common() if "strongroom/" in n]
    for name, count in ours[:top]:
        print(f"    {100 * count / total:5.1f}%  {name}")


def _module(frame: str) -> str:
    start = frame.rfind("(")
    path = frame[start + 1:-1] if start >= 0 and frame.endswith(")") else frame
    for marker in ("site-packages/", "python3.11/", "src/"):
        if marker in path:
            return path.split(marker, 1)[1]
    return path


# --------------------------------------------------------------------------- set-up


@contextlib.contextmanager
def postgres_database(admin_dsn: str) -> Iterator[str]:
    """A fresh database for one strongroom server, dropped afterwards."""
    import psycopg

    name = f"strongroom_bench_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield admin_dsn.rsplit("/", 1)[0] + "/" + name
    finally:
        with psycopg.connect(admin_dsn, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--store", choices=("sqlite", "postgresql", "both"), default="sqlite",
                   help="strongroom's store(s) to measure (default sqlite)")
    p.add_argument("--pg-dsn", default=DEFAULT_PG,
                   help=f"PostgreSQL admin DSN on this machine (default {DEFAULT_PG}); a fresh "
                   "database is created in it and dropped at the end")
    p.add_argument("--connections", default="16,64",
                   type=lambda s: [int(c) for c in s.split(",")],
                   help="comma-separated concurrent connection counts (default 16,64)")
    p.add_argument("--duration", type=float, default=12.0, help="seconds per run (default 12)")
    p.add_argument("--warmup", type=float, default=3.0,
                   help="seconds of unmeasured load before each run (default 3)")
    p.add_argument("--rounds", type=int, default=2,
                   help="times each run is repeated, servers alternating (default 2)")
    p.add_argument("--threads", type=int, default=None,
                   help="strongroom --threads (default: the server's own default)")
    p.add_argument("--no-pin", action="store_true",
                   help="do not pin servers and wrk to separate cores with taskset")
    p.add_argument("--profile", type=Path, metavar="DIR", default=None,
                   help="after measuring, profile each strongroom server under load with py-spy "
                   "and write the profiles to DIR")
    p.add_argument("--profile-seconds", type=int, default=10)
    p.add_argument("--keep-logs", action="store_true",
                   help="keep the temporary directory with the server logs")
    args = p.parse_args(argv)
    if args.duration + args.warmup > 240:
        p.error("--warmup plus --duration must stay under 4 minutes (signatures last 5)")
    return args


def cpu_plan(no_pin: bool) -> tuple[str | None, str | None]:
    """(server CPUs, wrk CPUs): the servers on CPU 0, wrk on the last core."""
    cores = sorted(os.sched_getaffinity(0))
    if no_pin or len(cores) < 2 or shutil.which("taskset") is None:
        return None, None
    return str(cores[0]), str(cores[-1])


def build_servers(args: argparse.Namespace, stack: contextlib.ExitStack, workdir: Path,
                  server_cpus: str | None) -> list[Server]:
    strongroom_bin = find_tool("strongroom")
    if strongroom_bin is None or find_tool("moto_server") is None:
        raise SystemExit("strongroom and moto_server must be installed in the venv: "
                         "pip install -e '.[bench]'")
    secret_key = base64.b64encode(secrets.token_bytes(30)).decode()  # 40 characters
    stores = ["sqlite", "postgresql"] if args.store == "both" else [args.store]
    servers: list[Server] = []
    for store in stores:
        command = [strongroom_bin, "server", "--data-dir", str(workdir / f"data-{store}"),
                   "--host", HOST, "--regions", REGION, "--log-level", "warning"]
        if args.threads:
            command += ["--threads", str(args.threads)]
        if store == "postgresql":
            command += ["--store", stack.enter_context(postgres_database(args.pg_dsn))]
        servers.append(Server(
            label=f"strongroom ({store})", command=pinned(command, server_cpus),
            port_flag="--port", health_path="/health",
            env={**os.environ, "STRONGROOM_ROOT_ACCESS_KEY_ID": ACCESS_KEY_ID,
                 "STRONGROOM_ROOT_SECRET_ACCESS_KEY": secret_key},
            log_path=workdir / f"strongroom-{store}.log", secret_key=secret_key,
            uses_postgres=store == "postgresql",
        ))
    servers.append(Server(
        label="moto", command=pinned([sys.executable, "-c", MOTO_QUIET, "-H", HOST], server_cpus),
        port_flag="-p",
        health_path="/moto-api/data.json", env=dict(os.environ),
        log_path=workdir / "moto.log", secret_key=secret_key,
    ))
    return servers


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if shutil.which("wrk") is None:
        print(WRK_HINT, file=sys.stderr)
        return 2
    if args.store != "sqlite":
        loopback_only(args.pg_dsn)
    # Everything here talks to 127.0.0.1 only: no proxy may take the traffic elsewhere.
    for name in [k for k in os.environ if k.lower().endswith("_proxy")]:
        del os.environ[name]
    os.environ["NO_PROXY"] = os.environ["no_proxy"] = f"{HOST},localhost"
    server_cpus, wrk_cpus = cpu_plan(args.no_pin)

    workdir = Path(tempfile.mkdtemp(prefix="strongroom-bench-"))
    results: list[Result] = []
    try:
        with contextlib.ExitStack() as stack:  # unwinds: stop the servers, then drop databases
            servers = build_servers(args, stack, workdir, server_cpus)
            stack.callback(lambda: [s.stop() for s in servers])
            for server in servers:
                server.start()
                server.client().create_secret(Name=SECRET_NAME, SecretString=SECRET_VALUE)
                got = server.client().get_secret_value(SecretId=SECRET_NAME)
                if got["SecretString"] != SECRET_VALUE:
                    raise RuntimeError(f"{server.label}: boto3 read back the wrong value")
                print(f"{server.label}: pid {server.pid} on {server.endpoint}", flush=True)

            for round_no in range(1, args.rounds + 1):
                shift = (round_no - 1) % len(servers)  # rotate who goes first
                order = servers[shift:] + servers[:shift]
                for connections in args.connections:
                    for server in order:
                        results.append(measure(server, workdir, connections, args, round_no,
                                               wrk_cpus))
            valid = summarize(results, server_cpus, wrk_cpus, args)
            if args.profile is not None:
                for server in servers:
                    if server.label != "moto":
                        profile(server, workdir, args, args.profile, wrk_cpus)
    finally:
        if args.keep_logs:
            print(f"logs kept in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0 if valid else 1


if __name__ == "__main__":
    sys.exit(main())
