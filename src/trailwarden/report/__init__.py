"""Report: owns how an evaluation is shown - the findings JSON contract and the terminal report.
Imports controls/ (and the snapshot model through it) and rich; never boto3, collect/ or plan/.
"""
