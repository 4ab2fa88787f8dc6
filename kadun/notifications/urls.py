from django.urls import path

from kadun.notifications import views

app_name = "notifications"
urlpatterns = [
    path("", views.settings_page, name="settings"),
    path("channels/new/<str:kind>/", views.channel_new, name="channel_new"),
    path("channels/<int:channel_id>/test/", views.channel_test, name="channel_test"),
    path("channels/<int:channel_id>/toggle/", views.channel_toggle, name="channel_toggle"),
    path("channels/<int:channel_id>/delete/", views.channel_delete, name="channel_delete"),
    path("email/", views.email_toggle, name="email"),
]
