from kadun.accounts.models import ApiKey, User


def api_keys_of(*, user: User):
    return ApiKey.objects.filter(user=user)


def user_exists(*, username: str) -> bool:
    return User.objects.filter(username=username).exists()
