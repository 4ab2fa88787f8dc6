from django.urls import path

from kadun.merchants import views_penalties as views

app_name = "penalties"
urlpatterns = [
    path("merchant/penalties/<int:penalty_id>/appeal/", views.appeal_new, name="appeal_new"),
    path("staff/penalties/", views.queue, name="queue"),
    path("staff/penalties/new/", views.propose, name="propose"),
    path("staff/penalties/<int:penalty_id>/", views.detail, name="detail"),
    path("staff/penalties/<int:penalty_id>/confirm/", views.confirm, name="confirm"),
    path("staff/penalties/<int:penalty_id>/dismiss/", views.dismiss, name="dismiss"),
    path("staff/penalties/appeals/<int:appeal_id>/", views.appeal_decide, name="appeal_decide"),
]
