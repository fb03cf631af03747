"""The staff console: server-rendered pages under /staff (Starlette routes, Jinja2, vendored htmx).

One screen per package (`auth/`, `today/`, `patients/`, `alerts/`, `users/`), each with its
routes and the templates they use; `screens.py` lists them. Every route declares what it needs
(a permission from `bot/clinic/staff/roles.py`, or signed-in, or public) and runs through one
wrapper (`routes.py`) that checks the session, the permission and the CSRF token, then calls the
handler in a worker thread inside one database transaction. Pages read through the same clinic,
schedule and store functions the CLI uses. May import everything except `bot/cli/`.
"""
