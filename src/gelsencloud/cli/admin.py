"""``gelsencloud users|tenants|apikeys``: identity administration from the shell."""

from __future__ import annotations

import getpass
from datetime import UTC, datetime

import typer
from rich.table import Table

from gelsencloud.cli.context import console, database, fail
from gelsencloud.core import identity
from gelsencloud.core.classification import PermissionDenied
from gelsencloud.core.principal import Principal

users = typer.Typer(help="Manage users.", no_args_is_help=True)
tenants = typer.Typer(help="Manage tenants (organisations).", no_args_is_help=True)
apikeys = typer.Typer(help="Manage API keys.", no_args_is_help=True)


def cli_principal() -> Principal:
    """Whoever has shell access to the server acts as the platform, named in the audit log."""
    return Principal(kind="system", name=f"cli:{getpass.getuser()}")


def _transaction():
    return database().transaction(cli_principal())


ERRORS = (identity.InvalidInput, identity.NotFound, PermissionDenied)


@tenants.command("create")
def tenants_create(slug: str, name: str, website: str = typer.Option(None)) -> None:
    """Create a tenant."""
    try:
        with _transaction() as session:
            tenant = identity.create_tenant(session, slug=slug, name=name, website=website)
            console.print(f"[green]created tenant[/green] {tenant.slug} (id {tenant.id})")
    except ERRORS as exc:
        raise fail(str(exc)) from None


@tenants.command("list")
def tenants_list() -> None:
    """List tenants."""
    with _transaction() as session:
        table = Table("id", "slug", "name", "website")
        for t in identity.list_tenants(session):
            table.add_row(str(t.id), t.slug, t.name, t.website or "")
    console.print(table)


@users.command("create")
def users_create(
    username: str,
    tenant: str = typer.Option(..., help="Tenant slug."),
    role: str = typer.Option("viewer", help="platform_admin, tenant_admin, editor, operator or viewer."),
    password: str = typer.Option(None, help="Omit to be asked (not echoed)."),
    display_name: str = typer.Option(""),
    email: str = typer.Option(None),
) -> None:
    """Create a user."""
    if password is None:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        with _transaction() as session:
            user = identity.create_user(
                session,
                username=username,
                password=password,
                tenant=identity.get_tenant(session, tenant),
                role=role,
                display_name=display_name,
                email=email,
            )
            console.print(f"[green]created user[/green] {user.username} ({user.role} in {tenant})")
    except ERRORS as exc:
        raise fail(str(exc)) from None


@users.command("list")
def users_list(tenant: str = typer.Option(None, help="Only this tenant.")) -> None:
    """List users."""
    with _transaction() as session:
        scope = identity.get_tenant(session, tenant) if tenant else None
        table = Table("id", "username", "tenant", "role", "last log-in", "locked until")
        for u in identity.list_users(session, scope):
            table.add_row(
                str(u.id),
                u.username,
                str(u.tenant_id),
                u.role,
                u.last_login_at.isoformat(timespec="minutes") if u.last_login_at else "",
                u.locked_until.isoformat(timespec="minutes") if u.locked_until else "",
            )
    console.print(table)


@apikeys.command("create")
def apikeys_create(
    tenant: str = typer.Option(..., help="Tenant slug."),
    role: str = typer.Option(..., help="Role the key acts with."),
    name: str = typer.Option("cli", help="What the key is for."),
    expires: datetime = typer.Option(None, help="Expiry (UTC), e.g. 2027-12-31."),
) -> None:
    """Issue an API key and print it once."""
    try:
        with _transaction() as session:
            issued = identity.create_api_key(
                session,
                tenant=identity.get_tenant(session, tenant),
                role=role,
                name=name,
                expires_at=expires.replace(tzinfo=UTC) if expires else None,
            )
    except ERRORS as exc:
        raise fail(str(exc)) from None
    console.print("[bold]API key (shown only now, store it safely):[/bold]")
    typer.echo(issued.key)


@apikeys.command("revoke")
def apikeys_revoke(
    prefix: str = typer.Argument(..., help="The key's prefix (second part of the key)."),
) -> None:
    """Revoke an API key."""
    try:
        with _transaction() as session:
            identity.revoke_api_key(session, prefix)
    except ERRORS as exc:
        raise fail(str(exc)) from None
    console.print(f"[green]revoked[/green] {prefix}")


@apikeys.command("list")
def apikeys_list(tenant: str = typer.Option(None)) -> None:
    """List API keys (never their secrets)."""
    with _transaction() as session:
        scope = identity.get_tenant(session, tenant) if tenant else None
        table = Table("prefix", "name", "tenant", "role", "expires", "revoked")
        for k in identity.list_api_keys(session, scope):
            table.add_row(
                k.prefix,
                k.name,
                str(k.tenant_id),
                k.role,
                k.expires_at.isoformat(timespec="minutes") if k.expires_at else "",
                k.revoked_at.isoformat(timespec="minutes") if k.revoked_at else "",
            )
    console.print(table)
