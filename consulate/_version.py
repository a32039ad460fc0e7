"""consulate's version, in a module of its own so that nothing inside the package imports the top."""

__version__ = '1.0.0.dev0'
