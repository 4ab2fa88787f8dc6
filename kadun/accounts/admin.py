from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from kadun.accounts.models import User


@admin.register(User)
class KadunUserAdmin(UserAdmin):
    fieldsets = UserAdmin.fieldsets + (("kadun", {"fields": ("staff_role", "contact")}),)
    list_display = ("username", "email", "staff_role", "is_active")
