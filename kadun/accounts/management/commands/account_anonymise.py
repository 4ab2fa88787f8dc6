from django.core.management.base import BaseCommand, CommandError

from kadun.accounts import selectors
from kadun.accounts.services import account_anonymise
from kadun.core.errors import DomainError


class Command(BaseCommand):
    help = "Close an account (注销): erase the user's personal data, keep the transaction records (docs/evidence.md)."

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username, **options):
        user = selectors.user_by_username(username)
        if user is None:
            raise CommandError(f"no user {username!r}")
        try:
            account_anonymise(user=user, actor=None)
        except DomainError as exc:
            raise CommandError(f"{exc.code}: {exc.message}") from None
        self.stdout.write(f"account #{user.pk} closed; now {user.username}")
