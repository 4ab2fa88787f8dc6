"""Balances and the ledger invariants."""
from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count, Sum

from kadun.ledger import accounts as codes
from kadun.ledger.models import Account, JournalEntry, Posting


def balance_of(code: str) -> int:
    account = Account.objects.filter(code=code).first()
    if account is None:
        return 0
    if account.floor:
        return account.balance
    return Posting.objects.filter(account=account).aggregate(s=Sum("amount"))["s"] or 0


def balances_of(code_list: list[str]) -> dict[str, int]:
    return {code: balance_of(code) for code in code_list}


def escrow_held(*, order_ids) -> int:
    """What the escrow accounts of these orders (ids, or a subquery of them) hold."""
    return Account.objects.filter(kind="escrow", owner_id__in=order_ids).aggregate(s=Sum("balance"))["s"] or 0


def shop_balances(*, shop_id: int, escrow_total: int) -> dict[str, int]:
    return {
        "escrow": escrow_total,
        "pending": balance_of(codes.merchant_pending(shop_id)),
        "available": balance_of(codes.merchant_available(shop_id)),
        "deposit": balance_of(codes.merchant_deposit(shop_id)),
        "debt": -balance_of(codes.merchant_debt(shop_id)),
    }


def sum_for_ref(*, code: str, ref_type: str, ref_id: int) -> int:
    """What the entries about one subject (e.g. an order) moved through one account."""
    return (
        Posting.objects.filter(account__code=code, entry__ref_type=ref_type, entry__ref_id=ref_id).aggregate(s=Sum("amount"))["s"] or 0
    )


def released_from_escrow(*, order_id: int) -> int:
    """What left the order's escrow at confirmation (merchant share + fee)."""
    moved = Posting.objects.filter(
        account__code=codes.escrow(order_id), entry__kind="release", entry__ref_type="order", entry__ref_id=order_id
    ).aggregate(s=Sum("amount"))["s"]
    return -(moved or 0)


def pending_moved_for(*, ref_type: str, ref_ids: list[int]) -> dict[tuple[int, str], int]:
    """Per (subject id, account code): what the entries about these subjects moved through the
    merchants' pending accounts (settlement moves what is left of it)."""
    rows = (
        Posting.objects.filter(entry__ref_type=ref_type, entry__ref_id__in=ref_ids, account__kind="pending")
        .values("entry__ref_id", "account__code").annotate(s=Sum("amount"))
    )
    return {(row["entry__ref_id"], row["account__code"]): row["s"] for row in rows}


def escrow_balances() -> dict[int, int]:
    """Every order's escrow balance, by order id (ledger-check)."""
    return dict(Account.objects.filter(kind="escrow").values_list("owner_id", "balance"))


def escrow_paid_in() -> dict[int, int]:
    """What was paid into each order's escrow, by order id (ledger-check)."""
    return dict(Posting.objects.filter(account__kind="escrow", amount__gt=0).values_list("account__owner_id").annotate(s=Sum("amount")))


def entries_for(*, ref_type: str, ref_id: int):
    return JournalEntry.objects.filter(ref_type=ref_type, ref_id=ref_id).prefetch_related("postings__account").order_by("id")


@dataclass
class CheckReport:
    checked: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def ledger_invariants(report: CheckReport) -> None:
    report.checked["entries"] = JournalEntry.objects.count()
    report.checked["postings"] = Posting.objects.count()
    report.checked["accounts"] = Account.objects.count()
    for row in Posting.objects.values("entry_id").annotate(s=Sum("amount"), n=Count("id")).exclude(s=0)[:50]:
        report.problems.append(f"entry {row['entry_id']} does not sum to zero ({row['s']})")
    for row in JournalEntry.objects.annotate(n=Count("postings")).filter(n__lt=2).values("id", "n")[:50]:
        report.problems.append(f"entry {row['id']} has {row['n']} posting(s)")
    sums = dict(Posting.objects.filter(account__floor=True).values_list("account_id").annotate(s=Sum("amount")))
    for account in Account.objects.filter(floor=True).only("id", "code", "balance").iterator(chunk_size=2000):
        total = sums.get(account.pk, 0)
        if account.balance != total:
            report.problems.append(f"account {account.code}: stored balance {account.balance} != postings {total}")
        if total < 0:
            report.problems.append(f"account {account.code} is negative ({total})")


def entry_kind_posted(*, kind: str, ref_type: str, ref_id: int) -> bool:
    """Whether an entry of this kind about this subject was posted (an order's 售后保险 premium)."""
    return JournalEntry.objects.filter(kind=kind, ref_type=ref_type, ref_id=ref_id).exists()


def kind_totals_by_month(*, kinds: list[str], account_code: str) -> list[tuple]:
    """(month start, kind, sum of the postings to ``account_code``) for entries of these kinds —
    the insurance pool's page (premiums in, claims and returns out, recoveries in)."""
    from django.db.models.functions import TruncMonth

    rows = (
        Posting.objects.filter(account__code=account_code, entry__kind__in=kinds)
        .annotate(month=TruncMonth("entry__created_at")).values("month", "entry__kind").annotate(s=Sum("amount")).order_by("month")
    )
    return [(row["month"], row["entry__kind"], row["s"] or 0) for row in rows]
