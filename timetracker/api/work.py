"""API resources: work (being built)."""

urlpatterns: list = []
