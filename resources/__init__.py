"""Woodshed's resources: the demo song's stems (demo/, CC0) and the script that makes them.

Installed as the package ``woodshed.resources`` (see pyproject.toml) so that
``woodshed demo`` finds the stems in a non-editable install too.
"""
