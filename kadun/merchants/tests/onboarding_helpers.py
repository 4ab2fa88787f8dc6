"""Builders for the 资质审核 tests."""
from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 64
PERSON_ID = "11010519491231002X"
COMPANY_NO = "91350100M000100Y43"


def png(name: str = "x.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PNG, content_type="image/png")


def submit(shop, *, entity_type: str = "company", legal_name: str = "福州星辰网络科技有限公司", number: str = COMPANY_NO,
           categories=("topup",), **extra):
    from kadun.merchants import onboarding, rules

    proofs = {(c, k): png() for c in categories for k in rules.proofs_required().get(c, [])}
    return onboarding.application_submit(
        shop=shop, entity_type=entity_type, legal_name=legal_name, number=number, contact="13800000000",
        categories=list(categories), licence=png(), proofs=proofs, rules_sha256=rules.rules_current().sha256, accept_rules=True, **extra,
    )


def risk_user(name: str = "risk1"):
    from conftest import make_user

    return make_user(name, staff_role="risk")
