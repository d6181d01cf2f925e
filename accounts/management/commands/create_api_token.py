"""Create a personal API token for a user and print it as the last line (it is shown only once)."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from accounts.services import api_token_create


class Command(BaseCommand):
    help = "Create a personal API token (Authorization: Token …) for a user; prints the token as the last line."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="cli")

    def handle(self, *args, username, name, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user named {username!r}.")
        _, token = api_token_create(user=user, name=name)
        self.stdout.write(f"Token for {username} (store it now, it is not shown again):")
        self.stdout.write(token)
