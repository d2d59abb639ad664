"""Notifications: SNS envelopes and signatures, the receiver, the inbox and the sandbox's IPNs."""
