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


class RecordFigureOut(Schema):
    key: str
    label: str
    value: str
    definition: str


class RecordOut(Schema):
    """店铺档案: the counts behind each rate (rates are null when there is nothing to divide by)."""

    shop_id: int
    computed_at: Optional[dt.datetime] = None
    freshness: str
    opened_at: Optional[dt.datetime] = None
    days_open: int
    window_days: int
    short_days: int
    confirmed_short: int
    confirmed: int
    paid: int
    refunded: int
    refund_rate: Optional[float] = None
    reviews: int
    bad_reviews: int
    bad_rate: Optional[float] = None
    disputed: int
    dispute_rate: Optional[float] = None
    escalated: int
    intervention_rate: Optional[float] = None
    answered: int
    response_median_seconds: Optional[int] = None
    response_p90_seconds: Optional[int] = None
    monthly_ratings: list[dict[str, Any]]
    keyword_counts: Optional[dict[str, int]] = None
    deposit: dict[str, Any]
    badges: list[dict[str, Any]]
    credit: CreditOut
    complaints: list[dict[str, Any]]
    figures: list[RecordFigureOut]
