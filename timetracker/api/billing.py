"""API resources: billing (being built)."""

urlpatterns: list = []
