"""Code that runs inside a rotation function's zip, never inside the server.

Every module here imports only the standard library, boto3 and a database driver,
and its siblings through `if __package__:` imports that fall back to the flat
names the zip gives them (`strongroom_rotator_common`, `strongroom_rotator_<engine>`).
"""
