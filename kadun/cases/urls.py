from django.urls import path

from kadun.cases import views_cases, views_staff

app_name = "cases"

urlpatterns = [
    path("orders/<str:order_no>/case/new/", views_cases.case_new, name="open"),
    path("orders/<str:order_no>/messages/", views_cases.order_message, name="order_message"),
    path("refunds/<str:request_no>/escalate/", views_cases.escalate, name="escalate"),
    path("cases/<str:case_no>/", views_cases.case_page, name="case"),
    path("cases/<str:case_no>/act/", views_cases.case_act, name="case_act"),
    path("cases/attachments/<int:attachment_id>/", views_cases.attachment, name="attachment"),
    path("merchant/cases/", views_cases.merchant_list, name="merchant_list"),
    path("merchant/cases/<str:case_no>/", views_cases.merchant_case, name="merchant_case"),
    path("staff/cases/", views_staff.queue, name="staff_queue"),
    path("staff/cases/sla/", views_staff.sla_view, name="staff_sla"),
    path("staff/cases/<str:case_no>/", views_staff.case_page, name="staff_case"),
    path("staff/cases/<str:case_no>/act/", views_staff.case_act, name="staff_case_act"),
    path("staff/refund-requests/", views_staff.refund_requests, name="staff_refund_requests"),
    path("staff/refund-requests/<str:request_no>/", views_staff.refund_request, name="staff_refund_request"),
]
