"""WSGI entry: ``gunicorn server:app``; ``python server.py`` runs the development server."""

from certflow.web import create_app

app = create_app()

if __name__ == "__main__":
    app.run(debug=False)
