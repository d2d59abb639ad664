"""Open items: the documents that need a person, or that wait on Amazon longer than usual.

The sweep publishes them (the UI's `open-items` artifact) and `amazon-payments open-items`
prints them. What makes a document an open item is decided here, from its payment status, how
long it has been in it and, for an accepted order, when its authorization expires.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from domain.money import Money
from domain.payment_status import Status

# Amazon keeps an authorization 30 days (then Canceled/ExpiredUnused); warn 2 days ahead.
AUTHORIZATION_LIFETIME = timedelta(days=30)
EXPIRY_WARNING = timedelta(days=2)

WHY = {
    Status.AUTHORIZATION_OVERDUE: "Amazon has not decided the authorization",
    Status.ACTIVATION_REQUESTED: "shipment reported, capture not done yet",
    Status.REAUTHORIZATION: "the authorization lapsed and is being renewed",
    Status.CAPTURE_PENDING: "Amazon has not finished the capture",
    Status.CAPTURE_DECLINED: "Amazon declined the capture: ask the customer for another payment",
}


@dataclass(frozen=True)
class Candidate:
    """What the store says of a document that may be an open item."""

    number: str
    doc_type: str
    status: str
    gross_total: Money
    since: datetime  # when it entered its status
    reason: str  # the reason stored with the status
    authorized_at: datetime | None = None  # when its latest charge was created (orders)


@dataclass(frozen=True)
class OpenItem:
    number: str
    status: str
    amount: Money
    since: datetime
    age: timedelta
    reason: str

    def row(self) -> dict[str, str]:
        """One line of the open-items table (amounts as decimal strings)."""
        hours = int(self.age.total_seconds() // 3600)
        return {
            "number": self.number,
            "status": self.status,
            "amount": f"{self.amount.amount} {self.amount.currency}",
            "since": self.since.strftime("%Y-%m-%d %H:%M UTC"),
            "age": f"{hours // 24} d {hours % 24} h",
            "reason": self.reason,
        }


def open_item(candidate: Candidate, now: datetime) -> OpenItem | None:
    """The open item a candidate is, or None when nothing about it needs attention."""
    age = now - candidate.since
    status = candidate.status
    if status in {s.value for s in WHY}:
        why = WHY[Status(status)]
        reason = f"{why}: {candidate.reason}" if candidate.reason else why
        return OpenItem(
            candidate.number, status, candidate.gross_total, candidate.since, age, reason
        )
    if candidate.doc_type == "credit_note" and status in ("refused", "declined"):
        reason = candidate.reason or "the refund was refused"
        return OpenItem(
            candidate.number, status, candidate.gross_total, candidate.since, age, reason
        )
    if status == Status.ACCEPTED and candidate.authorized_at is not None:
        expires = candidate.authorized_at + AUTHORIZATION_LIFETIME
        if expires - now <= EXPIRY_WARNING:
            reason = f"the authorization expires {expires:%Y-%m-%d %H:%M UTC}: ship or renew it"
            return OpenItem(
                candidate.number, status, candidate.gross_total, candidate.since, age, reason
            )
    return None


def open_items(candidates: list[Candidate], now: datetime) -> list[OpenItem]:
    """The open items among the candidates, oldest first."""
    found = [item for item in (open_item(c, now) for c in candidates) if item is not None]
    return sorted(found, key=lambda item: item.since)
