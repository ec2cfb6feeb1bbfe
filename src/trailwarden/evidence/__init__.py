"""Audit evidence: coverage proof over months, the trail's logging history, the evidence pack.

Pure logic over the trail store (``trailstore``) and the integrity module, except ``aws`` (the
AWS reads the pack and Security Hub need), the one adapter here.

``coverage`` (hours covered per account x Region, from digest keys alone), ``history`` (the
trail's own configuration events, read from its logs), ``prove`` (the coverage run: listings in
flight, optional validation and explanations), ``pack`` (the evidence folder and its manifest),
``securityhub`` (the live scan against Security Hub's own findings).
"""
