"""`python -m chaos [ledger|workers|temporal|outbox|soak|all]` (`make chaos`, `make soak`)."""

import argparse
import asyncio
import sys

from chaos import outbox_faults, scenario, soak, temporal_restart, workflow_kills
from chaos import run as ledger


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m chaos", description=__doc__)
    parser.add_argument("scenario", nargs="?", default="all",
                        choices=["ledger", "workers", "temporal", "outbox", "soak", "all"])
    parser.add_argument("--duration", type=float, help="seconds of load (default: 90 for "
                        "ledger, 90 for the workflow scenarios, 600 for soak)")
    parser.add_argument("--clients", type=int, help="default 64 (ledger), 16 (others)")
    parser.add_argument("--every", type=float, help="seconds between faults (ledger 4, "
                        "workers 12, outbox 8)")
    parser.add_argument("--outage", type=float, default=20.0, help="seconds Temporal is away")
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args()
    chosen = ["ledger", "workers", "temporal", "outbox"] if args.scenario == "all" \
        else [args.scenario]
    status = 0
    for name in chosen:
        clients = args.clients or (64 if name == "ledger" else 16)
        if name == "ledger":
            code = asyncio.run(ledger.run(args.duration or 90.0, clients, args.every or 4.0,
                                          args.seed))
        elif name == "workers":
            code = asyncio.run(scenario.run(
                name, workflow_kills.faults(args.every or 12.0), duration=args.duration or 90,
                clients=clients))
        elif name == "temporal":
            code = asyncio.run(scenario.run(
                name, temporal_restart.faults(args.outage), duration=args.duration or 90,
                clients=clients))
        elif name == "outbox":
            code = asyncio.run(scenario.run(
                name, outbox_faults.faults(args.every or 8.0), duration=args.duration or 90,
                clients=clients, mix=outbox_faults.MIX))
        else:
            code = asyncio.run(scenario.run(
                name, soak.faults(), duration=args.duration or 600, clients=clients,
                sample_rss=True, after=soak.after))
        status = status or code
    sys.exit(status)


main()
