"""Data-quality checks of settlement reports (Great Expectations 1.x), run before posting."""

from adapters.quality.result import CheckResult, ExpectationOutcome
from adapters.quality.runner import check_report
from adapters.quality.suite import (
    DEFAULT_POSTED_AT_TOLERANCE,
    SUITE_ID,
    SUITE_NAME,
    SUITE_VERSION,
)

__all__ = [
    "DEFAULT_POSTED_AT_TOLERANCE",
    "SUITE_ID",
    "SUITE_NAME",
    "SUITE_VERSION",
    "CheckResult",
    "ExpectationOutcome",
    "check_report",
]
