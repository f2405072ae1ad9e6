"""Roles, steps, the reference plan, preflight checks and the copies ledger."""
