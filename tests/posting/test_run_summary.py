"""The run summary: the flows' return value and their markdown artifact."""

from __future__ import annotations

from adapters.reports.run_summary import RunSummary


def test_the_summary_counts_outcomes_and_lists_every_report_and_problem():
    run = RunSummary("reconcile-settlements")
    posted = {"settlement_id": "111", "status": "posted", "rows": 9, "sum_amount": "12.50",
              "currency": "EUR", "payments_created": 4, "unmatched_rows": 2,
              "mismatches": [{"document": "HB1", "gross_minor": 1000, "booked_minor": 990}],
              "mismatch_count": 1}  # fmt: skip
    run.add("inbox:a.xml", posted)
    run.add("inbox:b.xml", {"settlement_id": "222", "status": "rejected",
                            "failed_expectations": ["sum_equals_stated_total"]})  # fmt: skip
    run.unreadable("inbox:c|d.csv", "line 1: unrecognised report")
    run.notes.append("Amazon Pay is not configured: the Reports API was not read")
    summary = run.to_dict()
    assert {k: summary[k] for k in ("reports", "posted", "rejected", "unreadable")} == {
        "reports": 3, "posted": 1, "rejected": 1, "unreadable": 1
    }  # fmt: skip
    assert (summary["payments_created"], summary["unmatched_rows"]) == (4, 2)
    markdown = run.markdown()
    assert "| inbox:a.xml | 111 | posted | 9 | 12.50 EUR | 4 | 2 |" in markdown
    assert "| inbox:b.xml | 222 | rejected: sum_equals_stated_total |" in markdown
    assert "inbox:c\\|d.csv" in markdown  # a pipe in a file name does not break the table
    assert "HB1 (booked 990, document 1000 minor units)" in markdown
    assert "- note: Amazon Pay is not configured" in markdown
