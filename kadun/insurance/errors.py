from kadun.core.errors import Forbidden, NotFound


class CoverNotFound(NotFound):
    code = "cover_not_found"
    message = "该订单未购买售后保险。"


class NotStaff(Forbidden):
    code = "not_staff"
    message = "仅平台工作人员可查看保险池。"
