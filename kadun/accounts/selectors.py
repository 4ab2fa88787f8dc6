from kadun.accounts.models import ApiKey, User


def api_keys_of(*, user: User):
    return ApiKey.objects.filter(user=user)


def user_exists(*, username: str) -> bool:
    return User.objects.filter(username=username).exists()


def staff_users(*, roles: tuple[str, ...]):
    """Users holding one of these staff roles (admins always), by username: whom a case may be
    assigned to, say."""
    from kadun.accounts.states import StaffRole

    return User.objects.filter(staff_role__in=[*roles, StaffRole.ADMIN]).order_by("username")
