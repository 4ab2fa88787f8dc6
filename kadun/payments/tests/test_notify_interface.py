"""The notify endpoint's provider interface: the HTTP methods a provider declares, the params
from the GET query or the POST form, the raw request for ``verify_request``, and each provider's
own answer. A toy provider (registered for these tests only) records what it was given."""
import pytest
from django.test import Client

from kadun.payments import providers
from kadun.payments.errors import BadNotification
from kadun.payments.providers.base import NotifyRequest, answer

pytestmark = pytest.mark.django_db


class Toy:
    name, label = "toy", "toy"
    notify_methods = ("GET", "POST")

    def __init__(self):
        self.seen = []

    def verify_notification(self, params):
        self.seen.append(dict(params))
        raise BadNotification("toy_refused", "refused")

    def answer(self, ok):
        return (200, "text/plain", "success") if ok else (200, "text/plain", "fail")


class RawToy(Toy):
    name = "rawtoy"
    notify_methods = ("POST",)

    def verify_request(self, req: NotifyRequest):
        self.seen.append(req)
        raise BadNotification("toy_refused", "refused")


@pytest.fixture
def toys(settings):
    toy, raw = providers.register(Toy()), providers.register(RawToy())
    settings.KADUN_PAYMENT_PROVIDERS = ["wallet", "toy", "rawtoy"]
    yield toy, raw
    providers._PROVIDERS.pop("toy", None)
    providers._PROVIDERS.pop("rawtoy", None)


def test_a_get_provider_gets_the_query_params_and_answers_its_own_way(toys):
    toy, _ = toys
    response = Client().get("/pay/notify/toy/", {"out_trade_no": "P1", "sign": "x"})
    assert (response.status_code, response.content) == (200, b"fail")
    assert toy.seen == [{"out_trade_no": "P1", "sign": "x"}]


def test_a_post_provider_gets_the_form(toys):
    toy, _ = toys
    Client().post("/pay/notify/toy/", {"out_trade_no": "P2"})
    assert toy.seen == [{"out_trade_no": "P2"}]


def test_a_raw_provider_gets_the_exact_body_and_lower_cased_headers(toys):
    _, raw = toys
    Client().post("/pay/notify/rawtoy/", data=b'{"a": 1}', content_type="application/json", headers={"X-Thing": "v"})
    (req,) = raw.seen
    assert req.body == b'{"a": 1}' and req.method == "POST" and req.headers["x-thing"] == "v"


def test_a_method_the_provider_does_not_declare_is_refused(toys):
    assert Client().get("/pay/notify/rawtoy/").status_code == 405
    assert Client().get("/pay/notify/sandbox/").status_code in (404, 405)  # the sandbox takes POST only


def test_providers_without_an_answer_keep_success():
    class Plain:
        pass

    assert answer(Plain(), True) == (200, "text/plain", "success")
