"""Authentication: DRF's token scheme, with the user's roles read in the same query and
the token's age (tokens expire, ``staywell.signin``); a session counts once its user has
passed the second factor where one is required; a session's user read with its roles in
one query (:class:`ModelBackend`)."""

from __future__ import annotations

from functools import cache
from typing import Any

from django.contrib.auth import backends as auth_backends
from django.contrib.auth import get_user_model
from django.db import connection
from drf_spectacular.authentication import SessionScheme
from rest_framework import authentication, exceptions
from rest_framework.authtoken.models import Token

from staywell import signin
from staywell.db import parse_id, prepared_dicts
from staywell.roles import remember_roles


def _user_columns() -> tuple[str, str, list[str]]:
    """The user's columns (as ``u``), its group names (``group_names``) and field names."""
    user_model = get_user_model()
    fields = user_model._meta.concrete_fields
    groups = user_model._meta.get_field("groups").remote_field.through._meta.db_table
    columns = ", ".join(f'u."{f.column}" AS "{f.attname}"' for f in fields)
    names = f"""ARRAY(SELECT g.name FROM auth_group g JOIN {groups} ug ON ug.group_id = g.id
                       WHERE ug.user_id = u.id) AS group_names"""  # noqa: S608 - model names
    return columns, names, [f.attname for f in fields]


@cache
def _token_sql() -> tuple[str, list[str]]:
    """The statement reading a token's user with its group names, and the user's fields."""
    columns, group_names, fields = _user_columns()
    sql = f"""
        SELECT {columns}, t.created AS token_created, {group_names}
          FROM {Token._meta.db_table} t JOIN {get_user_model()._meta.db_table} u
            ON u.id = t.user_id
         WHERE t.key = %s
    """  # noqa: S608 - table and column names from the models; the key is bound
    return sql, fields


@cache
def _user_sql() -> tuple[str, list[str]]:
    """The statement reading a user by id with its group names, and the user's fields."""
    columns, group_names, fields = _user_columns()
    table = get_user_model()._meta.db_table
    second_factor = signin.second_factor_column("u")
    sql = f"SELECT {columns}, {group_names}, {second_factor} FROM {table} u WHERE u.id = %s"  # noqa: S608 - names from the models; the id is bound
    return sql, fields


def _user_from_row(row: dict[str, Any], names: list[str]) -> Any:
    """The user of a row of :func:`_token_sql` or :func:`_user_sql`, its roles remembered."""
    user = get_user_model().from_db(connection.alias, names, [row[name] for name in names])
    remember_roles(user, row["group_names"])
    return user


class ModelBackend(auth_backends.ModelBackend):
    """Django's model backend, reading a signed-in session's user with its roles and whether
    it has an authenticator app in one prepared statement (Django's reads the user, then
    ``staywell.roles`` its groups, then ``staywell.signin`` its app: three queries on every
    page)."""

    def get_user(self, user_id: Any) -> Any:
        pk = parse_id(user_id)
        if pk is None:
            return None
        sql, names = _user_sql()
        rows = prepared_dicts(sql, [pk])
        if not rows:
            return None
        user = _user_from_row(rows[0], names)
        signin.remember_second_factor(user, rows[0]["second_factor"])
        return user if self.user_can_authenticate(user) else None


class TokenAuthentication(authentication.TokenAuthentication):
    """``Authorization: Token <key>``, as DRF's, reading the user and its roles in one
    prepared statement: the one query of authentication on every API request."""

    def authenticate_credentials(self, key: str) -> tuple[Any, Token]:
        sql, names = _token_sql()
        rows = prepared_dicts(sql, [key])
        if not rows:
            raise exceptions.AuthenticationFailed("Invalid token.")
        row = rows[0]
        user = _user_from_row(row, names)
        if not user.is_active:
            raise exceptions.AuthenticationFailed("User inactive or deleted.")
        if signin.token_expired(row["token_created"]):
            raise exceptions.AuthenticationFailed(
                "Token expired. Make a new one on your account page (/account/)."
            )
        token = Token(key=key, user=user, created=row["token_created"])
        token._state.adding = False
        return user, token


class SessionAuthentication(authentication.SessionAuthentication):
    """DRF's session authentication, counting a session only once its user has passed the
    second factor where one is required (``signin.second_factor_required``)."""

    def authenticate(self, request: Any) -> tuple[Any, None] | None:
        result = super().authenticate(request)
        if result is None:
            return None
        user = result[0]
        verified = getattr(user, "is_verified", None)
        if (verified is None or not verified()) and signin.second_factor_required(user):
            raise exceptions.NotAuthenticated(
                "Two-factor sign-in is required: finish signing in on the sign-in page."
            )
        return result


class TwoFactorSessionScheme(SessionScheme):
    """The schema's description of :class:`SessionAuthentication` (a cookie session)."""

    target_class = "staywell.authentication.SessionAuthentication"
