"""The rows of an XML report, kept per level until the end and expanded to columns once.

Per money amount only a short list is kept; what is the same for all amounts of an item
(sku, item id, ...) or of a transaction (ids, posted date, ...) is kept once per item or
transaction and spread over the rows with numpy `take` at the end.
"""

from __future__ import annotations

from collections import Counter
from operator import itemgetter

import numpy as np

from adapters.settlement_formats.values import Column
from adapters.settlement_formats.xml_transactions import (
    Unit,
    transaction_values,
    unit_values,
    units_with_item_ids,
)

_AMOUNT_COLUMNS = ("amount_text", "currency", "source_line", "amount_group", "amount_type")
_UNIT_COLUMNS = ("merchant_reference_id", "sku", "item_id", "quantity")
_TRANSACTION_COLUMNS = (
    *("transaction_kind", "transaction_type", "amazon_order_id", "merchant_order_id"),
    *("transaction_id", "posted_at"),
)


class XmlRows:
    """Rows collected one transaction at a time; `columns()` turns them into frame columns.

    Per amount only strings and ints go into flat lists: no per-row container stays alive,
    so the cyclic garbage collector has nothing to walk as the report grows.
    """

    def __init__(self) -> None:
        self.per_amount: dict[str, list[object]] = {
            name: [] for name in (*_AMOUNT_COLUMNS, "unit_index")
        }
        self.units: list[tuple[object, ...]] = []  # unit values + transaction index
        self.transactions: list[tuple[object, ...]] = []

    def add(self, unit: Unit, line: int | None, skipped: Counter[str]) -> None:
        """Add the rows of one transaction read by `read_transaction`."""
        values = transaction_values(unit, line)
        transaction_index = len(self.transactions)
        members = [member for member in units_with_item_ids(unit, skipped) if member[0].amounts]
        texts, currencies, lines, groups, types, unit_indexes = self.per_amount.values()
        for member, group, item_id in members:
            unit_indexes += [len(self.units)] * len(member.amounts)
            self.units.append((*unit_values(member, item_id), transaction_index))
            for _leaf, text, currency, source_line, amount_group, amount_type in member.amounts:
                texts.append(text)
                currencies.append(currency)
                lines.append(source_line)
                groups.append(amount_group or group)
                types.append(amount_type or values[1])  # the transaction type by default
        if members:
            self.transactions.append(values)

    def __len__(self) -> int:
        """Money rows collected so far (since the last `take`)."""
        return len(self.per_amount["amount_text"])

    def take(self) -> dict[str, Column]:
        """The columns of everything added so far, which is then forgotten (the next chunk)."""
        columns = self.columns()  # holds the per-amount lists themselves: new ones from here
        self.per_amount = {name: [] for name in self.per_amount}
        self.units = []
        self.transactions = []
        return columns

    def columns(self) -> dict[str, Column]:
        """Frame columns (sequences of equal length) of everything added."""
        per_amount = self.per_amount
        if not per_amount["amount_text"]:
            names = (*_AMOUNT_COLUMNS, *_UNIT_COLUMNS, *_TRANSACTION_COLUMNS)
            return {
                name: np.zeros(0, dtype=np.int64) if name == "posted_at" else [] for name in names
            }
        unit_of_row = np.asarray(per_amount["unit_index"], dtype=np.intp)
        columns: dict[str, Column] = {name: per_amount[name] for name in _AMOUNT_COLUMNS}
        for index, name in enumerate(_UNIT_COLUMNS):
            columns[name] = _object_array(_field(self.units, index))[unit_of_row]
        transaction_of_unit = _field(self.units, len(_UNIT_COLUMNS))
        transaction_of_row = np.asarray(transaction_of_unit, dtype=np.intp)[unit_of_row]
        for index, name in enumerate(_TRANSACTION_COLUMNS):
            values = _field(self.transactions, index)
            array = (
                np.asarray(values, dtype=np.int64) if name == "posted_at" else _object_array(values)
            )
            columns[name] = array[transaction_of_row]
        return columns


def _field(records: list[tuple[object, ...]], index: int) -> list[object]:
    """One field of every record (far faster than zip(*records) for long lists)."""
    return list(map(itemgetter(index), records))


def _object_array(values: list[object]) -> np.ndarray:
    array = np.empty(len(values), dtype=object)
    array[:] = values
    return array
