"""The organisation plan (``plan --org-trail``): one organisation trail, its guardrail, drift rules.

Pure, like the rest of ``plan/``: reads a snapshot's ``Organization`` and accounts, writes steps.
"""
