from __future__ import annotations

import pytest

from tests import factories
from xinkan.org.models import Level, Unit


@pytest.fixture
def second_grid(cast) -> Unit:  # type: ignore[no-untyped-def]
    """A neighbouring grid of 东风里社区."""
    return factories.unit("东风里社区第二网格", Level.GRID, cast.community, code="13990100100102")
