"""Owns the fix as data: the desired posture (baseline), the steps to it, cost, IaC renderings.
May import snapshot, controls, policies, filterpattern, eventpattern, arns, errors, jsonfile;
never AWS.

Pure: no boto3/botocore, no terminal. ``settings`` is its leaf (the baseline's sections), which
``baseline`` and ``validation`` both build on.
"""
