"""URLs of the energy-carbon management centre: API endpoints under /api/v1/ and UI pages under /insights/."""

urlpatterns: list = []
