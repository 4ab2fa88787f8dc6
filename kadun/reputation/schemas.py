from __future__ import annotations

import datetime as dt
from typing import Any, Optional

from ninja import Schema


class ComponentOut(Schema):
    key: str
    label: str
    raw: str
    value: float
    weight: float
    points: float
    max_points: int
    how: str


class WarningOut(Schema):
    kind: str
    name: str
    level: str
    decided_at: dt.datetime


class CreditOut(Schema):
    shop_id: int
    score: int
    band: str
    provisional: bool
    computed_at: Optional[dt.datetime] = None
    components: list[ComponentOut]
    deductions: dict[str, Any]
    history: list[dict[str, Any]]
    warnings: list[WarningOut]


class ContestIn(Schema):
    component: str
    reason: str


class ContestOut(Schema):
    id: int
    component: str
    status: str
    score: int
    created_at: dt.datetime
