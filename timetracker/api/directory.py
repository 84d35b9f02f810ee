"""API resources: directory (being built)."""

urlpatterns: list = []
