"""Small settlement reports written inline, so each test shows the bytes it parses."""

from __future__ import annotations

from domain.settlement.model import FRAME_COLUMNS, ParsedReport

ROOT = "<AmazonEnvelope>"
NEWER_ROOT = (
    '<AmazonEnvelope xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
    'xmlns:java="http://xml.apache.org/xslt/java" xmlns:amzn="urn:amzn" '
    'xmlns:xalan="http://xml.apache.org/xslt" xsi:noNamespaceSchemaLocation="amzn-envelope.xsd">'
)


def settlement_data(
    total: str, currency: str = "EUR", settlement_id: str = "12343546718237647"
) -> str:
    return (
        "<SettlementData>"
        f"<AmazonSettlementID>{settlement_id}</AmazonSettlementID>"
        f'<TotalAmount currency="{currency}">{total}</TotalAmount>'
        "<StartDate>2024-03-01T04:17:15+00:00</StartDate>"
        "<EndDate>2024-03-15T04:13:55+00:00</EndDate>"
        "<DepositDate>2024-03-17T04:13:55+00:00</DepositDate>"
        "</SettlementData>"
    )


def envelope(
    *transactions: str,
    data: str | None = None,
    root: str = ROOT,
    total: str = "0.00",
    declaration: str = '<?xml version="1.0" encoding="UTF-8"?>',
) -> str:
    """A whole report: envelope, header, SettlementData (unless given) and the transactions."""
    closing = "</" + root[1:].split()[0].rstrip(">") + ">"
    body = "\n".join(transactions)
    return (
        f"{declaration}\n{root}\n"
        "<Header><DocumentVersion>3.01</DocumentVersion>"
        "<MerchantIdentifier>M_TEST_1</MerchantIdentifier></Header>\n"
        "<MessageType>SettlementReport</MessageType>\n"
        "<Message><MessageID>1</MessageID><SettlementReport>\n"
        f"{settlement_data(total) if data is None else data}\n{body}\n"
        f"</SettlementReport></Message>\n{closing}\n"
    )


def order(
    amazon_order_id: str = "302-1234567-1234567",
    merchant_order_id: str = "RE-1001",
    items: str | None = None,
) -> str:
    """An Order as in the real reports: Fulfillment/Item/ItemPrice/Component and ItemFees/Fee."""
    return (
        f"<Order><AmazonOrderID>{amazon_order_id}</AmazonOrderID>"
        f"<MerchantOrderID>{merchant_order_id}</MerchantOrderID><ShipmentID>D3BkSVRKR</ShipmentID>"
        "<MarketplaceName>Amazon.de</MarketplaceName><Fulfillment>"
        "<MerchantFulfillmentID>AFN</MerchantFulfillmentID>"
        "<PostedDate>2024-03-02T08:18:20+00:00</PostedDate>"
        + (items if items is not None else item())
        + "</Fulfillment></Order>"
    )


def item(
    code: str = "01754743545933",
    sku: str = "SKU-1",
    principal: str = "16.99",
    commission: str = "-1.37",
) -> str:
    return (
        f"<Item><AmazonOrderItemCode>{code}</AmazonOrderItemCode><SKU>{sku}</SKU>"
        "<Quantity>1</Quantity><ItemPrice><Component><Type>Principal</Type>"
        f'<Amount currency="EUR">{principal}</Amount></Component></ItemPrice>'
        "<ItemFees><Fee><Type>Commission</Type>"
        f'<Amount currency="EUR">{commission}</Amount></Fee></ItemFees></Item>'
    )


def refund(tag: str = "Refund", principal: str = "-8.95") -> str:
    """The Refund layout (newer files); 'Adjustment' in files up to ~2014, same inside."""
    return (
        f"<{tag}><AmazonOrderID>302-1234567-1234567</AmazonOrderID>"
        "<MerchantOrderID>RE-1001</MerchantOrderID>"
        "<AdjustmentID>amzn1:crow:uA1wjlSpRBOtQqyU5FyPfw</AdjustmentID>"
        "<MarketplaceName>Amazon.de</MarketplaceName><Fulfillment>"
        "<MerchantFulfillmentID>AFN</MerchantFulfillmentID>"
        "<PostedDate>2024-03-05T17:44:19+00:00</PostedDate><AdjustedItem>"
        "<AmazonOrderItemCode>01754743545933</AmazonOrderItemCode>"
        "<MerchantAdjustmentItemID>1754546548001862332</MerchantAdjustmentItemID>"
        "<SKU>SKU-1</SKU><ItemPriceAdjustments><Component><Type>Principal</Type>"
        f'<Amount currency="EUR">{principal}</Amount></Component></ItemPriceAdjustments>'
        "<ItemFeeAdjustments><Fee><Type>RefundCommission</Type>"
        '<Amount currency="EUR">-0.31</Amount></Fee><Fee><Type>Commission</Type>'
        '<Amount currency="EUR">1.54</Amount></Fee></ItemFeeAdjustments>'
        f"</AdjustedItem></Fulfillment></{tag}>"
    )


def other(kind: str, amount: str, extra: str = "") -> str:
    return (
        f"<OtherTransaction><TransactionType>{kind}</TransactionType>"
        f"<PostedDate>2024-03-06T04:16:37+00:00</PostedDate>"
        f'<Amount currency="EUR">{amount}</Amount>{extra}</OtherTransaction>'
    )


def assert_contract(report: ParsedReport) -> None:
    """The frame has exactly the contract's columns, in order, with the contract's dtypes."""
    frame = report.frame
    assert list(frame.columns) == list(FRAME_COLUMNS)
    assert {name: str(dtype) for name, dtype in frame.dtypes.items()} == FRAME_COLUMNS
