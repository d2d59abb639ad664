"""The use cases, one module per process: authorization, activation, refunds, cancellation, sweep,
notifications and settlements; and the ERP interface's documents and returns.

Each public use case is one function that takes the `Resources` (store, Amazon client, settings)
and a document number and returns an `Outcome`: the document's status, and the problem when the
request was refused. An order use case is one `steps.drive` over its decisions in
`domain.next_step`, one transaction per step: the call record is committed before each mutating
Amazon call, then Amazon's answer, the object it names and the document's change in one
transaction. The domain decides, the service orchestrates, adapters do I/O. No Prefect here.
"""
