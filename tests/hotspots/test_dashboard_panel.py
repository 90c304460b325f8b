"""The performance dashboard has a hot spot panel, loaded after the page (the dashboard's own
queries stay as they are): the top hot spots of the unit it shows, with a link to all."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.conftest import login_as
from tests.hotspots.helpers import lift_cluster
from xinkan.hotspots import services
from xinkan.hotspots.models import HotSpot

pytestmark = pytest.mark.django_db

PANEL = reverse("hotspots:panel")


def test_the_dashboard_loads_the_panel_of_its_unit(client, cast):
    login_as(client, cast.leader)

    page = client.get(f"{reverse('metrics:dashboard')}?unit={cast.subdistrict.pk}").content.decode()

    assert f'hx-get="{PANEL}?unit={cast.subdistrict.pk}"' in page
    assert f"{reverse('hotspots:list')}?unit={cast.subdistrict.pk}" in page  # without script


def test_the_panel_shows_the_top_hot_spots_below_the_unit(client, cast, second_grid):
    lift_cluster([cast.grid, second_grid], 4, days_ago=0.5)
    services.refresh()
    hotspot = HotSpot.objects.get()
    login_as(client, cast.leader)

    here = client.get(f"{PANEL}?unit={cast.subdistrict.pk}").content.decode()
    elsewhere = client.get(f"{PANEL}?unit={cast.other_subdistrict.pk}").content.decode()

    assert f'data-hotspot="{hotspot.pk}"' in here
    assert 'data-loaded="1"' in elsewhere and "data-hotspot=" not in elsewhere


def test_the_panel_of_a_unit_outside_the_area_is_not_found(client, cast):
    login_as(client, cast.cadre)
    assert client.get(f"{PANEL}?unit={cast.other_subdistrict.pk}").status_code == 404
    assert client.get(PANEL).status_code == 404
