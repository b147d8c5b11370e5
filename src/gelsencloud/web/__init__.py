"""Server-rendered web pages (Jinja2), German first, English second."""
