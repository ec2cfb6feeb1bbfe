"""Owns carrying out a plan on AWS: check each step live, write what differs, journal, resume.
May import aws, plan, policies, errors, arns, boto3/botocore; never cli, rich, terminal.

Progress leaves through callbacks (``Runner.on_progress``, ``on_result``); the CLI draws it.
"""

from __future__ import annotations

from trailwarden.apply.context import CountingAccess, Facts
from trailwarden.apply.runner import ApplyReport, Journal, Runner, StepResult, probe

__all__ = ["ApplyReport", "CountingAccess", "Facts", "Journal", "Runner", "StepResult", "probe"]
