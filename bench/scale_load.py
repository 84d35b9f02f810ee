"""The timer under gunicorn for bench/scale.py: 2 workers on 127.0.0.1, a bounded number of requests by a few
threads that stop, start and list timers through the API, each on a user of its own."""

import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def load_plan(client, threads, rounds):
    """For each load thread, a task of its own and `rounds` Staff users, each with a timer running for an
    hour: every stop under load is a real one (under a minute would be refused)."""
    from django.contrib.auth.models import Group
    from django.utils import timezone

    from timetracker.accounts.models import ApiKey, Role, User
    from timetracker.tasks import timer
    from timetracker.tasks.models import Task

    staff = Group.objects.get(name=Role.STAFF)
    hour_ago = timezone.now() - timedelta(hours=1)
    plan = []
    for thread in range(threads):
        task = Task.objects.create(title=f"Scale bench load {thread}", client=client)
        keys = []
        for round_ in range(rounds):
            user = User.objects.create(username=f"scale-load-{thread}-{round_}", password="!")
            user.groups.add(staff)
            timer.start(user=user, task=task, now=hour_ago)
            keys.append(ApiKey.issue(user=user, name="scale load")[1])
        plan.append({"task": task.pk, "keys": keys})
    return plan


# --- the timer under gunicorn (this process) ----------------------------------------------------------


def timer_load(env, plan, args, folder):
    """gunicorn with 2 workers on 127.0.0.1; each thread, each round: stop (a timer started an hour ago, on a
    user of that round), start again, list the active timers. Ends after all rounds or --seconds."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    log = open(Path(folder, "gunicorn.log"), "w")  # noqa: SIM115
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "timetracker.wsgi:application",
            "--workers",
            "2",
            "--bind",
            f"127.0.0.1:{port}",
            "--timeout",
            "120",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        if not _wait_until_up(f"{base}/login/", server):
            return {"error": "gunicorn did not answer within 60 s"}
        for _ in range(8):  # both workers import and resolve URLs before the clock starts
            _call("GET", f"{base}/login/", None)
        samples, lock = [], threading.Lock()
        deadline = time.monotonic() + args.seconds

        def work(task, keys):
            for key in keys:
                for method, path in (
                    ("POST", f"tasks/{task}/stop"),
                    ("POST", f"tasks/{task}/start"),
                    ("GET", "timers/active"),
                ):
                    if time.monotonic() > deadline:
                        return
                    status, ms = _call(method, f"{base}/api/v1/{path}", key)
                    with lock:
                        samples.append((path.rsplit("/", 1)[-1], status, ms))

        threads = [threading.Thread(target=work, args=(t["task"], t["keys"])) for t in plan]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        wall = time.perf_counter() - started
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()
    errors = [line for line in Path(folder, "gunicorn.log").read_text().splitlines() if "Error" in line]
    return {"samples": samples, "seconds": wall, "threads": len(plan), "errors": errors[-3:]}


def _wait_until_up(url, server):
    for _ in range(300):
        if server.poll() is not None:
            return False
        try:
            urllib.request.urlopen(url, timeout=10).close()
            return True
        except urllib.error.HTTPError:
            return True  # it answers; what it says is the load's business
        except OSError:
            time.sleep(0.2)
    return False


def _call(method, url, key):
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"} if key else {}
    request = urllib.request.Request(
        url, data=b"{}" if method == "POST" else None, headers=headers, method=method
    )
    begin = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            response.read()
            status = response.status
    except urllib.error.HTTPError as error:
        status = error.code
    except OSError:
        status = 0  # no answer at all
    return status, (time.perf_counter() - begin) * 1000
