from kadun.accounts.models import User
from kadun.merchants.errors import NotAMerchant
from kadun.merchants.models import Shop


def shop_of(user: User) -> Shop:
    """The shop the user owns, or NotAMerchant."""
    shop = Shop.objects.filter(owner_id=getattr(user, "pk", None)).first() if user and user.is_authenticated else None
    if shop is None:
        raise NotAMerchant()
    return shop
