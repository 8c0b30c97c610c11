"""The booking flow of two or more checkouts, measured alternately against the same
benchmark database: for each round and each checkout, gunicorn starts from that checkout
(2 sync workers, the production settings of run.py), wrk measures the bare view for 5 s,
then run.py's flow runs once (4 Python clients, GET form -> POST -> GET confirmation).

    python benchmarks/compare_flow.py --rounds 3 /path/to/old:logged /path/to/new

A checkout is a directory with a `.venv` (a symlink to this one's is enough). The suffix
`:logged` or `:unlogged` sets the session table's persistence before that checkout runs,
for code from before joblokal/migrations/0002 (which made it unlogged). The data is
run.py's (`benchmarks/var/fixture.json`; generate it first); every run's bookings are
removed again. Prints one line per run; compare within a round, the machine's load moves
the absolute figures.
"""

import argparse
import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from benchmarks import run  # noqa: E402


def set_session_table(database_url: str, mode: str) -> None:
    import psycopg

    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(f"ALTER TABLE django_session SET {mode.upper()}")


def bare_rps(server) -> float:
    out = subprocess.run(
        ["wrk", "-t2", "-c8", "-d5s", f"{server.base}/__bench__/ok"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return float(
        next(line for line in out.splitlines() if line.startswith("Requests/sec")).split()[1]
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("checkouts", nargs="+", help="DIR[:logged|:unlogged]")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--port", type=int, default=8818)
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "BENCH_DATABASE_URL", "postgres://joblokal:joblokal@127.0.0.1:5432/joblokal_bench"
        ),
    )
    args = parser.parse_args()
    args.secret_key = secrets.token_urlsafe(48)
    args.workers, args.duration, args.runs, args.flow_clients = 2, 5, 1, 4
    run.setup_django(args)
    fixture = json.loads((run.VAR / "fixture.json").read_text())
    specs = [
        (Path(spec.partition(":")[0]).resolve(), spec.partition(":")[2]) for spec in args.checkouts
    ]
    for checkout, _ in specs:
        # Production settings serve hashed static files from this directory's collection.
        python = str(checkout / ".venv" / "bin" / "python")
        subprocess.run(
            [python, "manage.py", "collectstatic", "--noinput", "-v", "0"],
            cwd=checkout,
            env=run.server_env(args),
            check=True,
        )
    try:
        for round_ in range(args.rounds):
            for checkout, mode in specs:
                if mode:
                    set_session_table(args.database_url, mode)
                server = run.Server(args, root=checkout).start()
                try:
                    bare = bare_rps(server)
                    flow = run.measure_flow(args, server, fixture, [])
                finally:
                    server.stop()
                name = f"{checkout}:{mode}" if mode else str(checkout)
                print(
                    f"round {round_ + 1} {name}: bare {bare:.0f} req/s, "
                    f"flow {flow['flows_per_s']:.1f} bookings/s, workers' CPU "
                    f"{flow['server_cpu_ms']:.1f} ms a booking",
                    flush=True,
                )
    finally:
        set_session_table(args.database_url, "unlogged")


if __name__ == "__main__":
    main()
