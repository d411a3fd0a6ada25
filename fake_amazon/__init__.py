"""A fake of Amazon's Just Walk Out Catalog API, for development, demos and tests.

It serves Upload Catalog, Get Catalog Upload Status and Archive Catalog over real HTTP with the
contract's validations and error bodies (SPEC §B, §4–§6), checks SigV4 signatures against the
STS credentials moto issued, processes ingestions in the background, writes a per-item report to
S3, presigns it and publishes the completion to SNS (→ SQS). Production code never imports it.
"""
