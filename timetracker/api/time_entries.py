"""API resources: time_entries (being built)."""

urlpatterns: list = []
