"""Sign-in: each role lands on its own start page (a regulator on the regulator portal, everyone else on the
overview), unless the sign-in was asked for on the way to another page (`next`)."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.urls import reverse

from accounts.tenancy import is_regulator


class LoginView(auth_views.LoginView):
    template_name = "ui/login.html"

    def get_default_redirect_url(self) -> str:
        if is_regulator(self.request.user):
            return reverse("regulator-portal")
        return super().get_default_redirect_url()
