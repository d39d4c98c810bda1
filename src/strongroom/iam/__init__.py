"""The IAM service: users, access keys, roles, groups, inline and managed policies.

`service.IamService` is the entry point; `model` holds what it returns and
`errors` what it raises. The wire layer (`protocol.iam`) maps AWS operation
names onto it.
"""
