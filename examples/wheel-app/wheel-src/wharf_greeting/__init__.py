"""A tiny pure-Python package, shipped as a wheel inside the wheel-app bundle."""
__version__ = "1.0.0"


def greet(name: str) -> str:
    return f"Greetings, {name}, from wharf_greeting {__version__}"
