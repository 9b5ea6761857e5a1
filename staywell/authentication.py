"""API authentication: DRF's token scheme, with the user's roles read in the same query
and the token's age (tokens expire, ``staywell.signin``); a session counts once its user
has passed the second factor where one is required."""

from __future__ import annotations

from functools import cache
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection
from drf_spectacular.authentication import SessionScheme
from rest_framework import authentication, exceptions
from rest_framework.authtoken.models import Token

from staywell import signin
from staywell.db import prepared_dicts
from staywell.roles import remember_roles


@cache
def _token_sql() -> tuple[str, list[str]]:
    """The statement reading a token's user with its group names, and the user's fields."""
    user_model = get_user_model()
    fields = user_model._meta.concrete_fields
    groups = user_model._meta.get_field("groups").remote_field.through._meta.db_table
    columns = ", ".join(f'u."{f.column}" AS "{f.attname}"' for f in fields)
    sql = f"""
        SELECT {columns}, t.created AS token_created,
               ARRAY(SELECT g.name FROM auth_group g JOIN {groups} ug ON ug.group_id = g.id
                      WHERE ug.user_id = u.id) AS group_names
          FROM {Token._meta.db_table} t JOIN {user_model._meta.db_table} u ON u.id = t.user_id
         WHERE t.key = %s
    """  # noqa: S608 - table and column names from the models; the key is bound
    return sql, [f.attname for f in fields]


class TokenAuthentication(authentication.TokenAuthentication):
    """``Authorization: Token <key>``, as DRF's, reading the user and its roles in one
    prepared statement: the one query of authentication on every API request."""

    def authenticate_credentials(self, key: str) -> tuple[Any, Token]:
        sql, names = _token_sql()
        rows = prepared_dicts(sql, [key])
        if not rows:
            raise exceptions.AuthenticationFailed("Invalid token.")
        row = rows[0]
        user = get_user_model().from_db(connection.alias, names, [row[name] for name in names])
        if not user.is_active:
            raise exceptions.AuthenticationFailed("User inactive or deleted.")
        if signin.token_expired(row["token_created"]):
            raise exceptions.AuthenticationFailed(
                "Token expired. Make a new one on your account page (/account/)."
            )
        remember_roles(user, row["group_names"])
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
