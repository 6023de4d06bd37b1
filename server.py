"""WSGI entry: ``gunicorn server:app`` (settings in gunicorn.conf.py); ``python server.py`` runs the dev server."""

from werkzeug.middleware.proxy_fix import ProxyFix

from certflow import logs
from certflow.config import Config
from certflow.web import create_app

config = Config.from_env()
config.check()  # gunicorn.conf.py checks the number of web workers before they start
logs.configure()
app = create_app(config)
if config.proxies:
    # Behind nginx: the client's address (security log, sign-in limits) and scheme come from its headers.
    app.wsgi_app = ProxyFix(app.wsgi_app, x_for=config.proxies, x_proto=config.proxies)  # type: ignore[method-assign]

if __name__ == "__main__":
    app.run(debug=False)
