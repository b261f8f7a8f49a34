import pytest

from questions.services import instructor_group_ensure
from tests.questions.factories import UserFactory


@pytest.fixture
def instructor(db):
    """A staff user in the Instructors group, with exactly the group's permissions."""
    user = UserFactory(username="instructor", is_staff=True)
    user.groups.add(instructor_group_ensure())
    return user


@pytest.fixture
def instructor_client(client, instructor):
    client.force_login(instructor)
    return client
