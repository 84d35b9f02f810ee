from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q

from timetracker.imports import uploads
from timetracker.imports.mapping import CREATE
from timetracker.imports.parsers import CHOICES, generic
from timetracker.lib import dates

DATE_ORDERS = [
    ("auto", "Work it out from the file"),
    ("mdy", "Month first (MM/DD/YYYY)"),
    ("dmy", "Day first (DD/MM/YYYY)"),
]
ON_ERROR = [
    ("refuse", "Import nothing while any row is bad"),
    ("skip", "Import the good rows, leave the bad ones out"),
]


class UploadForm(forms.Form):
    file = forms.FileField(help_text="A CSV, XLSX, JSON or ZIP export, up to 200 MB.")
    source = forms.ChoiceField(
        label="Format",
        choices=[("", "Recognise it from the file"), *CHOICES],
        required=False,
    )
    time_zone = forms.ChoiceField(
        label="Time zone of the file's times",
        help_text="Exports write local times without a zone; they are read in this one.",
    )
    date_order = forms.ChoiceField(label="Dates like 03/04/2024", choices=DATE_ORDERS, initial="auto")

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["time_zone"].choices = dates.zone_choices()
        self.fields["time_zone"].initial = user.time_zone

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > uploads.MAX_UPLOAD:
            raise forms.ValidationError(uploads.too_big_message())
        return upload


class MappingForm(forms.Form):
    """Which column of the file holds each of our fields (the generic CSV)."""

    def __init__(self, *args, header, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("", "(not in the file)"), *((name, name) for name in header)]
        for name, label in generic.FIELDS.items():
            self.fields[name] = forms.ChoiceField(label=label, choices=choices, required=False)
            if name == "id":
                # Never guessed: a column merely called "ID" (a row number, another tool's ids) would match
                # this file's rows to entries of another file. Choosing it is a deliberate act.
                continue
            guess = next((column for column in header if column.casefold() == name), "")
            self.fields[name].initial = guess

    def clean(self):
        data = super().clean()
        if not (data.get("start") or data.get("date")):
            raise forms.ValidationError("Choose the column with the start or the date of each entry.")
        if not (data.get("end") or data.get("duration")):
            raise forms.ValidationError("Choose the column with the end or the duration of each entry.")
        return data

    def mapping(self):
        return {name: column for name, column in self.cleaned_data.items() if column}


class ConfirmForm(forms.Form):
    """The choices made on the preview: where each person's time goes, and what to do with bad rows."""

    on_error = forms.ChoiceField(
        label="Rows that cannot be imported", choices=ON_ERROR, widget=forms.RadioSelect
    )

    def __init__(self, *args, run, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["on_error"].initial = run.options.get("on_error", "refuse")
        matched = [person["match"] for person in run.preview.get("people", []) if person["match"]]
        users = get_user_model().objects.filter(Q(is_active=True) | Q(pk__in=matched))
        users = users.order_by("first_name", "last_name", "username")
        choices = [(str(user.pk), str(user)) for user in users]
        self.people = []
        for index, person in enumerate(run.preview.get("people", [])):
            name = f"person_{index}"
            label = person["name"] + (f" <{person['email']}>" if person["email"] else "")
            self.fields[name] = forms.ChoiceField(
                label=label, choices=[(CREATE, "Create as a new person (inactive)"), *choices]
            )
            self.fields[name].initial = person["choice"]
            self.people.append((name, person))

    def options(self):
        people = {person["key"]: self.cleaned_data[name] for name, person in self.people}
        return {"on_error": self.cleaned_data["on_error"], "people": people}

    def person_fields(self):
        return [(self[name], person) for name, person in self.people]
