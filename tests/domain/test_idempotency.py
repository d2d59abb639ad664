"""One definition of a valid idempotency key, shared by the domain and the Amazon Pay client."""

from __future__ import annotations

import pytest

from adapters.amazon_pay import session
from domain.idempotency import VALID_KEY, idempotency_key


def test_the_client_checks_keys_with_the_domains_definition():
    assert not hasattr(session, "_IDEMPOTENCY_KEY")
    assert session.check_idempotency_key(idempotency_key("capture_charge", "HB1", 2)) == "cap-HB1-2"
    hashed = idempotency_key("create_refund", "GS/2024/" + "9" * 40, 1)
    assert VALID_KEY.fullmatch(hashed) and session.check_idempotency_key(hashed) == hashed


@pytest.mark.parametrize("key", ["", "a" * 33, "a b", "abc\n", "ä", None])
def test_a_key_amazon_would_refuse_is_refused_before_sending(key):
    with pytest.raises(ValueError, match="1-32 characters"):
        session.check_idempotency_key(key)
    assert not (isinstance(key, str) and VALID_KEY.fullmatch(key))
