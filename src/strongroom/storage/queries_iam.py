"""SQL for IAM: users, access keys, roles, groups, managed and inline policies, tags.

Names are matched case-insensitively (callers pass them lower-cased; IAM names
are ASCII), as IAM matches them. Rows that belong to a user, role or group are
keyed by its unique id, so renames touch one row. No policy decisions here.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from strongroom.storage.queries_base import QueryBase
from strongroom.storage.records import AccessKeyRecord
from strongroom.storage.records_iam import (
    AccessKeyInfoRecord,
    GroupRecord,
    IamUserRecord,
    ManagedPolicyRecord,
    PolicyVersionRecord,
    RoleRecord,
)

_USER = "account_id, user_name, user_id, arn, path, created, is_admin, boundary_arn"
_KEY = ("access_key_id, account_id, user_name, status, created, last_used, "
        "last_used_service, last_used_region")
_ROLE = ("role_id, account_id, role_name, arn, path, created, trust_policy, description, "
         "max_session_duration, boundary_arn, last_used, last_used_region")
_GROUP = "group_id, account_id, group_name, arn, path, created"
_POLICY = ("policy_id, account_id, policy_name, arn, path, description, default_version, "
           "next_version, attachable, created, updated")


def _marks(count: int) -> str:
    return ", ".join("?" * count)


def _user(row: Sequence[Any]) -> IamUserRecord:
    return IamUserRecord(row[0], row[1], row[2], row[3], row[4], row[5], bool(row[6]), row[7])


def _role(row: Sequence[Any]) -> RoleRecord:
    return RoleRecord(row[0], row[1], row[2], row[3], row[4], row[5], row[6], row[7],
                      int(row[8]), row[9], row[10], row[11])


def _policy(row: Sequence[Any]) -> ManagedPolicyRecord:
    return ManagedPolicyRecord(row[0], row[1], row[2], row[3], row[4], row[5], row[6],
                               int(row[7]), bool(row[8]), row[9], row[10])


class IamQueries(QueryBase):
    # --- the per-account change counter ----------------------------------------

    def bump_generation(self, account_id: str) -> None:
        """Count one IAM change. Also takes the account's row lock, which serializes
        IAM writers of one account on PostgreSQL (SQLite serializes all writers)."""
        self._run(
            "INSERT INTO iam_generations (account_id, generation) VALUES (?, 1) "
            "ON CONFLICT (account_id) DO UPDATE SET generation = iam_generations.generation + 1",
            (account_id,),
        )

    def generation_sum(self, account_ids: Sequence[str]) -> int:
        row = self._one(
            f"SELECT COALESCE(SUM(generation), 0) FROM iam_generations "
            f"WHERE account_id IN ({_marks(len(account_ids))})", tuple(account_ids))
        return int(row[0]) if row else 0

    # --- users -------------------------------------------------------------------

    def insert_iam_user(self, user: IamUserRecord) -> None:
        self._run(
            f"INSERT INTO users ({_USER}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (user.account_id, user.user_name, user.user_id, user.arn, user.path, user.created,
             int(user.is_admin), user.boundary_arn),
        )

    def find_iam_user(self, account_id: str, name_lower: str, *, lock: bool = False
                      ) -> IamUserRecord | None:
        row = self._one(
            f"SELECT {_USER} FROM users WHERE account_id = ? AND lower(user_name) = ?"
            + (self._lock_suffix if lock else ""), (account_id, name_lower))
        return _user(row) if row else None

    def list_iam_users(self, account_id: str) -> list[IamUserRecord]:
        rows = self._rows(f"SELECT {_USER} FROM users WHERE account_id = ? "
                          "ORDER BY lower(user_name)", (account_id,))
        return [_user(r) for r in rows]

    def rename_iam_user(self, user_id: str, *, user_name: str, path: str, arn: str) -> None:
        self._run("UPDATE users SET user_name = ?, path = ?, arn = ? WHERE user_id = ?",
                  (user_name, path, arn, user_id))

    def set_user_boundary(self, user_id: str, boundary_arn: str | None) -> None:
        self._run("UPDATE users SET boundary_arn = ? WHERE user_id = ?", (boundary_arn, user_id))

    def delete_iam_user(self, user_id: str) -> None:
        self._run("DELETE FROM users WHERE user_id = ?", (user_id,))

    # --- access keys -------------------------------------------------------------

    def list_access_keys(self, account_id: str, user_name: str) -> list[AccessKeyInfoRecord]:
        rows = self._rows(f"SELECT {_KEY} FROM access_keys WHERE account_id = ? AND "
                          "user_name = ? ORDER BY created, access_key_id",
                          (account_id, user_name))
        return [AccessKeyInfoRecord(*r) for r in rows]

    def get_access_key_info(self, access_key_id: str) -> AccessKeyInfoRecord | None:
        row = self._one(f"SELECT {_KEY} FROM access_keys WHERE access_key_id = ?",
                        (access_key_id,))
        return AccessKeyInfoRecord(*row) if row else None

    def access_key_rows(self, account_id: str, user_name: str) -> list[AccessKeyRecord]:
        """Whole rows, wrapped secret included: only to move keys to a renamed user."""
        rows = self._rows(
            "SELECT access_key_id, account_id, user_name, secret_wrapped, status, created "
            "FROM access_keys WHERE account_id = ? AND user_name = ?", (account_id, user_name))
        return [AccessKeyRecord(r[0], r[1], r[2], bytes(r[3]), r[4], r[5]) for r in rows]

    def set_access_key_status(self, access_key_id: str, status: str) -> None:
        self._run("UPDATE access_keys SET status = ? WHERE access_key_id = ?",
                  (status, access_key_id))

    def note_access_key_used(self, access_key_id: str, when: float | None,
                             service: str | None, region: str | None) -> None:
        self._run("UPDATE access_keys SET last_used = ?, last_used_service = ?, "
                  "last_used_region = ? WHERE access_key_id = ?",
                  (when, service, region, access_key_id))

    def delete_access_key(self, access_key_id: str) -> None:
        self._run("DELETE FROM access_keys WHERE access_key_id = ?", (access_key_id,))

    # --- roles -------------------------------------------------------------------

    def insert_role(self, role: RoleRecord) -> None:
        self._run(
            f"INSERT INTO iam_roles ({_ROLE}) VALUES ({_marks(12)})",
            (role.role_id, role.account_id, role.role_name, role.arn, role.path, role.created,
             role.trust_policy, role.description, role.max_session_duration, role.boundary_arn,
             role.last_used, role.last_used_region),
        )

    def find_role(self, account_id: str, name_lower: str, *, lock: bool = False
                  ) -> RoleRecord | None:
        row = self._one(
            f"SELECT {_ROLE} FROM iam_roles WHERE account_id = ? AND lower(role_name) = ?"
            + (self._lock_suffix if lock else ""), (account_id, name_lower))
        return _role(row) if row else None

    def find_role_by_arn(self, arn: str) -> RoleRecord | None:
        row = self._one(f"SELECT {_ROLE} FROM iam_roles WHERE arn = ?", (arn,))
        return _role(row) if row else None

    def list_roles(self, account_id: str) -> list[RoleRecord]:
        rows = self._rows(f"SELECT {_ROLE} FROM iam_roles WHERE account_id = ? "
                          "ORDER BY lower(role_name)", (account_id,))
        return [_role(r) for r in rows]

    def update_role(self, role_id: str, **changes: object) -> None:
        """Set columns named by keyword (fixed names chosen by the service, never input)."""
        allowed = {"description", "max_session_duration", "trust_policy", "boundary_arn",
                   "last_used", "last_used_region"}
        columns = [c for c in changes if c in allowed]
        if not columns:
            return
        assignments = ", ".join(f"{c} = ?" for c in columns)
        self._run(f"UPDATE iam_roles SET {assignments} WHERE role_id = ?",
                  (*(changes[c] for c in columns), role_id))

    def delete_role(self, role_id: str) -> None:
        self._run("DELETE FROM iam_roles WHERE role_id = ?", (role_id,))

    # --- groups and members --------------------------------------------------------

    def insert_group(self, group: GroupRecord) -> None:
        self._run(f"INSERT INTO iam_groups ({_GROUP}) VALUES ({_marks(6)})",
                  (group.group_id, group.account_id, group.group_name, group.arn, group.path,
                   group.created))

    def find_group(self, account_id: str, name_lower: str, *, lock: bool = False
                   ) -> GroupRecord | None:
        row = self._one(
            f"SELECT {_GROUP} FROM iam_groups WHERE account_id = ? AND lower(group_name) = ?"
            + (self._lock_suffix if lock else ""), (account_id, name_lower))
        return GroupRecord(*row) if row else None

    def list_groups(self, account_id: str) -> list[GroupRecord]:
        rows = self._rows(f"SELECT {_GROUP} FROM iam_groups WHERE account_id = ? "
                          "ORDER BY lower(group_name)", (account_id,))
        return [GroupRecord(*r) for r in rows]

    def delete_group(self, group_id: str) -> None:
        self._run("DELETE FROM iam_groups WHERE group_id = ?", (group_id,))

    def add_member(self, group_id: str, user_id: str, when: float) -> None:
        self._run("INSERT INTO iam_group_members (group_id, user_id, added) VALUES (?, ?, ?) "
                  "ON CONFLICT (group_id, user_id) DO NOTHING", (group_id, user_id, when))

    def remove_member(self, group_id: str, user_id: str) -> int:
        return self._run("DELETE FROM iam_group_members WHERE group_id = ? AND user_id = ?",
                         (group_id, user_id))

    def remove_memberships(self, user_id: str) -> None:
        self._run("DELETE FROM iam_group_members WHERE user_id = ?", (user_id,))

    def group_members(self, group_id: str) -> list[IamUserRecord]:
        columns = ", ".join(f"u.{c.strip()}" for c in _USER.split(","))
        rows = self._rows(f"SELECT {columns} FROM users u JOIN iam_group_members m "
                          "ON m.user_id = u.user_id WHERE m.group_id = ? "
                          "ORDER BY lower(u.user_name)", (group_id,))
        return [_user(r) for r in rows]

    def groups_of_user(self, user_id: str) -> list[GroupRecord]:
        columns = ", ".join(f"g.{c.strip()}" for c in _GROUP.split(","))
        rows = self._rows(f"SELECT {columns} FROM iam_groups g JOIN iam_group_members m "
                          "ON m.group_id = g.group_id WHERE m.user_id = ? "
                          "ORDER BY lower(g.group_name)", (user_id,))
        return [GroupRecord(*r) for r in rows]

    # --- inline policies -----------------------------------------------------------

    def put_inline_policy(self, owner_id: str, policy_name: str, document: str) -> None:
        self._run("INSERT INTO iam_inline_policies (owner_id, policy_name, document) "
                  "VALUES (?, ?, ?) ON CONFLICT (owner_id, policy_name) "
                  "DO UPDATE SET document = excluded.document", (owner_id, policy_name, document))

    def inline_policies(self, owner_id: str) -> list[tuple[str, str]]:
        """(name, document) pairs in name order."""
        rows = self._rows("SELECT policy_name, document FROM iam_inline_policies "
                          "WHERE owner_id = ? ORDER BY policy_name", (owner_id,))
        return [(r[0], r[1]) for r in rows]

    def delete_inline_policy(self, owner_id: str, policy_name: str) -> int:
        return self._run("DELETE FROM iam_inline_policies WHERE owner_id = ? AND policy_name = ?",
                         (owner_id, policy_name))

    # --- managed policies and versions ---------------------------------------------

    def insert_policy(self, policy: ManagedPolicyRecord) -> None:
        self._run(
            f"INSERT INTO iam_policies ({_POLICY}) VALUES ({_marks(11)})",
            (policy.policy_id, policy.account_id, policy.policy_name, policy.arn, policy.path,
             policy.description, policy.default_version, policy.next_version,
             int(policy.attachable), policy.created, policy.updated),
        )

    def find_policy(self, arn: str, *, lock: bool = False) -> ManagedPolicyRecord | None:
        row = self._one(f"SELECT {_POLICY} FROM iam_policies WHERE arn = ?"
                        + (self._lock_suffix if lock else ""), (arn,))
        return _policy(row) if row else None

    def list_policies(self, account_ids: Sequence[str]) -> list[ManagedPolicyRecord]:
        rows = self._rows(f"SELECT {_POLICY} FROM iam_policies WHERE account_id IN "
                          f"({_marks(len(account_ids))}) ORDER BY lower(policy_name)",
                          tuple(account_ids))
        return [_policy(r) for r in rows]

    def update_policy(self, policy_id: str, *, default_version: str, next_version: int,
                      updated: float) -> None:
        self._run("UPDATE iam_policies SET default_version = ?, next_version = ?, updated = ? "
                  "WHERE policy_id = ?", (default_version, next_version, updated, policy_id))

    def delete_policy(self, policy_id: str) -> None:
        self._run("DELETE FROM iam_policy_versions WHERE policy_id = ?", (policy_id,))
        self._run("DELETE FROM iam_tags WHERE owner_id = ?", (policy_id,))
        self._run("DELETE FROM iam_policies WHERE policy_id = ?", (policy_id,))

    def insert_policy_version(self, version: PolicyVersionRecord) -> None:
        self._run("INSERT INTO iam_policy_versions (policy_id, version_id, seq, document, "
                  "created) VALUES (?, ?, ?, ?, ?)",
                  (version.policy_id, version.version_id, version.seq, version.document,
                   version.created))

    def get_policy_version(self, policy_id: str, version_id: str) -> PolicyVersionRecord | None:
        row = self._one("SELECT policy_id, version_id, seq, document, created FROM "
                        "iam_policy_versions WHERE policy_id = ? AND version_id = ?",
                        (policy_id, version_id))
        return PolicyVersionRecord(row[0], row[1], int(row[2]), row[3], row[4]) if row else None

    def list_policy_versions(self, policy_id: str) -> list[PolicyVersionRecord]:
        """Newest first, as IAM lists them."""
        rows = self._rows("SELECT policy_id, version_id, seq, document, created FROM "
                          "iam_policy_versions WHERE policy_id = ? ORDER BY seq DESC",
                          (policy_id,))
        return [PolicyVersionRecord(r[0], r[1], int(r[2]), r[3], r[4]) for r in rows]

    def delete_policy_version(self, policy_id: str, version_id: str) -> None:
        self._run("DELETE FROM iam_policy_versions WHERE policy_id = ? AND version_id = ?",
                  (policy_id, version_id))

    def default_documents(self, arns: Sequence[str]) -> dict[str, str]:
        """The default version's document of each named managed policy that exists."""
        if not arns:
            return {}
        rows = self._rows(
            "SELECT p.arn, v.document FROM iam_policies p JOIN iam_policy_versions v "
            "ON v.policy_id = p.policy_id AND v.version_id = p.default_version "
            f"WHERE p.arn IN ({_marks(len(arns))})", tuple(arns))
        return {r[0]: r[1] for r in rows}

    # --- attachments and boundary use ----------------------------------------------

    def attach_policy(self, account_id: str, owner_id: str, policy_arn: str) -> None:
        self._run("INSERT INTO iam_attachments (account_id, owner_id, policy_arn) "
                  "VALUES (?, ?, ?) ON CONFLICT (owner_id, policy_arn) DO NOTHING",
                  (account_id, owner_id, policy_arn))

    def detach_policy(self, owner_id: str, policy_arn: str) -> int:
        return self._run("DELETE FROM iam_attachments WHERE owner_id = ? AND policy_arn = ?",
                         (owner_id, policy_arn))

    def attached_policies(self, owner_id: str) -> list[str]:
        rows = self._rows("SELECT policy_arn FROM iam_attachments WHERE owner_id = ? "
                          "ORDER BY pk", (owner_id,))
        return [r[0] for r in rows]

    def attachment_counts(self, account_id: str) -> dict[str, int]:
        """Per policy ARN: how many users, roles and groups of the account attach it."""
        rows = self._rows("SELECT policy_arn, COUNT(*) FROM iam_attachments "
                          "WHERE account_id = ? GROUP BY policy_arn", (account_id,))
        return {r[0]: int(r[1]) for r in rows}

    def boundary_counts(self, account_id: str) -> dict[str, int]:
        """Per policy ARN: how many users and roles of the account use it as boundary."""
        rows = self._rows(
            "SELECT boundary_arn, COUNT(*) FROM (SELECT boundary_arn FROM users "
            "WHERE account_id = ? AND boundary_arn IS NOT NULL UNION ALL SELECT boundary_arn "
            "FROM iam_roles WHERE account_id = ? AND boundary_arn IS NOT NULL) b "
            "GROUP BY boundary_arn", (account_id, account_id))
        return {r[0]: int(r[1]) for r in rows}

    # --- tags (users, roles, managed policies) and owned rows -----------------------

    def iam_tags(self, owner_id: str) -> list[tuple[str, str]]:
        rows = self._rows("SELECT tag_key, tag_value FROM iam_tags WHERE owner_id = ? "
                          "ORDER BY position", (owner_id,))
        return [(r[0], r[1]) for r in rows]

    def replace_iam_tags(self, owner_id: str, tags: Iterable[tuple[str, str]]) -> None:
        self._run("DELETE FROM iam_tags WHERE owner_id = ?", (owner_id,))
        for position, (key, value) in enumerate(tags):
            self._run("INSERT INTO iam_tags (owner_id, position, tag_key, tag_value) "
                      "VALUES (?, ?, ?, ?)", (owner_id, position, key, value))

    def delete_owned(self, owner_id: str) -> None:
        """Tags, inline policies and attachments of a user, role or group being deleted."""
        for table in ("iam_tags", "iam_inline_policies", "iam_attachments"):
            self._run(f"DELETE FROM {table} WHERE owner_id = ?", (owner_id,))
