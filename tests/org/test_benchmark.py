"""benchmarks/org_plan.py still runs: both paths (plan --org-trail and plan --accounts) plan,
apply and apply again on one member at no delay, and every call the proxy saw was counted per
account (the figures the benchmark prints are only worth something if nothing escapes the count).
"""

from __future__ import annotations

import pytest
from benchmarks import org_plan


@pytest.mark.slow  # two moto servers of its own, about 20 s
def test_both_paths_complete_and_every_call_is_counted() -> None:
    org = org_plan.org_path(0.0, 1, ["us-east-1"], 4)
    per = org_plan.per_account_path(0.0, 1, ["us-east-1"], 4)
    for path in (org, per):
        assert list(path.stages) == list(org_plan.STAGES)
        for name, stage in path.stages.items():
            counted = sum(stage.per_account.values())
            assert counted > 0 and counted == stage.proxy_calls, (path.name, name, stage)
            assert "FAILED" not in stage.outcome and "BLOCKED" not in stage.outcome, stage
        assert path.stages["apply"].outcome.endswith("done"), path.stages["apply"]
        assert path.stages["apply again"].outcome == "nothing to change"
    # The organisation path builds in the management and log-archive accounts.
    apply = org.stages["apply"].split(org.archive)
    assert apply["management"] > 0 and apply["log_archive"] > 0
