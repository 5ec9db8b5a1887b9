"""`python -m fuzz`: contract fuzzing of every served module against a throwaway stack.

    python -m fuzz                       # long profile, 900 s (FUZZ_MAX_TIME overrides)
    python -m fuzz --profile short       # the profile `make test` runs
    python -m fuzz --max-time 120 --modules ledger,auth --seed 1
    python -m fuzz --unguarded           # also lets it at the stack's own resources

Exit status 1 when a request got a 5xx or no answer, or when the stack was damaged."""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import time
from pathlib import Path
from typing import Any

from fuzz.run import (
    LONG,
    SHORT,
    SPEC_ENV_DIR,
    Guard,
    Profile,
    Tally,
    integrity_problems,
    load_spec,
    passed,
    print_summary,
    report,
    run_schemathesis,
    run_targeted,
    served_modules,
    write_json,
)
from fuzz.seed import seed as seed_stack
from fuzz.stack import FuzzStack, client_credentials_token

ROOT = Path(__file__).resolve().parent.parent


def shared_dir() -> Path:
    return Path(os.environ.get(SPEC_ENV_DIR, ROOT.parent / "shared"))


def spec_path() -> Path:
    return shared_dir() / "formance-openapi" / "stack.openapi.derived.yaml"


def fuzz(profile: Profile, *, workdir: Path, seed: int | None = None,
         only: list[str] | None = None, guarded: bool = True) -> dict[str, Any]:
    """Start a stack in `workdir`, fuzz it with `profile`, stop it; the report as a dict."""
    stack = FuzzStack(workdir / "stack")
    stack.start()
    try:
        token = client_credentials_token(stack.base_url, stack.client_id, stack.client_secret)
        modules = served_modules(stack.base_url, {"Authorization": f"Bearer {token}"})
        if only:
            modules = [m for m in modules if m in only]
        guard = Guard(client_id=stack.client_id, enabled=guarded)
        seeds, seed_problems = seed_stack(
            stack.base_url, token, shared_dir() / "numscript-testdata" / "script-tests")
        tally = Tally()
        started = time.monotonic()
        targeted = run_targeted(stack.base_url, token, seeds, tally, seed=seed,
                                max_time=profile.max_time * profile.targeted_share,
                                max_cases=profile.targeted_max)
        summary = run_schemathesis(load_spec(spec_path(), modules), stack.base_url, token,
                                   profile, guard, tally, seed=seed,
                                   max_time=profile.max_time - (time.monotonic() - started))
        summary["targeted_cases"] = targeted
        summary["seconds"] = round(time.monotonic() - started, 1)
        summary["errors"].extend(f"seeding: {p}" for p in seed_problems)
        summary["seeds"] = {"programs": len(seeds.programs), "cursors": len(seeds.cursors),
                            "funded_balances": len(seeds.balances)}
        integrity = integrity_problems(stack.base_url, stack.client_id, stack.client_secret,
                                       guard)
        for name, proc in (("api", stack.api), ("worker", stack.worker),
                           ("dispatcher", stack.dispatcher)):
            if proc is None or proc.poll() is not None:
                integrity.append(f"the {name} process exited; see {stack.root / (name + '.log')}")
        return report(tally, summary, modules, profile, guard, integrity)
    finally:
        stack.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fuzz", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--profile", choices=("short", "long"), default="long")
    parser.add_argument("--max-time", type=int, default=None,
                        help="seconds of fuzzing (default: the profile's; FUZZ_MAX_TIME)")
    parser.add_argument("--max-examples", type=int, default=None,
                        help="cases per operation and phase (default: the profile's)")
    parser.add_argument("--modules", default=None,
                        help="comma-separated subset of the served modules")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--no-nul", action="store_true",
                        help="generate no NUL character (to look past the faults they cause)")
    parser.add_argument("--unguarded", action="store_true",
                        help="let requests reach the stack's own resources (the bootstrap "
                        "client, the wallets ledger): tests the API's own protection of them")
    parser.add_argument("--workdir", type=Path, default=ROOT / ".data" / "fuzz",
                        help="the stack's data and logs (wiped at start, kept after the run "
                        "so a server error's traceback can be read in stack/api.log)")
    args = parser.parse_args(argv)

    profile = SHORT if args.profile == "short" else LONG
    max_time = args.max_time or int(os.environ.get("FUZZ_MAX_TIME", "0")) or profile.max_time
    profile = dataclasses.replace(profile, max_time=max_time,
                                  max_examples=args.max_examples or profile.max_examples,
                                  allow_nul=not args.no_nul)
    only = args.modules.split(",") if args.modules else None
    result = fuzz(profile, workdir=args.workdir, seed=args.seed, only=only,
                  guarded=not args.unguarded)
    write_json(result, args.workdir / "report.json")
    print_summary(result)
    print(f"report: {args.workdir / 'report.json'}; logs: {args.workdir / 'stack'}")
    return 0 if passed(result) else 1


if __name__ == "__main__":
    sys.exit(main())
