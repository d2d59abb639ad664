"""`amazon-payments demo` drives the ERP's side through the API and reports the document types."""

import json
import os
import subprocess

import pytest

from tests.api.test_commands import CLI


@pytest.mark.slow
def test_the_demo_through_the_api_keeps_its_invariants_and_counts_document_types(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AMAZON_PAY")}
    done = subprocess.run(
        [CLI, "demo", "--orders", "9", "--json"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert all(result["invariants"].values()), result["invariants"]
    types = result["document_types"]
    # one order per role: 4 shipped become invoices (plain, two refunds, slow), late capture
    # and expired too; two credit notes; declined, cancelled and item-cancelled stay orders
    assert types == {"credit_note": 2, "invoice": 6, "order": 3}
    assert sum(types.values()) == result["orders"] + 2
