"""Whole syncs against fake provider servers: twice (nothing new the second time), after edits and deletions
upstream, through a spent quota and a throttled API, with nothing ever doubled or half-written."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.management import call_command

from tests.factories import UserFactory
from tests.integrations.fakes import ClickUp, Clockify, Harvest, Tempo, Toggl
from timetracker.imports.models import ImportRun
from timetracker.integrations import sync, tasks
from timetracker.integrations.models import SyncRun
from timetracker.tasks import totals
from timetracker.tasks.models import TimeEntry

pytestmark = pytest.mark.django_db
TODAY = date(2026, 11, 18)  # the tests' clock (tests/conftest.py STEADY_NOW)
NOV = datetime(2026, 11, 3, 8, 0, tzinfo=UTC)


def run_sync(connection, waits=None):
    sync_run = sync.claim(connection, trigger=SyncRun.Trigger.COMMAND)
    return sync.run(sync_run, sleep=(waits if waits is not None else []).append)


def counts(sync_run):
    return {name: value for name, value in sync_run.counts.items() if value}


def toggl_account():
    return Toggl(
        entries=[
            Toggl.entry(101, NOV, 3600, description="Kick-off ☕"),
            Toggl.entry(102, NOV + timedelta(days=1), 5400, description="Wireframes"),
            Toggl.entry(103, NOV + timedelta(days=2), 1800, user_name="Zoë Ødegård"),
            Toggl.entry(104, datetime.now(UTC) - timedelta(minutes=20), None),  # running: read once it stops
        ]
    )


def test_toggl_twice_then_after_an_edit_and_a_deletion(connect, admin_user):
    fake = toggl_account()
    connection = connect("toggl", fake)
    first = run_sync(connection)
    assert first.status == "done", first.message
    assert counts(first) == {"new": 3, "skipped": 1}
    assert TimeEntry.objects.count() == 3
    assert set(TimeEntry.objects.values_list("external_id", flat=True)) == {
        "toggl:101",
        "toggl:102",
        "toggl:103",
    }
    assert TimeEntry.objects.get(external_id="toggl:101").description == "Kick-off ☕"

    second = run_sync(connection)
    assert counts(second) == {"unchanged": 3, "skipped": 1}

    fake.entries[1]["description"] = "Wireframes, second round"
    del fake.entries[2]
    third = run_sync(connection)
    assert counts(third) == {"updated": 1, "unchanged": 1, "deleted": 1, "skipped": 1}
    assert TimeEntry.objects.get(external_id="toggl:102").description == "Wireframes, second round"
    assert not TimeEntry.objects.filter(external_id="toggl:103").exists()
    assert totals.compare() == []  # the kept totals moved with every write
    connection.refresh_from_db()
    assert connection.last_success_at and connection.last_error == ""
    assert connection.next_sync_at == third.finished_at + timedelta(minutes=connection.every_minutes)


def test_an_invoiced_entry_deleted_upstream_stays_as_a_conflict(connect):
    fake = toggl_account()
    connection = connect("toggl", fake)
    run_sync(connection)
    entry = TimeEntry.objects.get(external_id="toggl:101")
    from timetracker.tasks import entries

    entries.set_billing([entry], billed_elsewhere="INV-7")
    fake.entries[0]["description"] = "edited upstream"
    del fake.entries[0]
    later = run_sync(connection)
    assert later.count("deleted") == 0 and later.count("conflicts") == 1
    assert later.conflicts[0]["entry"] == entry.pk and "invoiced here" in later.conflicts[0]["reason"]
    assert TimeEntry.objects.filter(pk=entry.pk).exists()


@pytest.mark.parametrize(
    ("provider", "make", "fields", "edit"),
    [
        (
            "clockify",
            lambda: Clockify(
                entries=[
                    Clockify.entry(
                        f"{n:024x}", "b4de890ff78038db26859c0a", NOV + timedelta(hours=3 * n), 1800
                    )
                    for n in range(3)
                ]
            ),
            {"workspace": Clockify.workspace},
            lambda fake: fake.entries[0].update(description="Design review, final"),
        ),
        (
            "harvest",
            lambda: Harvest(
                entries=[Harvest.entry(636709000 + n, date(2026, 11, 2 + n), 1.25) for n in range(3)]
            ),
            {"account": Harvest.account, "email": "ops@agency.example"},
            lambda fake: fake.entries[0].update(notes="CSS, and the print styles"),
        ),
        (
            "tempo",
            lambda: Tempo(
                entries=[Tempo.entry(900 + n, date(2026, 11, 10 + n), "09:30:00", 2700) for n in range(3)]
            ),
            {},
            lambda fake: fake.entries[0].update(description="Reviewed the PR"),
        ),
        (
            "clickup",
            lambda: ClickUp(
                entries=[
                    ClickUp.entry(5000 + n, 1, NOV + timedelta(days=n), 1200, description="Copy")
                    for n in range(3)
                ]
            ),
            {"workspace": ClickUp.team},
            lambda fake: fake.entries[0].update(description="Copy, edited"),
        ),
    ],
)
def test_each_provider_twice_then_after_edits(connect, provider, make, fields, edit):
    fake = make()
    connection = connect(provider, fake, **fields)
    first = run_sync(connection)
    assert first.status == "done", first.message
    assert first.count("new") == 3
    assert run_sync(connection).count("new") == 0
    edit(fake)
    fake.entries.pop()
    last = run_sync(connection)
    assert (last.count("new"), last.count("updated"), last.count("deleted")) == (0, 1, 1)
    assert TimeEntry.objects.count() == 2
    assert totals.compare() == []


def test_a_spent_quota_defers_and_the_next_run_completes_without_doubles(connect):
    fake = toggl_account()
    fake.faults = [(402, {}, "You have hit your hourly limit")]
    connection = connect("toggl", fake)
    deferred = run_sync(connection)
    assert deferred.status == "deferred" and "quota is spent" in deferred.message
    assert TimeEntry.objects.count() == 0 and not ImportRun.objects.exists()  # nothing half-written
    connection.refresh_from_db()
    assert connection.next_sync_at == deferred.resume_at and "quota" in connection.last_error
    later = run_sync(connection)
    assert later.status == "done" and later.count("new") == 3
    assert run_sync(connection).count("new") == 0 and TimeEntry.objects.count() == 3


def test_a_throttled_api_waits_as_asked_then_writes_once(connect):
    fake = toggl_account()
    fake.faults = [(429, {"Retry-After": "2"}, "Too many requests"), (503, {}, "unavailable")]
    connection = connect("toggl", fake)
    waits = []
    done = run_sync(connection, waits)
    assert done.status == "done" and done.count("new") == 3 and waits == [2, 2]
    assert done.requests == 3


def test_wrong_credentials_fail_the_run_and_say_so(connect):
    connection = connect("toggl", toggl_account())
    connection.set_credentials(token="not-it-at-all-0000")
    connection.save()
    failed = run_sync(connection)
    assert failed.status == "failed" and "refused the credentials" in failed.message
    connection.refresh_from_db()
    assert "refused the credentials" in connection.last_error and connection.last_success_at is None


def test_one_run_at_a_time_and_the_tick_queues_due_connections(connect, django_capture_on_commit_callbacks):
    connection = connect("toggl", toggl_account())
    sync.claim(connection, trigger=SyncRun.Trigger.MANUAL)
    with pytest.raises(sync.AlreadyRunning):
        sync.claim(connection, trigger=SyncRun.Trigger.MANUAL)
    SyncRun.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("run_schedules")
    done = SyncRun.objects.get()
    assert done.trigger == "schedule" and done.status == "done" and done.count("new") == 3
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.queue_due() == 0  # next turn is an hour away


def test_people_map_to_our_users_by_email_name_or_the_connections_choice(connect):
    zoe = UserFactory(role="Staff", username="zoe", first_name="Zoë", last_name="Ødegård")
    fallback = UserFactory(role="Staff", username="fallback")
    connection = connect("toggl", toggl_account(), unknown_user=fallback)
    run_sync(connection)
    owners = dict(TimeEntry.objects.values_list("external_id", "user__username"))
    assert owners == {"toggl:101": "fallback", "toggl:102": "fallback", "toggl:103": "zoe"}
    assert zoe.pk


def test_the_sync_command_prints_the_counts(connect, capsys):
    connection = connect("toggl", toggl_account())
    call_command("sync", str(connection.pk))
    assert (
        "done: new 3, updated 0, unchanged 0, deleted 0, conflicts 0, skipped 1, errors 0"
        in capsys.readouterr().out
    )


def test_add_connection_prints_the_id_and_checks_what_the_page_checks(admin_user, capsys):
    from django.core.management.base import CommandError

    from timetracker.integrations.models import Connection

    args = ["add_connection", "harvest", "--name", "Harvest", "--token", "hv-token-123456789", "--by", "ada"]
    with pytest.raises(CommandError, match="account: Harvest needs the account id"):
        call_command(*args, "--email", "ops@agency.example")
    call_command(
        *args, "--email", "ops@agency.example", "--account", "1121001", "--time-zone", "Europe/Berlin"
    )
    out = capsys.readouterr().out.strip()
    connection = Connection.objects.get()
    assert out == str(connection.pk) and "hv-token" not in out
    assert (
        connection.credentials() == {"token": "hv-token-123456789"}
        and connection.time_zone == "Europe/Berlin"
    )


# --- found in review --------------------------------------------------------------------------------------


def test_an_entry_early_on_the_windows_first_local_day_is_not_taken_for_deleted(connect):
    """Amsterdam's 20 Oct 00:30 is 19 Oct in UTC: the window is asked for as instants, so it stays listed."""
    early = datetime(2026, 10, 19, 22, 30, tzinfo=UTC)
    connection = connect("toggl", Toggl(entries=[Toggl.entry(77, early, 1800)]))
    assert sync.run(sync.claim(connection, trigger="command"), today=date(2026, 11, 17)).count("new") == 1
    second = sync.run(sync.claim(connection, trigger="command"), today=date(2026, 11, 18))
    assert second.count("deleted") == 0 and TimeEntry.objects.filter(external_id="toggl:77").exists()


def test_a_narrowed_connection_deletes_nothing_it_no_longer_reads(connect, client, admin_user):
    from django.urls import reverse

    zoe, max_ = "b4de890ff78038db26859c0a", "c5ef901aa89149ec37960d1b"
    fake = Clockify(
        users=[
            {"id": zoe, "email": "z@example.com", "name": "Zoë"},
            {"id": max_, "email": "m@example.com", "name": "Max"},
        ],
        entries=[Clockify.entry("a" * 24, zoe, NOV, 1800), Clockify.entry("b" * 24, max_, NOV, 1800)],
    )
    connection = connect("clockify", fake, workspace=Clockify.workspace)
    assert run_sync(connection).count("new") == 2
    # Narrowed to Zoë on the page: Max's entry is no longer read, and stays.
    client.force_login(admin_user)
    data = {
        "provider": "clockify", "name": connection.name, "token": "", "workspace": Clockify.workspace,
        "account": zoe, "email": "", "base_url": connection.base_url, "time_zone": "Europe/Amsterdam",
        "window_days": 30, "every_minutes": 60, "enabled": "on", "people_map": "",
    }  # fmt: skip
    assert client.post(reverse("integrations:detail", args=[connection.pk]), data).status_code == 302
    connection.refresh_from_db()
    later = run_sync(connection)
    assert later.count("deleted") == 0 and TimeEntry.objects.count() == 2


def test_an_empty_answer_deletes_nothing(connect):
    fake = toggl_account()
    connection = connect("toggl", fake)
    run_sync(connection)
    fake.entries.clear()
    empty = run_sync(connection)
    assert empty.count("deleted") == 0 and TimeEntry.objects.count() == 3
    assert "listed no entries" in empty.problems[0]["message"]


def test_a_run_whose_worker_died_does_not_block_the_connection(connect):
    connection = connect("toggl", toggl_account())
    stuck = sync.claim(connection, trigger="schedule")
    SyncRun.objects.filter(pk=stuck.pk).update(
        status="running", created_at=datetime.now(UTC) - timedelta(hours=1)
    )
    fresh = sync.claim(connection, trigger="manual")
    stuck.refresh_from_db()
    assert stuck.status == "failed" and "worker stopped" in stuck.message
    assert sync.run(fresh).status == "done"


def test_tempo_people_are_mapped_by_account_id(connect, client, admin_user):
    from django.urls import reverse

    sam = UserFactory(role="Staff", username="sam")
    connection = connect(
        "tempo", Tempo(entries=[Tempo.entry(1, date(2026, 11, 10), "09:00:00", 3600, account="557058:f1c2")])
    )
    client.force_login(admin_user)
    data = {
        "provider": "tempo", "name": "Jira", "token": "", "workspace": "", "account": "", "email": "",
        "base_url": connection.base_url, "time_zone": "Europe/Amsterdam", "window_days": 30, "every_minutes": 60,
        "enabled": "on", "people_map": "557058:f1c2 = sam",
    }  # fmt: skip
    assert client.post(reverse("integrations:detail", args=[connection.pk]), data).status_code == 302
    connection.refresh_from_db()
    run_sync(connection)
    assert TimeEntry.objects.get().user == sam
    page = client.get(reverse("integrations:detail", args=[connection.pk])).content.decode()
    assert "557058:f1c2 = sam" in page


def test_with_overlaps_off_an_upstream_move_onto_another_entry_is_a_conflict_not_a_failed_run(connect):
    from timetracker.billing.models import Settings

    settings = Settings.load()
    settings.allow_overlapping_entries = False
    settings.save()
    fake = Toggl(entries=[Toggl.entry(601, NOV, 3600), Toggl.entry(602, NOV + timedelta(hours=2), 1800)])
    connection = connect("toggl", fake)
    assert run_sync(connection).count("new") == 2
    fake.entries[1].update(
        start=(NOV + timedelta(minutes=30)).isoformat(), stop=(NOV + timedelta(minutes=60)).isoformat()
    )
    later = run_sync(connection)
    assert (
        later.status == "done"
        and later.count("conflicts") == 1
        and "overlaps" in later.conflicts[0]["reason"]
    )
    assert TimeEntry.objects.get(external_id="toggl:602").started_at == NOV + timedelta(hours=2)
