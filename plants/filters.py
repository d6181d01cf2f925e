"""django-filter filter sets for the plants API."""

import django_filters

from .models import Product, ProductionUnit, Site


class SiteFilter(django_filters.FilterSet):
    class Meta:
        model = Site
        fields = {"enterprise": ["exact"], "kind": ["exact"], "code": ["exact"], "region_code": ["exact", "startswith"]}


class ProductionUnitFilter(django_filters.FilterSet):
    class Meta:
        model = ProductionUnit
        fields = {"site": ["exact"], "parent": ["exact", "isnull"], "kind": ["exact"]}


class ProductFilter(django_filters.FilterSet):
    class Meta:
        model = Product
        fields = {"site": ["exact"], "unit": ["exact"]}
