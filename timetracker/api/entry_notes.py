"""/api/v1/time-entries/{id}/notes: notes on an entry, Moneybird's to-dos among them.

A note is `body` (or Moneybird's `note`), also inside a `note` wrapper; `todo: true` makes it a to-do, for
`assignee_id` if given: a user the key can see (visible_users), else a 422 naming the id. Moneybird's API
creates and lists notes but has no route to complete one, so neither has this one; `done_at` is shown.
"""

from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response

from timetracker.accounts.models import visible_users
from timetracker.api.entry_input import NoteInputSerializer, read
from timetracker.api.entry_serializers import TimeEntryNoteSerializer, error_responses
from timetracker.api.parsers import unwrap
from timetracker.api.time_entries import ID, PAGE_PARAMETERS, TAGS, EntryView
from timetracker.tasks.models import Note


class NotesView(EntryView):
    @extend_schema(
        tags=TAGS,
        summary="Notes on an entry",
        parameters=[ID, *PAGE_PARAMETERS],
        responses={200: TimeEntryNoteSerializer(many=True), **error_responses(400, 401, 403, 404)},
    )
    def get(self, request, pk):
        entry = self.get_entry(pk)
        paginator, page = self.page_of(entry.notes.order_by("created_at", "pk"))
        return paginator.get_paginated_response(TimeEntryNoteSerializer(page, many=True).data)

    @extend_schema(
        tags=TAGS,
        summary="Add a note to an entry",
        description=(
            "`body` (or Moneybird's `note`), also inside a `note` wrapper. `todo: true` makes it a to-do, "
            "optionally for `assignee_id` (a user the key can see; 422 otherwise)."
        ),
        parameters=[ID],
        request=NoteInputSerializer,
        responses={201: TimeEntryNoteSerializer, **error_responses(400, 401, 403, 404, 422)},
    )
    def post(self, request, pk):
        entry = self.get_entry(pk)
        data = read(
            NoteInputSerializer,
            unwrap(request.data, "note"),
            context={"visible_users": visible_users(request.user)},
        )
        note = Note.objects.create(
            entry=entry,
            author=request.user,
            body=data["body"],
            todo=data.get("todo", False),
            assignee=data.get("assignee"),
        )
        return Response(TimeEntryNoteSerializer(note).data, status=status.HTTP_201_CREATED)


urlpatterns = [
    path("time-entries/<int:pk>/notes", NotesView.as_view(), name="time-entry-notes"),
]
