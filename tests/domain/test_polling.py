"""The sweeper's poll backoff: doubling before the timeout, a quarter of the age after it."""

from datetime import UTC, datetime, timedelta

from domain.polling import overdue_poll_due, pending_poll_due

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)


def ago(**duration: float) -> datetime:
    return NOW - timedelta(**duration)


def test_a_pending_document_never_looked_at_is_due_at_once():
    assert pending_poll_due(NOW, ago(seconds=1), None)


def test_a_pending_document_is_due_again_once_its_age_has_doubled_since_the_last_look():
    assert not pending_poll_due(NOW, ago(minutes=6), ago(minutes=2, seconds=59))
    assert pending_poll_due(NOW, ago(minutes=6), ago(minutes=3))


def test_an_overdue_document_waits_a_quarter_of_its_age_between_looks():
    assert overdue_poll_due(NOW, ago(minutes=20), None)
    assert not overdue_poll_due(NOW, ago(minutes=20), ago(minutes=4, seconds=59))
    assert overdue_poll_due(NOW, ago(minutes=20), ago(minutes=5))


def test_an_overdue_document_is_looked_at_at_least_hourly():
    assert not overdue_poll_due(NOW, ago(hours=10), ago(minutes=59))
    assert overdue_poll_due(NOW, ago(hours=10), ago(hours=1))


def test_polling_stops_an_hour_after_amazons_24_hours():
    assert overdue_poll_due(NOW, ago(hours=25), ago(hours=2))
    assert not overdue_poll_due(NOW, ago(hours=25, seconds=1), ago(hours=2))
    assert not overdue_poll_due(NOW, ago(hours=30), None)
