"""Textual stylesheets (*.tcss) of the md2zfs wizard, shipped as package data."""
