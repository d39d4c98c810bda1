"""What envelope decryption costs inside one GetSecretValue, measured in-process.

Times, on SQLite and this machine, (1) a whole signed GetSecretValue through the JSON
protocol adapter and (2) the envelope decryption alone (state check, data key from
the cache or opened under the KMS key, value opened under the data key), cold (no
data-key cache) and warm, alternating in rounds.

    .venv/bin/python bench/envelope_cost.py [--calls 3000] [--rounds 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from authorization_cost import setup, signed

from strongroom.core.config import ServerConfig
from strongroom.protocol.json11 import ClientFacts
from strongroom.server.compose import build


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    app = build(ServerConfig(data_dir=Path(tempfile.mkdtemp()),
                             regions=frozenset({"us-east-1"})))
    key, secret = setup(app)
    request = signed("secretsmanager.GetSecretValue", {"SecretId": "bench/app1"}, key, secret)
    keys = app.secrets._keys  # the service's own KeyService
    with app.store.read() as tx:
        record = tx.get_secret_by_name(app.first_start.account_id, "us-east-1", "bench/app1")
        version = tx.get_version(record.pk, tx.get_stages(record.pk)["AWSCURRENT"])
    context = {"SecretARN": record.arn, "SecretVersionId": version.version_id}

    def whole() -> float:
        start = time.perf_counter()
        for _ in range(args.calls):
            app.json11.handle(request, "secretsmanager.GetSecretValue", ClientFacts())
        return (time.perf_counter() - start) / args.calls * 1e6

    def envelope(cold: bool) -> float:
        with app.store.read() as tx:
            start = time.perf_counter()
            for _ in range(args.calls):
                if cold:
                    keys._data_keys.clear()
                keys.decrypt_value(tx, version.wrapped_key, version.ciphertext, context)
            return (time.perf_counter() - start) / args.calls * 1e6

    results: dict[str, list[float]] = {"GetSecretValue, whole call": [],
                                       "envelope decryption, cold": [],
                                       "envelope decryption, warm": []}
    for _ in range(args.rounds):
        results["GetSecretValue, whole call"].append(whole())
        results["envelope decryption, cold"].append(envelope(cold=True))
        results["envelope decryption, warm"].append(envelope(cold=False))
    print(f"In-process, SQLite, {args.calls} calls x {args.rounds} rounds (medians)")
    for name, values in results.items():
        print(f"  {name:30s} {statistics.median(values):7.1f} us")


if __name__ == "__main__":
    main()
