"""Tests of the Textual wizard (Pilot, snapshots, a real-terminal smoke test)."""
