"""How fast the Logs page answers with many entries, on a fresh database seeded by seed_demo.

    .venv/bin/python bench/logs_page.py [ENTRIES]          (default 200000; SQLite in a temporary folder)
    DATABASE_URL=postgres://... .venv/bin/python bench/logs_page.py 1000000   (an existing, empty database)

Prints the median and worst time of each request and its query count.
"""

import os
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
FOLDER = tempfile.mkdtemp()
os.environ.setdefault("DATABASE_URL", f"sqlite:///{FOLDER}/bench.sqlite3")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "timetracker.settings")
os.environ["STATIC_MANIFEST"] = "0"
# Measured with DEBUG off, as in production, which needs a key; this one lives only as long as the run.
os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))

import warnings  # noqa: E402

import django  # noqa: E402

# No collectstatic in a throwaway benchmark: WhiteNoise may say so once, which is noise here.
warnings.filterwarnings("ignore", "No directory at")

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from timetracker.accounts.models import User  # noqa: E402
from timetracker.clients.models import Client as Customer  # noqa: E402

REQUESTS = {
    "logs, default": {},
    "logs, one client": {"client": "CLIENT"},
    "logs, sorted by duration": {"sort": "-duration"},
    "logs, this year, search": {"period": "this_year", "q": "client"},
    "logs, page 3": {"page": "3"},
}


def main():
    entries = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    call_command("seed_demo", entries=entries, stdout=open(os.devnull, "w"))  # noqa: SIM115
    print(f"seeded {entries:,} entries in {time.perf_counter() - started:.1f} s on {connection.vendor}")
    client_id = str(Customer.objects.order_by("pk").values_list("pk", flat=True).first())
    for username in ("alice", "bob"):
        browser = Client()
        browser.force_login(User.objects.get(username=username))
        browser.get("/logs/")  # warm caches and the settings row
        for label, params in REQUESTS.items():
            params = {k: client_id if v == "CLIENT" else v for k, v in params.items()}
            times = []
            for _ in range(5):
                with CaptureQueriesContext(connection) as queries:
                    begin = time.perf_counter()
                    response = browser.get("/logs/", params)
                    times.append((time.perf_counter() - begin) * 1000)
                assert response.status_code == 200, response.status_code
            print(
                f"{username:6} {label:28} median {statistics.median(times):7.1f} ms   "
                f"worst {max(times):7.1f} ms   {len(queries)} queries"
            )


if __name__ == "__main__":
    main()
