"""API paths of test objects named by their natural code (paths take ids: README "API: one name per resource")."""

from plants.models import Site


def site_api(code: str) -> str:
    """`/api/v1/sites/<id>/` of the one test site with this code."""
    return f"/api/v1/sites/{Site.objects.get(code=code).pk}/"
