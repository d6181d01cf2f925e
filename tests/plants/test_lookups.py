"""The `__any_of` lookup (energy_platform.lookups): one array parameter on PostgreSQL, the same rows as `__in`."""

from __future__ import annotations

import pytest
from django.db import connection

from plants.models import Site
from tests.factories import EnterpriseFactory, SiteFactory


@pytest.mark.django_db
def test_any_of_selects_what_in_selects_with_one_array_parameter():
    ent = EnterpriseFactory()
    sites = [SiteFactory(enterprise=ent, code=f"S{i}") for i in range(4)]
    wanted = [sites[0].pk, sites[2].pk, sites[3].pk]
    by_id = Site.objects.filter(pk__any_of=wanted)
    by_fk = Site.objects.filter(enterprise_id__any_of=[ent.pk], code__any_of=["S1", "S3", "nope"])
    assert sorted(by_id.values_list("pk", flat=True)) == sorted(Site.objects.filter(pk__in=wanted).values_list(
        "pk", flat=True)) == wanted
    assert sorted(by_fk.values_list("code", flat=True)) == ["S1", "S3"]
    assert not Site.objects.filter(pk__any_of=[]).exists()
    sql, params = by_id.query.sql_with_params()
    if connection.vendor == "postgresql":
        assert "= ANY(%s)" in sql and list(params) == [wanted]
    else:
        assert " IN (" in sql and list(params) == wanted
