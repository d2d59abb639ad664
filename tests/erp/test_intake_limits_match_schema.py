"""The intake's limits are the store's column sizes: change one, the other must follow."""

from sqlalchemy import BigInteger, Integer

from adapters.erp.schema import AmazonRefRow, DocumentRow, ItemRow
from domain import intake


def length(column) -> int:
    return column.property.columns[0].type.length


def test_text_limits_are_the_string_column_lengths():
    assert length(DocumentRow.number) == intake.MAX_NUMBER_LENGTH
    assert length(DocumentRow.customer_name) == intake.MAX_CUSTOMER_LENGTH
    assert length(DocumentRow.customer_email) == intake.MAX_CUSTOMER_LENGTH
    assert length(ItemRow.sku) == intake.MAX_SKU_LENGTH
    assert length(ItemRow.name) == intake.MAX_ITEM_NAME_LENGTH
    assert length(AmazonRefRow.amazon_id) == intake.MAX_AMAZON_ID_LENGTH
    assert length(DocumentRow.currency) == 3


def test_number_limits_are_the_integer_column_ranges():
    assert isinstance(ItemRow.unit_price_minor.property.columns[0].type, BigInteger)
    assert isinstance(DocumentRow.captured_minor.property.columns[0].type, BigInteger)
    assert intake.MAX_MINOR_UNITS == 2**63 - 1
    assert type(ItemRow.quantity.property.columns[0].type) is Integer
    assert intake.MAX_QUANTITY == 2**31 - 1
