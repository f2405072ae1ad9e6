"""md2zfs backend: headless model, parsers, hosts, inventory, plan and executor.

Never imports textual or tui (a test enforces it), so `md2zfs status` stays fast.
"""

__version__ = "0.1.0"
