import pytest

from tests.factories import PASSWORD


@pytest.fixture
def log_in(live_server, page):
    """Log in through the real login form and return the page."""

    def log_in_as(user):
        page.goto(f"{live_server.url}/login/")
        page.get_by_label("Username").fill(user.username)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(f"{live_server.url}/")
        return page

    return log_in_as
