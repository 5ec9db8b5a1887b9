"""The raw-SQL limit: pgbench running, per transaction, the SQL work one ledger write does
(upsert and lock the touched volume rows in sorted order, take the ledger's counters, insert the
transaction, its accounts, its moves, its hashed log and its outbox event), with no API, no
Python and no driver in between. Our throughput is reported as a ratio of this."""

from __future__ import annotations

import re
import subprocess
import tempfile
from pathlib import Path

from workers.embedded_postgres import bin_dir

LEDGER = "pgbench"

SETUP_SQL = f"""
INSERT INTO ledgers (name, bucket, metadata, features, added_at)
VALUES ('{LEDGER}', '_default', '{{}}', '{{}}', now()) ON CONFLICT DO NOTHING;
"""

# One ledger write of scenario (a): world -> users:<n>, 100 USD/2.
SCRIPT = rf"""
\set n random(1, 100000)
BEGIN;
INSERT INTO accounts_volumes AS v (ledger, address, asset, input, output)
VALUES ('{LEDGER}', 'users:' || :n, 'USD/2', 100, 0), ('{LEDGER}', 'world', 'USD/2', 0, 100)
ON CONFLICT (ledger, address, asset)
DO UPDATE SET input = v.input + excluded.input, output = v.output + excluded.output
RETURNING input, output;
UPDATE ledgers SET last_transaction_id = last_transaction_id + 1, last_log_id = last_log_id + 1
WHERE name = '{LEDGER}' RETURNING last_transaction_id AS txid, last_log_hash AS prev \gset
INSERT INTO transactions (ledger, id, "timestamp", inserted_at, updated_at, postings, metadata,
                          sources, destinations)
VALUES ('{LEDGER}', :txid, now(), now(), now(),
        jsonb_build_array(jsonb_build_object('source', 'world', 'destination', 'users:' || :n,
                                             'amount', 100, 'asset', 'USD/2')),
        '{{}}', ARRAY['world'], ARRAY['users:' || :n]);
INSERT INTO accounts (ledger, address, address_array, first_usage, insertion_date, updated_at)
VALUES ('{LEDGER}', 'users:' || :n, ARRAY['users', :n::text], now(), now(), now()),
       ('{LEDGER}', 'world', ARRAY['world'], now(), now(), now())
ON CONFLICT DO NOTHING;
INSERT INTO moves (ledger, transaction_id, account_address, account_address_array, asset, amount,
                   is_source, insertion_date, effective_date, post_commit_volumes_input,
                   post_commit_volumes_output, post_commit_effective_volumes_input,
                   post_commit_effective_volumes_output)
VALUES ('{LEDGER}', :txid, 'world', ARRAY['world'], 'USD/2', 100, true, now(), now(),
        0, 100, 0, 100),
       ('{LEDGER}', :txid, 'users:' || :n, ARRAY['users', :n::text], 'USD/2', 100, false, now(),
        now(), 100, 0, 100, 0);
INSERT INTO logs (ledger, id, type, data, date, hash)
VALUES ('{LEDGER}', :txid, 'NEW_TRANSACTION', '{{"transaction": {{}}}}', now(),
        sha256(convert_to('{{"type":"NEW_TRANSACTION","id":' || :txid || '}}', 'UTF8')));
UPDATE ledgers SET last_log_hash = sha256(convert_to(:txid::text, 'UTF8')) WHERE name = '{LEDGER}';
INSERT INTO events_outbox (app, type, envelope)
VALUES ('ledger', 'COMMITTED_TRANSACTIONS', '{{"type": "COMMITTED_TRANSACTIONS"}}');
COMMIT;
"""


def run_pgbench(port: int, database: str, clients: int, duration_s: int) -> dict[str, float]:
    subprocess.run([str(bin_dir() / "psql"), "-h", "127.0.0.1", "-p", str(port), "-U",
                    "postgres", "-d", database, "-qc", SETUP_SQL], check=True,
                   capture_output=True)
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "ledger_write.sql"
        script.write_text(SCRIPT)
        proc = subprocess.run(
            [str(bin_dir() / "pgbench"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres",
             "-n", "-M", "prepared", "-c", str(clients), "-j", str(min(clients, 2)),
             "-T", str(duration_s), "-f", str(script), database],
            capture_output=True, text=True,
        )
    if proc.returncode != 0:
        raise RuntimeError(f"pgbench failed: {proc.stderr[-2000:]}")
    tps = re.search(r"tps = ([\d.]+)", proc.stdout)
    lat = re.search(r"latency average = ([\d.]+) ms", proc.stdout)
    return {"clients": clients, "tps": float(tps.group(1)) if tps else 0.0,
            "latency_avg_ms": float(lat.group(1)) if lat else 0.0}
