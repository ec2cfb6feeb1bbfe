"""Renderers for findings: the JSON contract and the terminal report."""
