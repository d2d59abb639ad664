"""The use cases, one module per process: authorization, activation, refunds, cancellation, sweep,
notifications and settlements.

Each public use case is one function that takes the `Resources` (store, Amazon client, settings)
and a document number and returns an `Outcome`: the document's status, and the problem when the
request was refused. One transaction per outcome: the call record is committed before each
mutating Amazon call, then Amazon's answer, the object it names and the document's change in
one transaction. The domain decides, the service orchestrates, adapters do I/O. No Prefect here.
"""
