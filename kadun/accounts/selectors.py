from kadun.accounts.models import ApiKey, User


def api_keys_of(*, user: User):
    return ApiKey.objects.filter(user=user)


def user_exists(*, username: str) -> bool:
    return User.objects.filter(username=username).exists()


def active_user(*, user_id: int) -> User | None:
    """The active user with this id, or None (e.g. a staff member a case is handed to)."""
    if not isinstance(user_id, int) or not 0 < user_id < 2**63:
        return None
    return User.objects.filter(pk=user_id, is_active=True).first()


def staff_users(*, roles: tuple[str, ...]):
    """Users holding one of these staff roles (admins always), by username: whom a case may be
    assigned to, say."""
    from kadun.accounts.states import StaffRole

    return User.objects.filter(staff_role__in=[*roles, StaffRole.ADMIN]).order_by("username")


def user_by_username(username: str) -> User | None:
    return User.objects.filter(username=username).first()
