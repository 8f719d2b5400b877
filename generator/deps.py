"""The Python modules the generator needs from Debian, and the one line
that says which package holds a missing one. Imports nothing itself, so it
works before `make deps` has installed anything."""

PACKAGES = {"jinja2": "python3-jinja2", "yaml": "python3-yaml", "libfdt": "python3-libfdt",
            "jsonschema": "python3-jsonschema"}


def missing_message(exc):
    """The error line for ModuleNotFoundError exc, or None if the module is
    not one of ours (then it is a bug, not a missing package)."""
    package = PACKAGES.get(exc.name)
    if package is None:
        return None
    return (f"vanity: error: the Python module '{exc.name}' is missing: install the Debian "
            f"package {package} (`make deps`, or `make run`, installs what Vanity needs)")
