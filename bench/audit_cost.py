"""What the audit trail costs: strongroom with the trail on against `--no-audit`, side by side.

Two servers per store (SQLite, PostgreSQL), identical but for `--no-audit`, take the same
wrk load in alternating rounds: a replayed SigV4-signed GetSecretValue (a read: its record
goes through the group-commit writer and the reply waits for it), and a write-heavy load
of distinct pre-signed PutSecretValue requests (each a new version; its record is written
in the write's own transaction). Reuses bench/get_secret_value.py's server, wrk and CPU
plumbing (see bench/README.md for the setup: wrk, taskset, PostgreSQL on 127.0.0.1).

    .venv/bin/python bench/audit_cost.py --store both
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import json
import math
import os
import secrets
import shutil
import statistics
import sys
import tempfile
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

sys.path.insert(0, str(Path(__file__).resolve().parent))
import get_secret_value as base  # the sibling benchmark, found through sys.path

PUT_TARGET = "secretsmanager.PutSecretValue"
VERSIONS_PER_SECRET = 95  # under the 100 versions a secret may hold within 24 hours
_HANDLERS = base.LUA_TEMPLATE.split("{headers}\n", 1)[1].replace("{{", "{").replace("}}", "}")


def build(args: argparse.Namespace, stack: contextlib.ExitStack, workdir: Path,
          cpus: str | None) -> list[tuple[str, bool, base.Server]]:
    strongroom_bin = base.find_tool("strongroom")
    if strongroom_bin is None:
        raise SystemExit("strongroom must be installed in the venv: pip install -e .")
    secret_key = base64.b64encode(secrets.token_bytes(30)).decode()
    stores = ["sqlite", "postgresql"] if args.store == "both" else [args.store]
    out = []
    for store in stores:
        for audit in (True, False):
            name = f"{store}-{'on' if audit else 'off'}"
            command = [strongroom_bin, "server", "--data-dir", str(workdir / f"data-{name}"),
                       "--host", base.HOST, "--regions", base.REGION, "--log-level", "warning"]
            if not audit:
                command.append("--no-audit")
            if args.threads:
                command += ["--threads", str(args.threads)]
            if store == "postgresql":
                command += ["--store", stack.enter_context(base.postgres_database(args.pg_dsn))]
            out.append((store, audit, base.Server(
                label=f"{store}, trail {'on' if audit else 'off'}",
                command=base.pinned(command, cpus), port_flag="--port", health_path="/health",
                env={**os.environ, "STRONGROOM_ROOT_ACCESS_KEY_ID": base.ACCESS_KEY_ID,
                     "STRONGROOM_ROOT_SECRET_ACCESS_KEY": secret_key},
                log_path=workdir / f"strongroom-{name}.log", secret_key=secret_key,
                uses_postgres=store == "postgresql")))
    return out


def create_put_secrets(server: base.Server, count: int) -> int:
    """Enough secrets for `count` new versions under the version limit; returns how many."""
    secret_count = math.ceil(count / VERSIONS_PER_SECRET)
    client = server.client()
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda i: client.create_secret(Name=f"bench/put-{i}", SecretString="0"),
                      range(secret_count)))
    return secret_count


def put_script(server: base.Server, path: Path, count: int, secret_count: int,
               start: int) -> None:
    """A wrk script cycling through `count` distinct PutSecretValue requests, signed now
    (signatures last 5 minutes), the n-th (from `start`) going to secret n mod
    `secret_count`."""
    credentials = Credentials(base.ACCESS_KEY_ID, server.secret_key)
    lines = ["local requests = {}"]
    for n in range(start, start + count):
        body = json.dumps({"SecretId": f"bench/put-{n % secret_count}",
                           "SecretString": str(n), "ClientRequestToken": str(uuid.uuid4())},
                          separators=(",", ":"))
        request = AWSRequest(method="POST", url=server.endpoint + "/", data=body.encode(),
                             headers={"Host": f"{base.HOST}:{server.port}",
                                      "Content-Type": base.CONTENT_TYPE,
                                      "X-Amz-Target": PUT_TARGET})
        SigV4Auth(credentials, "secretsmanager", base.REGION).add_auth(request)
        headers = ", ".join(f"[{base.lua_string(k)}] = {base.lua_string(v)}"
                            for k, v in request.headers.items())
        lines.append(f'requests[{n - start + 1}] = wrk.format("POST", "/", {{{headers}}}, '
                     f"{base.lua_string(body)})")
    lines.append("local next_request = 0\nfunction request()\n"
                 "  next_request = next_request % #requests + 1\n"
                 "  return requests[next_request]\nend")
    path.write_text("\n".join(lines) + "\n" + _HANDLERS)


def run(server: base.Server, script: Path, args: argparse.Namespace, connections: int,
        cpus: str | None) -> dict[str, float]:
    if args.warmup > 0:
        base.run_wrk(server, script, connections, args.warmup, cpus)
    cpu_before = base.cpu_seconds(server.pid)
    values = base.run_wrk(server, script, connections, args.duration, cpus)
    seconds = int(values["duration_us"]) / 1e6
    return {"rps": int(values["requests"]) / seconds, "p50": int(values["p50"]) / 1000,
            "p99": int(values["p99"]) / 1000, "bad": int(values["non200"])
            + int(values["socket_errors"]),
            "cpu_us": 1e6 * (base.cpu_seconds(server.pid) - cpu_before)
            / max(1, int(values["requests"]))}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--store", choices=("sqlite", "postgresql", "both"), default="both")
    p.add_argument("--pg-dsn", default=base.DEFAULT_PG)
    p.add_argument("--connections", default="16,64",
                   type=lambda s: [int(c) for c in s.split(",")])
    p.add_argument("--duration", type=float, default=8.0)
    p.add_argument("--warmup", type=float, default=2.0)
    p.add_argument("--rounds", type=int, default=1)
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("--put-requests", type=int, default=20_000,
                   help="distinct PutSecretValue requests per run (they repeat after)")
    p.add_argument("--no-pin", action="store_true")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if shutil.which("wrk") is None:
        print(base.WRK_HINT, file=sys.stderr)
        return 2
    if args.store != "sqlite":
        base.loopback_only(args.pg_dsn)
    for name in [k for k in os.environ if k.lower().endswith("_proxy")]:
        del os.environ[name]
    server_cpus, wrk_cpus = base.cpu_plan(args.no_pin)
    workdir = Path(tempfile.mkdtemp(prefix="strongroom-audit-bench-"))
    results: dict[tuple[str, str, int, bool], list[dict[str, float]]] = {}
    bad = 0
    try:
        with contextlib.ExitStack() as stack:
            servers = build(args, stack, workdir, server_cpus)
            stack.callback(lambda: [s.stop() for _, _, s in servers])
            runs = args.rounds * len(args.connections)
            secret_counts: dict[int, int] = {}
            done_puts: dict[int, int] = {}
            for _, _, server in servers:
                server.start()
                server.client().create_secret(Name=base.SECRET_NAME,
                                              SecretString=base.SECRET_VALUE)
                secret_counts[server.port] = create_put_secrets(server, runs * args.put_requests)
                done_puts[server.port] = 0
                print(f"{server.label}: ready on {server.endpoint}", flush=True)
            for round_no in range(1, args.rounds + 1):
                for connections in args.connections:
                    order = servers if round_no % 2 else servers[::-1]
                    for store, audit, server in order:
                        get = workdir / f"get-{server.port}.lua"
                        headers = server.signed_headers()
                        server.check_signed(headers)
                        base.write_lua(get, headers)
                        put = workdir / f"put-{server.port}.lua"
                        put_script(server, put, args.put_requests, secret_counts[server.port],
                                   done_puts[server.port])
                        done_puts[server.port] += args.put_requests
                        for operation, script in (("GetSecretValue", get),
                                                  ("PutSecretValue", put)):
                            result = run(server, script, args, connections, wrk_cpus)
                            bad += int(result["bad"])
                            results.setdefault((store, operation, connections, audit),
                                               []).append(result)
                            print(f"  round {round_no} {server.label:<22} {operation:<15} "
                                  f"c={connections:<3} {result['rps']:8.0f} req/s  p50 "
                                  f"{result['p50']:6.2f} ms  p99 {result['p99']:6.2f} ms"
                                  + (f"  {int(result['bad'])} NOT 200" if result["bad"] else ""),
                                  flush=True)
            report(results)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0 if bad == 0 else 1


def report(results: dict[tuple[str, str, int, bool], list[dict[str, float]]]) -> None:
    def median(key: tuple[str, str, int, bool], field: str) -> float:
        valid = [r[field] for r in results[key] if not r["bad"]] or [math.nan]
        return statistics.median(valid)

    print("\n| store | operation | conns | req/s on | req/s off | on/off | p50 ms on/off "
          "| p99 ms on/off | CPU µs/req on/off |")
    print("|---|---|---|---|---|---|---|---|---|")
    keys = sorted({k[:3] for k in results})
    for store, operation, connections in keys:
        on, off = (store, operation, connections, True), (store, operation, connections, False)
        if on not in results or off not in results:
            continue
        row: list[Any] = [store, operation, connections, f"{median(on, 'rps'):.0f}",
                          f"{median(off, 'rps'):.0f}",
                          f"{median(on, 'rps') / median(off, 'rps'):.2f}",
                          f"{median(on, 'p50'):.1f} / {median(off, 'p50'):.1f}",
                          f"{median(on, 'p99'):.1f} / {median(off, 'p99'):.1f}",
                          f"{median(on, 'cpu_us'):.0f} / {median(off, 'cpu_us'):.0f}"]
        print("| " + " | ".join(str(c) for c in row) + " |")


if __name__ == "__main__":
    sys.exit(main())
