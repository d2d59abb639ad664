"""One good webshop order in the `orders import` schema, for tests to vary field by field."""

import json

GOOD = {
    "number": "HB100001",
    "currency": "EUR",
    "charge_permission_id": "S01-1234567-1234567",
    "charge_id": None,
    "items": [{"sku": "TASSE-WEISS", "name": "Tasse weiß", "quantity": 2, "unit_price": "9.95"}],
    "shipping": "4.90",
    "customer": {"name": "Erika Mustermann", "email": "erika@example.org"},
}


def line(**changes) -> str:
    """The good order with some fields changed, as one JSON line."""
    return json.dumps({**GOOD, **changes}, ensure_ascii=False)
