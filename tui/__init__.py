"""md2zfs's terminal wizard (Textual): panes, guided steps, confirmations and the demo.

Nothing under tui/ is imported by the backend; `tui.entry` imports Textual only when the
wizard actually starts, so `md2zfs status` stays fast.
"""
