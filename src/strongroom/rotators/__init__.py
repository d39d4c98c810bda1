"""strongroom's built-in rotation functions, and the code that packs them into Lambda zips.

`functions/` holds the code that runs inside a rotation function (it imports nothing
from strongroom and is copied into each zip); `package.py` turns one of them into a
zip. Nothing else in strongroom imports `functions/` (import-linter checks both).
"""
