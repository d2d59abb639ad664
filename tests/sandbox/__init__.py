"""The sandbox as Amazon: charges, refunds, signatures, throttling, faults, reports, IPNs."""
