"""Owns AWS access: sessions and credentials, accounts, Regions, error codes, retries, concurrency.
May import boto3/botocore, snapshot.model, arns, errors, terminal and concurrency; nothing above.

The only package (with collect/, apply/ and verify/) that talks to AWS, always through boto3.
"""
