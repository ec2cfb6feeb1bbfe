"""AWS access: sessions and credentials, accounts, Regions, retries, bounded concurrency.

The only package (with collect/, apply/ and verify/) that talks to AWS, always through boto3.
"""
