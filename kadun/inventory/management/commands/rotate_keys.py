from django.core.management.base import BaseCommand
from tqdm import tqdm

from kadun.inventory.models import CardKey
from kadun.inventory.services import keys_rotate
from kadun.merchants.services import payout_accounts_rotate
from kadun.merchants.onboarding import applications_rotate
from kadun.notifications.services import channels_rotate


class Command(BaseCommand):
    help = (
        "Re-encrypt every card key (and notification channel secret) with the first key in KADUN_CARD_KEYS. To rotate: put a new "
        "key first, keep the old ones after it, run this, then drop the old keys."
    )

    def handle(self, *args, **options):
        with tqdm(total=CardKey.objects.count(), unit="key", desc="rotate", file=self.stderr._out) as bar:
            done = keys_rotate(progress=bar.update)
        self.stdout.write(f"re-encrypted {done} card key(s)")
        # Notification channels' bot tokens and webhook secrets are sealed under the same keys.
        self.stdout.write(f"re-encrypted {channels_rotate()} notification channel(s)")
        self.stdout.write(f"re-encrypted {payout_accounts_rotate()} payout account(s)")
        # Shops' identity (资质审核: real name and ID / licence number) is sealed under the same keys.
        self.stdout.write(f"re-encrypted {applications_rotate()} shop application(s)")
