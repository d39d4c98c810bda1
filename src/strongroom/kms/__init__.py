"""The KMS-compatible key service (symmetric keys): lifecycle, aliases, key policies,
tags, rotation and cryptographic operations over the key service's blobs."""
