"""How long one integrity scan takes (issue 11): ``services.integrity.find`` over an event seeded as
``bench/attempt_profile.py`` seeds it (players, challenges, solves, wrong answers), plus a share of
wrong answers repeated by several players so that the shared-guess groups have work to do.

    .venv/bin/python bench/integrity_scan.py                      # SQLite in a temp directory
    .venv/bin/python bench/integrity_scan.py --wrong 300000       # a bigger event
    .venv/bin/python bench/integrity_scan.py --postgres

The scan runs in the background (once per 30 s across processes), never on a request's path; this
says what that costs the database.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

from sqlalchemy import insert

from attempt_profile import NullBus, database, seed  # the sibling benchmark's helpers (bench/ is on sys.path)
from kizuna.challenge_types import ChallengeTypeRegistry
from kizuna.services import integrity
from kizuna.services.context import Context
from kizuna.storage import tables as t


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--players", type=int, default=1000)
    p.add_argument("--challenges", type=int, default=50)
    p.add_argument("--solves", type=int, default=10_000)
    p.add_argument("--wrong", type=int, default=100_000)
    p.add_argument("--shared", type=int, default=2000, help="wrong answers sent by 2-4 players each")
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--postgres", action="store_true")
    args = p.parse_args(argv)
    rng = random.Random(11)
    with database(args) as db:
        ctx = Context(db=db, types=ChallengeTypeRegistry.from_entry_points(), bus=NullBus())
        started = time.perf_counter()
        users, flags = seed(ctx, args, rng)
        cids = list(flags)
        now = ctx.now()
        rows = []
        for n in range(args.shared):
            challenge = rng.choice(cids)
            for u in rng.sample(users, rng.randint(2, 4)):
                rows.append(
                    {
                        "challenge_id": challenge,
                        "user_id": u,
                        "account_id": u,
                        "provided": f"flag{{shared-guess-{n}}}",
                        "type": "incorrect",
                        "date": now,
                    }
                )
        with db.write() as s:
            s.execute(insert(t.Submission), rows)
        print(f"backend {db.engine.dialect.name}; seeded in {time.perf_counter() - started:.1f} s")
        integrity.find(ctx)  # warm-up: the first read fills the caches
        times = []
        found = []
        for _ in range(args.runs):
            t0 = time.perf_counter()
            found = integrity.find(ctx)
            times.append(time.perf_counter() - t0)
        kinds: dict[str, int] = {}
        for f in found:
            kinds[f.kind] = kinds.get(f.kind, 0) + 1
        print(
            f"find(): median {statistics.median(times) * 1000:.0f} ms, max {max(times) * 1000:.0f} ms "
            f"over {args.runs} runs; {len(found)} signals {kinds}"
        )


if __name__ == "__main__":
    main()
