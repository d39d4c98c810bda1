"""The IAM service: one object with one method per operation, in domain words.

The operations live in one mixin per area (users, access keys, roles, groups,
inline policies, managed policies, attachments); this module joins them and adds
what the authorizer and STS need: every policy text that applies to a user or a
role, read in one transaction, and a per-account generation counter that lets a
policy cache on any node notice that IAM changed.
"""

from __future__ import annotations

from strongroom.iam import managed
from strongroom.iam.access_keys import AccessKeysMixin
from strongroom.iam.attachments import AttachmentsMixin
from strongroom.iam.errors import EntityKind, EntityNotFound
from strongroom.iam.groups import GroupsMixin
from strongroom.iam.inline import InlinePoliciesMixin
from strongroom.iam.model import PrincipalPolicies
from strongroom.iam.names import AWS_ACCOUNT
from strongroom.iam.policies import PoliciesMixin
from strongroom.iam.roles import RolesMixin
from strongroom.storage.base import UniqueViolation
from strongroom.storage.sql import Tx


class IamService(AccessKeysMixin, RolesMixin, GroupsMixin, InlinePoliciesMixin,
                 PoliciesMixin, AttachmentsMixin):
    """IamService(store, root_key, clock, authorizer)."""

    # --- for the authorizer ---------------------------------------------------------

    def policies_for_user(self, account_id: str, user_name: str) -> PrincipalPolicies:
        """The user's inline and attached policies, then each of its groups' policies,
        its permissions boundary and its tags. EntityNotFound if there is no such user."""
        with self._store.read() as tx:
            user = tx.find_iam_user(account_id, user_name.lower())
            if user is None:
                raise EntityNotFound(EntityKind.USER, user_name)
            texts = self._owned_texts(tx, user.user_id)
            for group in tx.groups_of_user(user.user_id):
                texts.extend(self._owned_texts(tx, group.group_id))
            return PrincipalPolicies(tuple(texts), self._boundary(tx, user.boundary_arn),
                                     dict(tx.iam_tags(user.user_id)), user.user_id)

    def policies_for_role(self, account_id: str, role_name: str) -> PrincipalPolicies:
        """The role's inline and attached policies, its boundary and its tags."""
        with self._store.read() as tx:
            role = tx.find_role(account_id, role_name.lower())
            if role is None:
                raise EntityNotFound(EntityKind.ROLE, role_name)
            return PrincipalPolicies(tuple(self._owned_texts(tx, role.role_id)),
                                     self._boundary(tx, role.boundary_arn),
                                     dict(tx.iam_tags(role.role_id)), role.role_id)

    @staticmethod
    def _owned_texts(tx: Tx, owner_id: str) -> list[str]:
        texts = [document for _, document in tx.inline_policies(owner_id)]
        attached = tx.attached_policies(owner_id)
        documents = tx.default_documents(attached)
        texts.extend(documents[arn] for arn in attached if arn in documents)
        return texts

    @staticmethod
    def _boundary(tx: Tx, arn: str | None) -> str | None:
        if arn is None:
            return None
        return tx.default_documents([arn]).get(arn)

    def managed_documents(self, arns: list[str]) -> dict[str, str]:
        """Default-version documents of managed policies by ARN (STS session policies)."""
        with self._store.read() as tx:
            return tx.default_documents(arns)

    def generation(self, account_id: str) -> int:
        """A number that grows with every IAM change seen by `account_id` (its own writes
        and any refresh of the AWS managed policies). Equal numbers: nothing changed."""
        with self._store.read() as tx:
            return tx.generation_sum((account_id, AWS_ACCOUNT))

    # --- AWS managed policies ---------------------------------------------------------

    def seed_managed_policies(self) -> None:
        """Bring the shared AWS managed policies up to this version's definitions.
        Safe on every start of every node; a no-op when they are current."""
        with self._store.read() as tx:
            if not managed.seeding_needed(tx):
                return
        try:
            with self._store.write() as tx:
                tx.bump_generation(AWS_ACCOUNT)  # also serializes concurrent seeders
                managed.seed(tx)
        except UniqueViolation:  # another node seeded them at the same moment
            return
