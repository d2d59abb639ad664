"""The settlement states are enums whose values are the strings stored and shown before."""

from __future__ import annotations

from domain.settlement.states import PostOutcome, ReportStatus, SourceKind


def test_stored_report_statuses_keep_their_strings():
    assert [s.value for s in ReportStatus] == ["received", "posted", "rejected"]


def test_post_outcomes_keep_their_strings_and_say_which_need_nothing_more():
    assert [o.value for o in PostOutcome] == ["posted", "already_posted", "rejected", "unreadable"]
    assert [o for o in PostOutcome if o.done] == [PostOutcome.POSTED, PostOutcome.ALREADY_POSTED]


def test_a_source_name_is_its_kind_and_reference():
    assert SourceKind.INBOX.source("a.xml") == "inbox:a.xml"
    assert SourceKind.AMAZON_PAY.source("123") == "amazon-pay:123"
    assert SourceKind.FILE.source("r.csv") == "file:r.csv"
