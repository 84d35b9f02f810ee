"""How long seed_demo takes to bulk-insert N entries into a fresh SQLite database.

.venv/bin/python bench/seed_demo.py [N]     (default 100000; target: well under a minute)
"""

import os
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main():
    entries = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    with tempfile.TemporaryDirectory() as folder:
        env = {**os.environ, "DATABASE_URL": f"sqlite:///{folder}/bench.sqlite3"}
        # DEBUG stays off, as in production, so the settings need a key: a throwaway one will do.
        env.setdefault("SECRET_KEY", secrets.token_urlsafe(50))

        def manage(*args):
            subprocess.run(
                [sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL
            )

        manage("migrate", "--no-input")
        started = time.perf_counter()
        manage("seed_demo", "--entries", str(entries))
        seconds = time.perf_counter() - started
        again = time.perf_counter()
        manage("seed_demo", "--entries", str(entries))
        rerun = time.perf_counter() - again
        size = Path(folder, "bench.sqlite3").stat().st_size / 1e6
    print(
        f"seed_demo --entries {entries}: {seconds:.1f} s ({entries / seconds:,.0f} entries/s), database {size:.0f} MB"
    )
    print(f"second run (idempotent, nothing to add): {rerun:.1f} s")


if __name__ == "__main__":
    main()
