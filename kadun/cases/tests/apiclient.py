"""A test client for the case API that holds every error answer to the OpenAPI document: an
error's ``code`` must be listed (``x-error-codes``) under its status for the operation that
answered it. So each test that provokes an error also proves it is documented."""
from __future__ import annotations

import functools
import json
import re

from django.test import Client

from kadun.accounts.services import api_key_create

CASE_PATH = re.compile(r"/cases|/messages|/escalate|/staff/sla")


@functools.lru_cache(maxsize=1)
def _operations() -> list[tuple[re.Pattern, str, dict]]:
    schema = Client().get("/api/openapi.json").json()  # as a client reads it (and no import of the root API: the rooms)
    out = []
    for path, methods in schema["paths"].items():
        pattern = re.compile("^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(path)) + "$")
        for method, operation in methods.items():
            out.append((pattern, method.upper(), operation))
    return out


def operation_of(method: str, path: str) -> dict | None:
    for pattern, op_method, operation in _operations():
        if op_method == method.upper() and pattern.match(path):
            return operation
    return None


def documented(method: str, path: str, status: int) -> list[str]:
    operation = operation_of(method, path) or {}
    return (operation.get("responses", {}).get(str(status)) or operation.get("responses", {}).get(status) or {}).get("x-error-codes", [])


def check_documented(method: str, path: str, response) -> None:
    """An error answer of a case endpoint must be listed in its OpenAPI entry."""
    if response.status_code < 400 or not path.startswith("/api/") or not CASE_PATH.search(path):
        return
    if operation_of(method, path) is None:
        return  # no endpoint matched (the API's catch-all 404)
    code = json.loads(response.content)["code"]
    listed = documented(method, path, response.status_code)
    assert code in listed, f"{method} {path}: {response.status_code} {code} is not in its OpenAPI entry ({listed})"


class ApiClient(Client):
    def request(self, **request):
        response = super().request(**request)
        check_documented(request["REQUEST_METHOD"], request["PATH_INFO"], response)
        return response


def with_key(user, scopes=None) -> ApiClient:
    key_kwargs = {} if scopes is None else {"scopes": scopes}
    _key, secret = api_key_create(user=user, name="test", **key_kwargs)
    return ApiClient(headers={"Authorization": f"Bearer {secret}"})


def with_token(token: str) -> ApiClient:
    return ApiClient(headers={"X-Order-Token": token})


def with_session(user) -> ApiClient:
    client = ApiClient()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


def post(client, url: str, data=None, **kwargs):
    return client.post(url, json.dumps(data if data is not None else {}), content_type="application/json", **kwargs)


def error(response, status: int, code: str) -> None:
    assert response.status_code == status, (response.status_code, response.content[:300])
    assert response.json()["code"] == code, response.json()
