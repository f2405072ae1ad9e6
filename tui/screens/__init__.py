"""Screens of the wizard: main, choices, plan review, disk confirmation, failure, resume."""
