"""One module per provider: its default API address, its auth headers, and its entries of a window as rows."""

from timetracker.integrations.providers import clickup, clockify, harvest, tempo, toggl

MODULES = {"toggl": toggl, "clockify": clockify, "harvest": harvest, "tempo": tempo, "clickup": clickup}


def module(provider):
    return MODULES[provider]
