"""Everything that touches the world: settings, the ERP store, the Amazon Pay client, quality
checks, report sources, notifications, and status changes published as Prefect events.
"""
