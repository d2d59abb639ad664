"""Storing notifications once, on the unique constraint, under real concurrency (both databases)."""

import threading

import pytest
from sqlalchemy.exc import IntegrityError

from adapters.ipn import NotificationInbox


def test_concurrent_stores_of_one_message_id_keep_one_row_and_one_winner(engine):
    inbox = NotificationInbox(engine)
    barrier = threading.Barrier(8)
    results = []

    def store(n):
        barrier.wait()
        results.append(inbox.store("m-1", "CHARGE", "C1", {"attempt": n}))

    threads = [threading.Thread(target=store, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False] * 7 + [True]
    assert inbox.is_processed("m-1") is False


def test_a_stored_message_is_unprocessed_until_marked(engine):
    inbox = NotificationInbox(engine)
    assert inbox.store("m-2", "REFUND", "R1", {}) is True
    assert inbox.is_processed("m-2") is False
    inbox.mark_processed("m-2")
    assert inbox.is_processed("m-2") is True
    assert inbox.store("m-2", "REFUND", "R1", {}) is False


def test_an_integrity_error_that_is_not_a_duplicate_is_not_swallowed(engine):
    inbox = NotificationInbox(engine)
    with pytest.raises(IntegrityError):
        inbox.store("m-3", None, "C1", {})  # type: ignore[arg-type]
    assert inbox.is_processed("m-3") is False
