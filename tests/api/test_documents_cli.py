"""`amazon-payments documents change|ship|return|cancel`: the API's actions on the command line."""

import json

from tests.api.conftest import order_body
from tests.api.test_commands import run


def test_change_ship_and_return_from_the_command_line(api, cli_env, tmp_path):
    api.order("HB1", price="10.00", qty=2)
    api.sweep()
    changed = run(["documents", "change", "HB1", '{"shipping": "0.00"}'], cli_env)
    assert changed.returncode == 0, changed.stderr
    assert json.loads(changed.stdout)["gross_total"] == "20.00"
    shipped = run(["documents", "ship", "HB1"], cli_env)
    assert shipped.returncode == 0 and json.loads(shipped.stdout)["type"] == "invoice"
    api.sweep()
    body = tmp_path / "return.json"
    body.write_text('{"number": "GS1", "items": [{"sku": "TASSE-WEISS", "quantity": 3}]}')
    refused = run(["documents", "return", "HB1", "--file", str(body)], cli_env)
    assert refused.returncode == 1
    assert json.loads(refused.stderr)["error"]["code"] == "exceeds_shipped"
    body.write_text('{"number": "GS1", "items": [{"sku": "TASSE-WEISS", "quantity": 1}]}')
    returned = run(["documents", "return", "HB1", "-f", "-"], cli_env, input=body.read_text())
    assert returned.returncode == 0, returned.stderr
    assert json.loads(returned.stdout)["refers_to"] == "HB1"


def test_cancel_from_the_command_line_refuses_items_and_names_bad_fields(api, cli_env):
    api.order("HB1")
    items = run(["documents", "cancel", "HB1", '{"items": ["TASSE-WEISS"]}'], cli_env)
    assert items.returncode == 1
    assert json.loads(items.stderr)["error"]["code"] == "needs_seller_central"
    bad = run(["documents", "cancel", "HB1", '{"item": []}'], cli_env)
    assert bad.returncode == 2 and json.loads(bad.stderr)["error"]["fields"] == ["item"]
    whole = run(["documents", "cancel", "HB1"], cli_env)
    assert whole.returncode == 0 and json.loads(whole.stdout)["cancel_requested"] is True


def test_orders_import_adds_the_fee_article_and_gives_the_configured_type(api, cli_env, tmp_path):
    env = cli_env | {
        "AMAZON_PAYMENTS_FEE_ARTICLE_SKU": "AMZ-FEE",
        "AMAZON_PAYMENTS_FEE_ARTICLE_PRICE": "EUR:1.50",
        "AMAZON_PAYMENTS_DOC_TYPE_PENDING": "Auftrag offen",
    }
    orders = tmp_path / "orders.jsonl"
    orders.write_text(json.dumps(order_body("HB1", api.amazon.checkout("46.40"))) + "\n")
    done = run(["orders", "import", str(orders)], env)
    assert done.returncode == 0, done.stderr
    shown = json.loads(run(["documents", "show", "HB1"], env).stdout)
    assert (shown["gross_total"], shown["items"][-1]["sku"]) == ("46.40", "AMZ-FEE")
    assert shown["type"] == "Auftrag offen"
    gbp = order_body("HB2", api.amazon.checkout("44.90")) | {"currency": "GBP"}
    orders.write_text(json.dumps(gbp) + "\n")
    refused = run(["orders", "import", str(orders)], env)
    assert refused.returncode == 1 and "no price in GBP" in refused.stderr
