from django.urls import path

from kadun.evidence import views_complaints as v
from kadun.evidence import views_complaints_staff as staff

app_name = "complaints"

urlpatterns = [
    path("complaints/", v.board, name="board"),
    path("complaints/<str:complaint_no>/", v.detail, name="detail"),
    path("complaints/<str:complaint_no>/withdraw/", v.withdraw, name="withdraw"),
    path("complaints/<str:complaint_no>/reply/", v.reply, name="reply"),
    path("orders/<str:order_no>/complaint/new/", v.new, name="new"),
    path("staff/complaints/", staff.queue, name="staff_queue"),
    path("staff/complaints/<str:complaint_no>/", staff.complaint_page, name="staff_complaint"),
    path("staff/complaints/<str:complaint_no>/act/", staff.complaint_act, name="staff_complaint_act"),
]
