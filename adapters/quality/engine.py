"""One Great Expectations context per process: ephemeral, quiet, and built only once.

Importing GX takes seconds and building a context with its suites tens of milliseconds, so both
happen on the first check and are cached. Frames are validated with GX's v1 `Validator`, which is
what `ValidationDefinition.run` uses inside: `run` would also keep every result (with its COMPLETE
lists) in the context's in-memory store, growing for the life of a long-running worker, and
`Batch.validate` would load (and fingerprint) each frame twice.
"""

from __future__ import annotations

import functools
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd

from adapters.quality.suite import PARTS, ROW, SUITE_ID, expectations

if TYPE_CHECKING:
    from great_expectations.core import (
        ExpectationSuite,
        ExpectationSuiteValidationResult,
        ExpectationValidationResult,
    )
    from great_expectations.core.batch_definition import BatchDefinition

# COMPLETE with the row position as the frame's named index: GX then lists offending rows as one
# {ROW: [positions]} dict built in a cheap loop, and the runner reads the original cells itself.
# (Naming a *column* instead costs ~35 us per offending row inside GX: 28 s when all 800k rows
# of a report are wrong, 2 s this way.)
RESULT_FORMAT: dict[str, Any] = {
    "result_format": "COMPLETE",
    "unexpected_index_column_names": [ROW],
    "exclude_unexpected_values": True,
    "return_unexpected_index_query": False,
}
# A frame is first validated with BASIC (counts and observed values, no row lists): about half
# the cost on a passing 50,000-row chunk, most of it GX's per-run overhead. Only a frame with a
# failed (or erroring) expectation is validated again with COMPLETE for its offending rows, so
# every result a caller reads from a failure is COMPLETE's, and a passing result has the counts
# and observed values the outcome shows.
FIRST_FORMAT: dict[str, Any] = {"result_format": "BASIC"}


@dataclass(frozen=True)
class _Part:
    batch_definition: BatchDefinition[None]  # a whole frame: no partitioner
    suite: ExpectationSuite
    names: tuple[str, ...]  # stable check names in suite order


class ValidationEngine:
    """The cached GX context with one data asset and one suite per part of the suite."""

    def __init__(self) -> None:
        import great_expectations as gx
        from great_expectations.data_context.types.base import (
            DataContextConfig,
            InMemoryStoreBackendDefaults,
            ProgressBarsConfig,
        )

        config = DataContextConfig(
            store_backend_defaults=InMemoryStoreBackendDefaults(),
            analytics_enabled=False,
            progress_bars=ProgressBarsConfig(globally=False),
        )
        self.context = gx.get_context(mode="ephemeral", project_config=config)
        _skip_frame_fingerprints()
        source = self.context.data_sources.add_or_update_pandas(SUITE_ID)
        self._parts: dict[str, _Part] = {}
        for part in PARTS:
            checks = expectations(part)
            suite = self.context.suites.add_or_update(
                gx.ExpectationSuite(name=f"{SUITE_ID}.{part}", expectations=checks)
            )
            asset = source.add_dataframe_asset(part)
            self._parts[part] = _Part(
                batch_definition=asset.add_batch_definition_whole_dataframe("whole"),
                suite=suite,
                names=tuple(str((c.meta or {})["check"]) for c in checks),
            )
        # GX is not documented as thread-safe; Prefect may run tasks on threads.
        self._lock = threading.Lock()

    def names(self, part: str) -> tuple[str, ...]:
        """Stable check names of one part, in suite order."""
        return self._parts[part].names

    def validate(
        self, part: str, frame: pd.DataFrame, parameters: dict[str, Any]
    ) -> list[ExpectationValidationResult]:
        """Run one part of the suite on a frame; results in suite order."""
        spec = self._parts[part]
        with self._lock:
            outcome = _run(spec, frame, parameters, FIRST_FORMAT)
            if not all(r.success and not _raised(r.exception_info) for r in outcome.results):
                outcome = _run(spec, frame, parameters, RESULT_FORMAT)  # for the offending rows
        order = {name: i for i, name in enumerate(spec.names)}
        return sorted(
            outcome.results,
            key=lambda r: order[check_name(r)],
        )


def _run(
    spec: _Part, frame: pd.DataFrame, parameters: dict[str, Any], result_format: dict[str, Any]
) -> ExpectationSuiteValidationResult:
    """One part's suite on a frame, through GX's v1 Validator: what ValidationDefinition.run
    uses, minus the result store (Batch.validate would load and fingerprint the frame twice)."""
    from great_expectations.validator.v1_validator import Validator

    validator = Validator(
        batch_definition=spec.batch_definition,
        batch_parameters={"dataframe": frame},
        result_format=result_format,
    )
    return validator.validate_expectation_suite(spec.suite, parameters)


def _raised(info: Any) -> bool:
    """Whether GX's exception_info (one dict, or one per failed metric) reports an exception."""
    if not isinstance(info, dict):
        return False
    candidates = [info] if "raised_exception" in info else list(info.values())
    return any(isinstance(c, dict) and c.get("raised_exception") for c in candidates)


def _skip_frame_fingerprints() -> None:
    """Stop GX from md5-fingerprinting every in-memory frame it loads.

    GX hashes each pandas frame smaller than HASH_THRESHOLD (1 GB) only to label the batch in
    its result metadata, which this module never reads. On an 800k-row parsed report that hash
    was 1.1 s of 3.0 s CPU per check. Setting the (private) threshold to 0 skips it; if a later
    GX drops the constant, this does nothing and checks are merely slower.
    """
    from great_expectations.execution_engine import pandas_execution_engine

    if hasattr(pandas_execution_engine, "HASH_THRESHOLD"):
        pandas_execution_engine.HASH_THRESHOLD = 0


def check_name(result: ExpectationValidationResult) -> str:
    """The stable check name a validation result belongs to (set as meta on its expectation)."""
    config = result.expectation_config
    if config is None:
        raise RuntimeError("GX returned a result without its expectation")
    return str((config.meta or {})["check"])


_BUILD_LOCK = threading.Lock()


@functools.cache
def _engine() -> ValidationEngine:
    return ValidationEngine()


def validation_engine() -> ValidationEngine:
    """The process-wide engine, built once on first use (also when threads race for it)."""
    with _BUILD_LOCK:
        return _engine()
