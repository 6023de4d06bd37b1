"""Security headers on every answer, and the Content-Security-Policy on every HTML page."""

from __future__ import annotations

from flask import Flask, Response

# Scripts only from files on this site: an injected <script>, onclick= or javascript: link does not run.
# Styles may be inline: bpmn-js writes style attributes as it draws, and a style runs no code.
CONTENT_SECURITY_POLICY = "; ".join((
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",  # bpmn-js's logo and the empty favicon are data: URLs
    "font-src 'self' data:",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",  # no other site shows these pages in a frame to trick a click (clickjacking)
))
HSTS = "max-age=31536000"  # a year of HTTPS only, once a browser has seen the site over HTTPS


def add_security_headers(app: Flask, *, production: bool) -> None:
    @app.after_request
    def secure(response: Response) -> Response:
        headers = response.headers
        headers.setdefault("X-Content-Type-Options", "nosniff")  # an upload served as its type, never as a page
        headers.setdefault("Referrer-Policy", "same-origin")  # case numbers in addresses stay on this site
        if response.mimetype == "text/html":
            headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        if production:
            headers.setdefault("Strict-Transport-Security", HSTS)
        return response
